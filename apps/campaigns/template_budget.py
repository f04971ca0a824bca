"""What rendering one merchant template may cost, and the meter that stops it when it costs more.

A merchant template is short (rendering.MAX_TEMPLATE_CHARS), but loops multiply and some filters
amplify: `add` doubles a string, `join` multiplies one by another, `floatformat:N` writes N digits,
and `{% with %}` feeds each result into the next. A few hundred characters could ask for gigabytes
or minutes. So every render runs against a RenderBudget:

- every node render and every filter call is a step, and checks the clock;
- every loop iteration counts towards one total for the whole render;
- the text each node adds (a text or variable node all of its output, a `{% filter %}` its growth)
  counts towards the output cap as it is produced, so a render stops as soon as its output passes
  the cap, not after building it;
- every filter result is bounded, and the filters that multiply text check their inputs first
  (guards in template_library), so the amplification never happens.

`instrument` fits the meter to a compiled template: each node's `render_annotated`, the one method
Django's NodeList and ForNode call to render a child, is wrapped, and each `{% for %}` sequence
counts what it yields. Filters do not see the template context, so they find the render's budget in
a context variable. An exceeded budget raises RenderBudgetExceeded (a TemplateError) and stays
exceeded: `{% if %}` turns an exception in its condition into "false", so the error is raised again
at the next step and, at the latest, when the render ends (`metered`).
"""

import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.template.base import Lexer, Node, Template, TokenType
from django.template.defaulttags import ForNode


class TemplateError(ValueError):
    """A merchant template that does not compile, or cannot be rendered; the message says why."""


class RenderBudgetExceeded(TemplateError):
    """The template asks for more work or text than one email may take."""


@dataclass(frozen=True)
class RenderLimits:
    """Per render of one template (subject, preheader or body). Override any of them with the setting
    MERCHANT_TEMPLATE_LIMITS, a dict such as {"loop_iterations": 50}."""

    output_chars: int = 100_000  # Gmail clips an email at 102 kB anyway
    loop_iterations: int = 10_000  # all loops together
    steps: int = 200_000  # node renders and filter calls
    work_chars: int = 2_000_000  # all text produced, by nodes and by filters, kept or not
    seconds: float = 2.0  # the backstop: the counters above are the budget, the clock catches the rest
    nesting: int = 20  # blocks inside blocks, checked before compiling

    @classmethod
    def from_settings(cls) -> "RenderLimits":
        return cls(**getattr(settings, "MERCHANT_TEMPLATE_LIMITS", {}))


class RenderBudget:
    def __init__(self, limits: RenderLimits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.steps = self.iterations = self.output = self.work = 0
        self.exceeded: RenderBudgetExceeded | None = None

    def fail(self, message: str) -> NoReturn:
        if self.exceeded is None:
            self.exceeded = RenderBudgetExceeded(message)
        raise RenderBudgetExceeded(str(self.exceeded))

    def check(self) -> None:
        """Raise if the budget was exceeded, even if the error was swallowed on the way."""
        if self.exceeded is not None:
            raise RenderBudgetExceeded(str(self.exceeded))

    def step(self) -> None:
        self.check()
        self.steps += 1
        if self.steps > self.limits.steps:
            self.fail(f"The template takes more than {self.limits.steps} steps to render.")
        if time.monotonic() > self.deadline:
            self.fail(f"The template takes longer than {self.limits.seconds:g} seconds to render.")

    def iteration(self) -> None:
        self.check()
        self.iterations += 1
        if self.iterations > self.limits.loop_iterations:
            self.fail(f"The template's loops repeat more than {self.limits.loop_iterations} times in all.")

    def produced(self, chars: int, *, output: bool) -> None:
        """`chars` of text made by a node (`output`: it becomes part of the email) or a filter."""
        self.work += chars
        if output:
            self.output += chars
            if self.output > self.limits.output_chars:
                self.fail(f"The email is longer than {self.limits.output_chars} characters when rendered.")
        elif chars > self.limits.output_chars:
            self.fail(f"A filter in the template makes a text longer than {self.limits.output_chars} characters.")
        if self.work > self.limits.work_chars:
            self.fail(f"The template makes more than {self.limits.work_chars} characters of text to render.")


_ACTIVE: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar("merchant_render_budget", default=None)


def current_budget() -> RenderBudget:
    """The budget of the render in progress; outside one, a fresh budget (each call's own limits still hold)."""
    return _ACTIVE.get() or RenderBudget(RenderLimits.from_settings())


@contextmanager
def metered(limits: RenderLimits) -> Iterator[RenderBudget]:
    """Run a render against a new budget; raise its error at the end if something swallowed it."""
    budget = RenderBudget(limits)
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)
    budget.check()


# --- Compiling ------------------------------------------------------------------------------
# The library's tags that open a block closed by an `end…` tag.
BLOCK_TAGS = frozenset({"if", "for", "with", "filter", "spaceless", "comment"})


def check_nesting(source: str, limits: RenderLimits) -> None:
    """Refuse blocks nested deeper than the limit before Django's parser recurses into them (thousands of
    nested blocks would exhaust Python's stack, and no email needs more than a few)."""
    depth = 0
    in_comment = False
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.BLOCK:
            continue
        command = token.contents.split(maxsplit=1)[0] if token.contents.strip() else ""
        if in_comment:  # Django skips everything up to the first {% endcomment %}
            if command == "endcomment":
                in_comment = False
                depth -= 1
        elif command in BLOCK_TAGS:
            depth += 1
            in_comment = command == "comment"
            if depth > limits.nesting:
                raise RenderBudgetExceeded(f"The template nests blocks more than {limits.nesting} deep.")
        elif command.startswith("end"):
            depth = max(0, depth - 1)


# --- Nodes ----------------------------------------------------------------------------------
def _metered_render(render: Callable) -> Callable:
    def render_annotated(context):
        budget = current_budget()
        budget.step()
        before = budget.output
        text = render(context)
        # Charge what this node added to the text its children were already charged for: all of it for
        # text and variables, nothing for `if`, `for` or `with` (they pass their children's text on), the
        # growth for `{% filter %}`. The count follows the output as it is built.
        budget.produced(max(0, len(text) - (budget.output - before)), output=True)
        return text

    return render_annotated


class _CountedLoop:
    """A `{% for %}` sequence that charges the budget for each item it yields."""

    def __init__(self, values, budget: RenderBudget):
        self.values = values if hasattr(values, "__len__") else list(values)
        self.budget = budget

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        for item in self.values:
            self.budget.iteration()
            yield item

    def __reversed__(self):
        for item in reversed(list(self.values)):
            self.budget.iteration()
            yield item


class _CountedSequence:
    """Stands in for a ForNode's sequence expression: resolves it, then counts the iterations."""

    def __init__(self, expression):
        self.expression = expression

    def resolve(self, context, ignore_failures=False):
        values = self.expression.resolve(context, ignore_failures=ignore_failures)
        return None if values is None else _CountedLoop(values, current_budget())

    def __str__(self) -> str:
        return str(self.expression)


def instrument(template: Template) -> Template:
    """Fit the meter to every node of a compiled template (get_nodes_by_type(Node) walks them all)."""
    for node in template.nodelist.get_nodes_by_type(Node):
        node.render_annotated = _metered_render(node.render_annotated)
        if isinstance(node, ForNode):
            node.sequence = _CountedSequence(node.sequence)
    return template


# --- Filters --------------------------------------------------------------------------------
def _size(value) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict) else 0


def metered_filter(func: Callable, guard: Callable | None = None) -> Callable:
    """`func` as a step of the budget, with its result bounded. `guard(value, *args, limits=...)`
    returns a reason to refuse the call before it runs (for filters that multiply text)."""

    @functools.wraps(func)  # keeps is_safe, needs_autoescape…, and the signature Django checks arguments against
    def bounded(value, *args, **kwargs):
        budget = current_budget()
        budget.step()
        if guard is not None:
            problem = guard(value, *args, limits=budget.limits)
            if problem:
                budget.fail(problem)
        result = func(value, *args, **kwargs)
        budget.produced(_size(result), output=False)
        return result

    return bounded

"""A compiled email with what is the same for every recipient already filled in.

A batch fills one design's template for hundreds of buyers of one store. Most of its nodes read only the
store (name, links, social networks, postal address): those are rendered once per store and language, and
only the nodes that read the recipient's values (links, coupon, subject) are rendered per email.

A node is filled in ahead only when every variable it reads is one of the shared names; a filter that is not
a pure function of its input (`random`) stays per email. A template holding any tag but text, variables, if,
for, with and templatetag (whose outputs depend on nothing else, and which bind no names for later nodes) is
left whole. An `{% if %}` whose conditions read only shared values is decided ahead, and its chosen branch
filled in the same way. The output is the same as filling the whole template per recipient (and in the same
active language and time zone): tests/campaigns/design/test_prefill.py compares them.
"""

import json

from django.template import Context
from django.template.base import (
    FilterExpression,
    Node,
    NodeList,
    Template,
    TextNode,
    Variable,
    VariableDoesNotExist,
    VariableNode,
)
from django.template.defaulttags import ForNode, IfNode, TemplateLiteral, TemplateTagNode, WithNode
from django.utils import timezone, translation

SHARED = ("store", "addresses", "language")  # what every email of one store, design and language shares
IMPURE_FILTERS = {"random"}
_KEPT = 256
_prefilled: dict = {}


class Filled(Node):
    """Output rendered ahead."""

    def __init__(self, text: str):
        self.text = text

    def render(self, context):
        return self.text


def prefilled(template: Template, context: dict, *, autoescape: bool) -> Template:
    """`template` with the nodes that read only `context`'s shared values rendered. Remembered per template,
    escaping, active language and time zone, and shared values (the store's as they are now: a changed brand
    is a new entry)."""
    shared = {name: context[name] for name in SHARED if name in context}
    # What a node's output depends on besides the values: the active language (numbers and dates are written
    # in it) and time zone (a datetime is shown in it).
    active = (translation.get_language(), timezone.get_current_timezone_name())
    key = (id(template), autoescape, active, json.dumps(shared, sort_keys=True, default=str))
    kept = _prefilled.get(key)
    if kept is not None and kept[0] is template:
        return kept[1]
    if not _known_only(template.nodelist):
        return template
    with_shared = Context(shared, autoescape=autoescape)
    with with_shared.render_context.push_state(template), with_shared.bind_template(template):
        nodes = _fill_ahead(template.nodelist, frozenset(shared), with_shared)
    filled = Template.__new__(Template)
    filled.__dict__.update(template.__dict__)
    filled.nodelist = nodes
    if len(_prefilled) >= _KEPT:
        _prefilled.clear()
    _prefilled[key] = (template, filled)
    return filled


KNOWN = (TextNode, VariableNode, IfNode, ForNode, WithNode, TemplateTagNode)


def _known_only(nodelist) -> bool:
    for node in nodelist:
        if not isinstance(node, KNOWN):
            return False
        children = (
            [nodelist for _, nodelist in node.conditions_nodelists]
            if isinstance(node, IfNode)
            else [getattr(node, name) for name in node.child_nodelists if getattr(node, name, None) is not None]
        )
        if not all(_known_only(child) for child in children):
            return False
    return True


def _fill_ahead(nodelist, shared: frozenset, context: Context) -> NodeList:
    out: list[Node] = []
    for node in nodelist:
        if _reads_only(node, shared):
            try:
                _append(out, Filled(node.render_annotated(context)))
            except Exception:  # it fails per email as it always did, not here
                out.append(node)
        elif isinstance(node, IfNode) and all(_expression_reads_only(c, shared) for c, _ in node.conditions_nodelists):
            branch = _chosen_branch(node, context)
            if branch is None:
                out.append(node)
                continue
            for part in _fill_ahead(branch, shared, context):
                _append(out, part)
        elif isinstance(node, WithNode) and all(_reads(value) <= shared for value in node.extra_context.values()):
            values = {name: value.resolve(context) for name, value in node.extra_context.items()}
            inner = shared | frozenset(node.extra_context)
            with context.push(**values):
                body = _fill_ahead(node.nodelist, inner, context)
            out.append(WithNode(None, None, body, extra_context=dict(node.extra_context)))
        else:
            out.append(node)
    return NodeList(out)


def _append(out: list, node: Node) -> None:
    if isinstance(node, Filled) and out and isinstance(out[-1], Filled):
        out[-1] = Filled(out[-1].text + node.text)
    elif not (isinstance(node, Filled) and not node.text):
        out.append(node)


def _chosen_branch(node: IfNode, context: Context) -> NodeList | None:
    """The branch IfNode.render would render, decided as it decides; None when deciding fails otherwise than
    IfNode forgives (it reads VariableDoesNotExist as false), so the email fails as it would have."""
    for condition, nodelist in node.conditions_nodelists:
        if condition is None:
            return nodelist
        try:
            match = condition.eval(context)  # type: ignore[arg-type]  # the stubs say dict; IfNode passes a Context
        except VariableDoesNotExist:
            match = None
        except Exception:
            return None
        if match:
            return nodelist
    return NodeList()


def _reads_only(node: Node, shared: frozenset) -> bool:
    if isinstance(node, TextNode | TemplateTagNode):
        return True
    if isinstance(node, VariableNode):
        return _reads(node.filter_expression) <= shared
    if isinstance(node, IfNode):
        return all(
            _expression_reads_only(condition, shared) and _all_read_only(nodelist, shared)
            for condition, nodelist in node.conditions_nodelists
        )
    if isinstance(node, WithNode):
        inner = shared | frozenset(node.extra_context)
        return all(_reads(value) <= shared for value in node.extra_context.values()) and _all_read_only(
            node.nodelist, inner
        )
    if isinstance(node, ForNode):
        inner = shared | frozenset(node.loopvars) | {"forloop"}
        return (
            _reads(node.sequence) <= shared
            and _all_read_only(node.nodelist_loop, inner)
            and _all_read_only(node.nodelist_empty, shared)
        )
    return False


def _all_read_only(nodelist, shared: frozenset) -> bool:
    return all(_reads_only(node, shared) for node in nodelist)


_UNKNOWN = frozenset({"\x00unknown"})  # never shared: what cannot be read ahead


def _reads(expression) -> frozenset:
    """The context names a FilterExpression (or a Variable, or a literal) reads."""
    if isinstance(expression, Variable):
        return frozenset() if expression.lookups is None else frozenset(expression.lookups[:1])
    if not isinstance(expression, FilterExpression):
        return frozenset() if isinstance(expression, str | int | float) or expression is None else _UNKNOWN
    names = set(_reads(expression.var))
    for function, arguments in expression.filters:
        if getattr(function, "_filter_name", None) in IMPURE_FILTERS or function.__name__ in IMPURE_FILTERS:
            return _UNKNOWN
        for is_lookup, argument in arguments:
            names |= _reads(argument) if is_lookup else set()
    return frozenset(names)


def _expression_reads_only(condition, shared: frozenset) -> bool:
    """An {% if %} condition (a smartif tree of TemplateLiterals and operators) that reads only shared names."""
    if condition is None:
        return True
    if isinstance(condition, TemplateLiteral):
        return _reads(condition.value) <= shared
    first, second = getattr(condition, "first", _UNKNOWN), getattr(condition, "second", None)
    if first is _UNKNOWN:
        return False
    return _expression_reads_only(first, shared) and (second is None or _expression_reads_only(second, shared))

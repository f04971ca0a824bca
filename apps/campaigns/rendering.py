"""Turning a step and a plain-dict context into an email: subject, HTML (inlined CSS) and text.

Merchant-edited subject, preheader and body are rendered by a restricted template engine (the tags
and filters in template_library, a plain-dict context, so no model method or setting is reachable),
then the body HTML is sanitised with nh3 and placed in our own branded layout. Each render runs on
a copy of the context (a template can call a list's `pop` or a dict's `clear`: it only empties its
copy) and within a budget of steps, loop iterations, output and time (template_budget).
"""

import copy
import html
import json
import logging
from dataclasses import dataclass
from functools import lru_cache

import css_inline
import nh3
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string

from .design.compiler import Brand, compile_design, fill, fill_text
from .plaintext import html_to_text
from .template_budget import RenderLimits, TemplateError, check_nesting, instrument, metered

logger = logging.getLogger(__name__)

MERCHANT_TAGS = {
    "a", "b", "strong", "i", "em", "u", "p", "br", "ul", "ol", "li", "h1", "h2", "h3", "blockquote", "span",
    "div", "img", "table", "thead", "tbody", "tr", "td", "th", "hr", "small", "sup", "sub",
}  # fmt: skip
MERCHANT_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan"},
    "th": {"align", "colspan"},
    "*": {"class"},
}
MAX_TEMPLATE_CHARS = 50_000


class RestrictedEngine(Engine):
    default_builtins = []  # nothing from Django's defaults: only our safe library


ENGINE = RestrictedEngine(
    builtins=["apps.campaigns.template_library"], autoescape=True, debug=False, string_if_invalid=""
)


def compile_merchant(source: str, limits: RenderLimits):
    """The compiled template, metered (template_budget.instrument). Raises TemplateError.

    Compiled once per source and nesting limit: a batch of a step's emails in one variant and language
    renders the same subject, preheader and body sources thousands of times. Sharing is safe: the meter
    keeps its count in a context variable per render (template_budget.metered), never on the nodes, and
    a failed compile is not cached (lru_cache does not keep exceptions)."""
    return _compiled_merchant(source, limits.nesting)


@lru_cache(maxsize=1024)
def _compiled_merchant(source: str, nesting: int):
    limits = RenderLimits(nesting=nesting)
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"The template is longer than {MAX_TEMPLATE_CHARS} characters.")
    check_nesting(source, limits)
    try:
        template = ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(str(exc)) from exc
    except RecursionError as exc:  # e.g. `{% if not not not … %}` thousands deep
        raise TemplateError("The template is nested too deeply to read.") from exc
    return instrument(template)


def render_merchant(source: str, context: dict) -> str:
    """Render a merchant template within its budget. Raises TemplateError (RenderBudgetExceeded when it
    asks for too much), whatever went wrong: the caller shows it to the merchant or fails the message."""
    return _render_own_copy(source, copy.deepcopy(context))


def _render_own_copy(source: str, context: dict) -> str:
    """render_merchant on a context nobody else reads: a template can call what it reaches (`{{ labels.clear }}`
    empties a dict), so it gets a deep copy, never the shared label dicts or another email's context."""
    limits = RenderLimits.from_settings()
    template = compile_merchant(source, limits)
    with metered(limits) as budget:
        try:
            return template.render(Context(context, autoescape=True))
        except TemplateError:
            raise
        except Exception as exc:
            budget.check()  # an exceeded budget, swallowed by a tag on the way, is the real cause
            logger.info("A merchant template failed to render", exc_info=True)
            if isinstance(exc, RecursionError):
                raise TemplateError("The template is nested too deeply to render.") from exc
            raise TemplateError(f"The template could not be rendered: {exc}") from exc


def validate_merchant_template(source: str) -> None:
    render_merchant(source, {})


def sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=MERCHANT_TAGS,
        attributes=MERCHANT_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    preheader: str
    html: str
    text: str


# What a market's law puts at the start of an advertising email's subject, by the email's language.
# Korea, 정보통신망법 §50④: "(광고)" first in the subject of every advertising email.
ADVERTISING_SUBJECT_PREFIXES = {"ko": "(광고)"}


def advertising_subject(subject: str, *, language: str, advertising: bool) -> str:
    """The subject with the market's advertising mark first, exactly once: a merchant who typed it keeps one.
    Transactional mail (order, shipping) carries no mark."""
    prefix = ADVERTISING_SUBJECT_PREFIXES.get((language or "")[:2]) if advertising else None
    if not prefix:
        return subject
    rest = subject.strip()
    while rest.startswith(prefix):
        rest = rest[len(prefix) :].lstrip()
    return f"{prefix} {rest}"[:255] if rest else prefix


_DESIGNS: dict = {}
_DESIGNS_KEPT = 256


def compile_design_once(design: list[dict], *, language: str, brand: Brand, labels: dict):
    """compile_design, remembered per design, language, brand and labels: a batch renders one step's design
    for hundreds of recipients, and laying it out (its MJML source) costs more than filling it in. The labels
    are the language's own dict (campaigns.copy), so their identity is part of the key."""
    key = (json.dumps(design, sort_keys=True, ensure_ascii=False), language, brand)
    kept = _DESIGNS.get(key)
    if kept is not None and kept[0] is labels:
        return kept[1]
    compiled = compile_design(design, language=language, brand=brand, labels=labels)
    if len(_DESIGNS) >= _DESIGNS_KEPT:
        _DESIGNS.clear()
    _DESIGNS[key] = (labels, compiled)
    return compiled


def render_email(
    *,
    subject: str,
    preheader: str,
    body: str,
    context: dict,
    blocks: tuple[str, ...],
    advertising: bool = False,
    design: list[dict] | None = None,
) -> RenderedEmail:
    """Subject and preheader as plain text; the body from the step's `design` (blocks compiled on MJML, see
    campaigns.design) or, in the advanced HTML mode, its `body` sanitised inside the branded layout.
    `advertising`: marketing mail, which gets the advertising mark its language's market requires."""
    own = copy.deepcopy(context)  # one copy for the email's merchant templates (copied per email, not per part)
    subject_text = " ".join(html.unescape(_render_own_copy(subject, own)).split())[:255]
    subject_text = advertising_subject(subject_text, language=context.get("language", ""), advertising=advertising)
    preheader_text = " ".join(html.unescape(_render_own_copy(preheader, own)).split())[:255]
    if design is not None:
        compiled = compile_design_once(
            design, language=context.get("language", "en"), brand=Brand.of(context["store"]), labels=context["labels"]
        )
        filled = {**context, "subject": subject_text, "preheader": preheader_text}
        return RenderedEmail(
            subject=subject_text,
            preheader=preheader_text,
            html=fill(compiled, filled),
            text=fill_text(compiled, filled),
        )
    body_html = sanitise(_render_own_copy(body, own))
    page = render_to_string(
        "campaigns/email/base.html",
        {**context, "subject": subject_text, "preheader": preheader_text, "body": body_html, "blocks": blocks},
    )
    inlined = css_inline.inline(page, load_remote_stylesheets=False)  # never fetch: see core/outbound
    return RenderedEmail(subject=subject_text, preheader=preheader_text, html=inlined, text=html_to_text(page))

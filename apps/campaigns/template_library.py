"""The only tags and filters merchant templates may use: no loading, no includes, no debug, no URLs.

Every filter runs as a metered step of the render (template_budget) with its result bounded; the ones
that can multiply text are refused before they run when their inputs would make too much of it.
"""

from django.template import Library, TemplateSyntaxError, defaultfilters, defaulttags

from .template_budget import RenderLimits, metered_filter

register = Library()

MAX_DECIMAL_PLACES = 20
MAX_DATE_FORMAT_CHARS = 100

for _tag in ("if", "for", "with", "firstof", "filter", "spaceless", "comment", "cycle"):
    register.tags[_tag] = defaulttags.register.tags[_tag]


@register.tag
def now(parser, token):
    """Django's `{% now %}`, with a format of reasonable length (each character can become a whole date)."""
    node = defaulttags.now(parser, token)
    if len(node.format_string) > MAX_DATE_FORMAT_CHARS:
        raise TemplateSyntaxError(f"The format of {{% now %}} is longer than {MAX_DATE_FORMAT_CHARS} characters.")
    return node


def _too_long(name: str, limits: RenderLimits) -> str:
    return f"The filter {name} would make a text longer than {limits.output_chars} characters."


def _join_guard(value, arg="", *, limits: RenderLimits) -> str | None:
    """`"…"|join:"…"` is len(value) × len(arg): measure before joining."""
    try:
        count, separator = len(value), len(str(arg))
    except TypeError:
        return None  # join leaves what it cannot join as it is
    if count > 1 and (count - 1) * separator > limits.output_chars:
        return _too_long("join", limits)
    items = count if isinstance(value, str) else sum(len(str(item)) for item in value)
    return _too_long("join", limits) if items + max(0, count - 1) * separator > limits.output_chars else None


def _add_guard(value, arg=None, *, limits: RenderLimits) -> str | None:
    """`x|add:x` doubles a text (or a list); a chain of `{% with %}` doubles it again and again."""
    sized = str | list | tuple
    if isinstance(value, sized) and isinstance(arg, sized) and len(value) + len(arg) > limits.output_chars:
        return _too_long("add", limits)
    return None


def _floatformat_guard(value, arg=-1, *, limits: RenderLimits) -> str | None:
    """`floatformat:1000000` would write a million digits (and a larger one raises deep in decimal)."""
    try:
        places = int(str(arg).rstrip("gu") or -1)
    except ValueError:
        return None  # floatformat shows the value unchanged
    if abs(places) > MAX_DECIMAL_PLACES:
        return f"floatformat shows at most {MAX_DECIMAL_PLACES} decimal places."
    return None


def _date_format_guard(value, arg=None, *, limits: RenderLimits) -> str | None:
    """Each format character can become a whole date ("r" is 31 characters): keep formats short."""
    if arg is not None and len(str(arg)) > MAX_DATE_FORMAT_CHARS:
        return f"A date or time format is longer than {MAX_DATE_FORMAT_CHARS} characters."
    return None


GUARDS = {
    "join": _join_guard,
    "add": _add_guard,
    "floatformat": _floatformat_guard,
    "date": _date_format_guard,
    "time": _date_format_guard,
}

for _filter in (
    "default", "default_if_none", "upper", "lower", "title", "capfirst", "date", "time", "floatformat",
    "truncatechars", "truncatewords", "linebreaksbr", "linebreaks", "length", "pluralize", "join", "first",
    "last", "yesno", "add", "cut", "escape", "urlencode", "striptags", "wordcount",
):  # fmt: skip
    register.filters[_filter] = metered_filter(defaultfilters.register.filters[_filter], GUARDS.get(_filter))

"""What the API takes at most. The bounds of each column and the sane range of times are the domain's
(`apps.core.bounds`, read from the model fields); what is the API's own lives here: how deep a body may
nest, and making text fit for a log line or an error message."""

import re
from datetime import UTC, date, datetime

from django.db import models

from apps.core.bounds import (
    EARLIEST,
    column,
    day_problem,
    integer_range,
    latest,
    moment_problem,
    money_limit,
    text_problem,
)

__all__ = ["column", "money_limit"]  # re-exported: the API reads the domain's bounds through here

UNSTORABLE = "Holds a NUL character or an unpaired surrogate, which cannot be stored"

# The deepest body the API reads is a batch of orders, {items: [{lines: [{...}]}]}: 5 levels.
MAX_JSON_DEPTH = 16

# A Python string holds a surrogate only unpaired (JSON's "\ud83d\ude00" decodes to one code point).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return text_problem(text) is None


def storable(text: str) -> str:
    """The text with what no database stores replaced by U+FFFD: for the log, and for naming a field."""
    return _UNSTORABLE.sub("\ufffd", text)


def too_deep(value, limit: int = MAX_JSON_DEPTH) -> str | None:
    """The dotted path of the first list or object nested deeper than `limit`, or None. Iterative: a body
    nested a thousand levels must not exhaust the stack that reads it."""
    stack = [(value, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        if depth > limit:
            return path or "body"
        for key, child in children:
            if isinstance(child, dict | list):
                name = storable(str(key))
                stack.append((child, depth + 1, f"{path}.{name}" if path else name))
    return None


# --- Times: the domain's sane range ----------------------------------------------------------------


def time_range_text() -> str:
    return f"between {EARLIEST.date().isoformat()} and {latest().date().isoformat()}"


def moment_in_range(moment: datetime) -> bool:
    return moment_problem(moment) is None


def day_in_range(day: date) -> bool:
    return day_problem(day) is None


def utc(moment: datetime) -> datetime | None:
    """The instant in UTC, or None when Python cannot represent it (9999-12-31T23:00-05:00)."""
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --- Columns -----------------------------------------------------------------------------------------


def max_length(*columns: tuple[type[models.Model], str]) -> int:
    """The length every one of these columns holds (a line lands in an order line or a cart line)."""
    return min(column(model, name).max_length for model, name in columns)


def decimal_digits(model: type[models.Model], name: str) -> tuple[int, int]:
    """(max_digits, decimal_places) of a DecimalField."""
    field = column(model, name)
    return field.max_digits, field.decimal_places


def integer_max(*columns: tuple[type[models.Model], str]) -> int:
    """The largest value every one of these integer columns holds on every database Django supports."""
    return min(integer_range(column(model, name))[1] for model, name in columns)

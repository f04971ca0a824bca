"""What a column can hold, read from the model field itself: one definition every input is checked against.

Webhooks, the API, CSV imports and feeds translate outside data into the domain's input dataclasses
(`orders.inputs`, `shipments.inputs`). Those dataclasses check their values here, so nothing reaches a
service that the database would refuse, or store differently on SQLite and on PostgreSQL:

- text with a NUL character or a lone surrogate (PostgreSQL cannot store either) is refused;
- text longer than its column is cut, except identifiers, addresses and links, which are refused
  (a cut id would name another object);
- an amount beyond a DecimalField's digits, or an integer beyond the field's portable range
  (PostgreSQL's, which is also Django's default), is refused;
- a datetime without a time zone, or one whose UTC instant Python cannot represent, is refused.

`EARLIEST` and `latest()` are the sane range for dates that sources send (a policy on top of what the
database can hold); integrations' parsing applies it to every date it reads.
"""

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
YEARS_AHEAD = 5


class InputError(ValueError):
    """A value an input dataclass cannot hand to a service; `fields` names it, as PayloadError does."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}.")
        self.fields = {field: problem}


def column(model: type[models.Model], name: str) -> models.Field:
    return model._meta.get_field(name)


def money_limit(field: models.DecimalField) -> Decimal:
    """The largest amount the column holds: 9999999999.99 for max_digits=12, decimal_places=2."""
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(-field.decimal_places)


def money_quantum(field: models.DecimalField) -> Decimal:
    return Decimal(1).scaleb(-field.decimal_places)


def integer_range(field: models.Field) -> tuple[int, int]:
    """The range every supported database stores for this integer field (PostgreSQL's sizes)."""
    return BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]


def text_problem(value: str) -> str | None:
    """Why a database cannot store this text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode text"
    return None


def latest(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(days=365 * YEARS_AHEAD)


def moment_problem(value: datetime, *, sane: bool = True) -> str | None:
    """Why this datetime is refused: no time zone, not representable in UTC, or (sane) outside the range."""
    if timezone.is_naive(value):
        return "without a time zone"
    try:
        instant = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return "out of range"
    if sane and not EARLIEST <= instant <= latest():
        return f"not between {EARLIEST.year} and {latest().year}"
    return None


def day_problem(value: date) -> str | None:
    if not EARLIEST.date() <= value <= latest().date():
        return f"not between {EARLIEST.year} and {latest().year}"
    return None


# --- Input dataclasses ---------------------------------------------------------------------------


@cache
def _plan(cls: type, model: type[models.Model], renames: tuple[tuple[str, str], ...]) -> tuple:
    """(attribute, model field) for every dataclass attribute that is stored in a column of `model`."""
    names = dict(renames)
    plan = []
    for attribute in fields(cls):
        try:
            plan.append((attribute.name, model._meta.get_field(names.get(attribute.name, attribute.name))))
        except FieldDoesNotExist:
            continue
    return tuple(plan)


EXACT_TEXT = (models.EmailField, models.URLField)


def bound(instance, model: type[models.Model], *, renames: dict[str, str] | None = None, exact=()) -> None:
    """Check (and cut, where cutting is harmless) an input dataclass's values against `model`'s columns.

    Call it from `__post_init__`. `renames` maps an attribute to its column when the names differ;
    attributes named in `exact` (identifiers) are refused when too long instead of being cut.
    """
    for name, field in _plan(type(instance), model, tuple(sorted((renames or {}).items()))):
        value = getattr(instance, name)
        cleaned = bounded_value(field, value, name=name, exact=name in exact)
        if cleaned is not value:
            object.__setattr__(instance, name, cleaned)


def bounded_value(field: models.Field, value, *, name: str, exact: bool = False):
    if value is None:
        return None
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise InputError(name, problem)
        limit = getattr(field, "max_length", None)
        if limit and len(value) > limit:
            if exact or isinstance(field, EXACT_TEXT):
                raise InputError(name, f"longer than {limit} characters")
            value = value[:limit]
        known = {str(choice) for choice, _ in field.flatchoices} if field.choices else None
        if known is not None and not (value == "" and field.blank) and value not in known:
            raise InputError(name, "not one of the known values")
        return value
    if isinstance(field, models.DecimalField):
        if not isinstance(value, Decimal | int) or isinstance(value, bool) or not Decimal(value).is_finite():
            raise InputError(name, "not a number")
        limit = money_limit(field)
        if abs(value) > limit:
            raise InputError(name, f"more than {limit}" if value > 0 else f"less than -{limit}")
        return Decimal(value).quantize(money_quantum(field), rounding=ROUND_HALF_UP)
    if isinstance(field, models.IntegerField):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(name, "not a whole number")
        low, high = integer_range(field)
        if not low <= value <= high:
            raise InputError(name, f"not between {low} and {high}")
        return value
    if isinstance(field, models.DateTimeField) and isinstance(value, datetime):
        problem = moment_problem(value, sane=False)
        if problem:
            raise InputError(name, problem)
    return value

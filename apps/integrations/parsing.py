"""Small, strict readers for the values sources send: money as strings, ISO times with offsets."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .adapters import PayloadError


def money(value, *, field: str, default: Decimal | None = Decimal(0)) -> Decimal:
    if value in (None, ""):
        if default is None:
            raise PayloadError(f"{field} is required.", fields={field: "required"})
        return default
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise PayloadError(f"{field} is not a number: {value!r}", fields={field: "not a number"}) from exc
    if not amount.is_finite():
        raise PayloadError(f"{field} is not a number: {value!r}", fields={field: "not a number"})
    return amount.quantize(Decimal("0.01"))


def moment(value, *, field: str, required: bool = True, naive_tz=None) -> datetime | None:
    """An aware datetime; a naive one is read in `naive_tz` (UTC unless said)."""
    if value in (None, ""):
        if required:
            raise PayloadError(f"{field} is required.", fields={field: "required"})
        return None
    parsed = parse_datetime(str(value).replace(" ", "T", 1)) if isinstance(value, str) else None
    if parsed is None:
        raise PayloadError(f"{field} is not a date and time: {value!r}", fields={field: "not a datetime"})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, naive_tz or timezone.UTC)
    return parsed


def day(value, *, field: str) -> date | None:
    if value in (None, ""):
        return None
    text = str(value)
    parsed = parse_date(text[:10])
    if parsed is None:
        raise PayloadError(f"{field} is not a date: {value!r}", fields={field: "not a date"})
    return parsed


def text(value, limit: int = 255) -> str:
    return "" if value is None else str(value).strip()[:limit]


def ident(value) -> str:
    """External ids as exact strings: big integers stay exact (never through float)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        raise PayloadError(f"An id arrived as a float: {value!r}")
    return str(value)

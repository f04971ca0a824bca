"""Strict readers for the values sources send, each bounded by the column it goes to.

Every reader takes the value and the field's path in the payload (`line_items[0].quantity`) and either
returns a clean Python value or raises a PayloadError naming that path with a short problem ("not a whole
number", "more than 9999999999.99"). Messages never repeat the value: a refusal carries no payload text.

- JSON: UTF-8 only, no NaN/Infinity, at most MAX_DEPTH levels (deeper is a 400, never a RecursionError);
  lists of objects (lines, checkpoints, events) hold at most MAX_ITEMS entries.
- Text: str (or a number, which becomes its digits); NUL and lone surrogates refused; cut to the column.
- Ids: str or int, exact (never through float), refused when longer than the column.
- Money: a number or a numeric string, finite, not negative, within the DecimalField's digits.
- Quantities: a whole number within the integer field's range.
- Times: ISO 8601, aware (naive ones read in a given zone), between 2000 and a few years from now.

`Obj` wraps a JSON object with its path, so a source reads `order.money("total_price", TOTAL)` and a list
where an object belongs, or a string where a list belongs, is refused by name.
"""

import json
import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.core.bounds import (
    EARLIEST,
    day_problem,
    integer_range,
    latest,
    moment_problem,
    money_limit,
    money_quantum,
    text_problem,
)
from apps.customers.models import Customer
from apps.orders.models import Order, OrderLine

from .adapters import PayloadError

MAX_DEPTH = 32
MAX_ITEMS = 1000  # lines, checkpoints, events of one delivery (the API takes as many lines)
# Defaults when a caller names no column: an order's amounts, a line's quantity, an external id.
MONEY = Order._meta.get_field("total")
QUANTITY = OrderLine._meta.get_field("quantity")
ID_LENGTH = Order._meta.get_field("external_id").max_length
EMAIL_LENGTH = Customer._meta.get_field("email").max_length

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,6})?")
WHOLE = re.compile(r"\d{1,20}")
LETTERS = re.compile(r"[A-Za-z]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # dropped from header values we keep
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # what no text column takes: NUL and lone surrogates
_url = URLValidator(schemes=["http", "https"])


def refuse(field: str, problem: str, *, status: int = 422) -> PayloadError:
    return PayloadError(f"{field}: {problem}.", fields={field: problem}, status=status)


# --- The body --------------------------------------------------------------------------------------


def too_deep() -> PayloadError:
    return PayloadError(
        f"The JSON is nested too deeply (more than {MAX_DEPTH} levels).",
        fields={"(body)": "nested too deeply"},
        status=400,
    )


def _no_constants(word: str):
    raise refuse("(body)", f"{word} is not a JSON number", status=400)


def parse_json(body: bytes) -> Any:
    """JSON as sent (big integers stay exact); a 400 PayloadError for anything that is not plain JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse("(body)", "not UTF-8 text", status=400) from exc
    try:
        payload = json.loads(text, parse_constant=_no_constants)
    except PayloadError:
        raise
    except RecursionError as exc:
        raise too_deep() from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
            fields={"(body)": "not valid JSON"},
            status=400,
        ) from exc
    except ValueError as exc:  # an integer literal beyond Python's digit limit
        raise refuse("(body)", "a number has too many digits", status=400) from exc
    if depth(payload) > MAX_DEPTH:
        raise too_deep()
    return payload


def depth(value: Any) -> int:
    """How deeply arrays and objects nest, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in item if isinstance(child, dict | list))
    return deepest


def header_text(value: Any, limit: int) -> str:
    """A header value we keep (topic, delivery id): control characters dropped, cut to `limit`."""
    return CONTROL.sub("", "" if value is None else str(value)).strip()[:limit]


# --- Values ------------------------------------------------------------------------------------------


def _limit(limit: int | models.Field | None) -> int | None:
    return getattr(limit, "max_length", limit)


def text(value: Any, limit: int | models.Field | None = 255, *, field: str = "value") -> str:
    """Text for a column of `limit` characters (a number counts as its digits); cut to fit."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise refuse(field, "not text")
    if isinstance(value, float) and not Decimal(repr(value)).is_finite():
        raise refuse(field, "not text")
    value = str(value) if not isinstance(value, str) else value
    problem = text_problem(value)
    if problem:
        raise refuse(field, problem)
    value = value.strip()
    size = _limit(limit)
    return value[:size] if size else value


def ident(value: Any, *, field: str = "id", limit: int | models.Field = ID_LENGTH) -> str:
    """External ids as exact strings: big integers stay exact (never through float); never cut."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool | float) or not isinstance(value, str | int):
        raise refuse(field, "not an id (ids are strings or whole numbers)")
    value = str(value).strip()
    problem = text_problem(value)
    if problem:
        raise refuse(field, problem)
    size = _limit(limit)
    if size and len(value) > size:
        raise refuse(field, f"longer than {size} characters")
    return value


def money(
    value: Any, *, field: str, default: Decimal | None = Decimal(0), column: models.DecimalField = MONEY
) -> Decimal:
    """An amount the column holds: finite, not negative, within its digits, rounded to its places."""
    if value is None or value == "":
        if default is None:
            raise refuse(field, "required")
        return default
    if isinstance(value, bool):
        raise refuse(field, "not a number")
    try:
        if isinstance(value, int | Decimal):
            amount = Decimal(value)
        elif isinstance(value, float):
            amount = Decimal(repr(value))
        elif isinstance(value, str) and NUMBER.fullmatch(value.strip()):
            amount = Decimal(value.strip())
        else:
            raise refuse(field, "not a number")
    except InvalidOperation as exc:
        raise refuse(field, "not a number") from exc
    if not amount.is_finite():
        raise refuse(field, "not a number")
    if amount == 0:
        return Decimal(0).quantize(money_quantum(column))  # "-0.00" is nought, not a negative nought
    if amount < 0:
        raise refuse(field, "negative")
    limit = money_limit(column)
    if amount > limit:
        raise refuse(field, f"more than {limit}")
    return amount.quantize(money_quantum(column), rounding=ROUND_HALF_UP)


def quantity(value: Any, *, field: str, column: models.Field = QUANTITY) -> int:
    """A whole number within the integer column's range (0 to 2147483647 for a PositiveIntegerField)."""
    if value is None or value == "":
        raise refuse(field, "required")
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(field, "not a whole number")
    low, high = integer_range(column)
    if value < low:
        raise refuse(field, "negative" if low == 0 else f"less than {low}")
    if value > high:
        raise refuse(field, f"more than {high}")
    return value


def moment(value: Any, *, field: str, required: bool = True, naive_tz=None) -> datetime | None:
    """An aware datetime in UTC within the sane range; a naive one is read in `naive_tz` (UTC unless said)."""
    if value is None or value == "":
        if required:
            raise refuse(field, "required")
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise refuse(field, "not a date and time")
    try:
        parsed = parse_datetime(value.strip().replace(" ", "T", 1))
    except ValueError:  # well formed, but no such day or hour
        parsed = None
    if parsed is None:
        raise refuse(field, "not a date and time")
    if timezone.is_naive(parsed):
        try:
            parsed = timezone.make_aware(parsed, naive_tz or UTC)
        except (OverflowError, ValueError):
            raise refuse(field, "out of range") from None
    problem = moment_problem(parsed)
    if problem:
        raise refuse(field, problem)
    return parsed.astimezone(UTC)


def day(value: Any, *, field: str) -> date | None:
    """A calendar date (the first ten characters of an ISO date or datetime) within the sane range."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise refuse(field, "not a date")
    try:
        parsed = parse_date(value.strip()[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        raise refuse(field, "not a date")
    problem = day_problem(parsed)
    if problem:
        raise refuse(field, problem)
    return parsed


def timestamp(value: Any, *, field: str) -> datetime | None:
    """Seconds since 1970 (a whole number or its digits) as an aware datetime in the sane range."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(field, "not a timestamp")
    if not EARLIEST.timestamp() <= value <= latest().timestamp():
        raise refuse(field, f"not between {EARLIEST.year} and {latest().year}")
    return datetime.fromtimestamp(value, tz=UTC)


def email(value: Any, *, field: str) -> str:
    """An email address, lower-cased; '' when absent."""
    address = text(value, None, field=field).lower()
    if not address:
        return ""
    try:
        validate_email(address)
    except ValidationError:
        raise refuse(field, "not an email address") from None
    if len(address) > EMAIL_LENGTH:
        raise refuse(field, f"longer than {EMAIL_LENGTH} characters")
    return address


def url(value: Any, limit: int | models.Field, *, field: str) -> str:
    """An http(s) link that fits its column; a link that does not is left out (it is a convenience, and cut it
    would point elsewhere)."""
    link = text(value, None, field=field)
    size = _limit(limit)
    if not link or (size and len(link) > size):
        return ""
    try:
        _url(link)
    except ValidationError:
        return ""
    return link


def code(value: Any, length: int, *, field: str, required: bool = False, strict: bool = False) -> str:
    """A `length`-letter code (currency, country), upper-cased. A malformed code is refused when `strict`
    (a currency is never guessed), else left out (a country is a nicety)."""
    word = text(value, None, field=field).upper()
    if not word:
        if required:
            raise refuse(field, "required")
        return ""
    if len(word) == length and word.isascii() and LETTERS.fullmatch(word):
        return word
    if strict:
        raise refuse(field, f"not a {length}-letter code")
    return ""


def flag(value: Any, *, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise refuse(field, "not true or false")


# --- Objects -----------------------------------------------------------------------------------------


class Obj:
    """A JSON object with its path in the payload: every read checks the type and names the field."""

    __slots__ = ("data", "where")

    def __init__(self, data: Any, where: str = ""):
        if data is None or data == []:  # absent; PHP (WooCommerce) encodes an empty object as []
            data = {}
        if not isinstance(data, dict):
            name = where or "(body)"
            raise refuse(name, "not an object")
        self.data, self.where = data, where

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) not in (None, "")

    def first(self, *keys: str) -> str:
        """The first of `keys` that has a value (the last one when none has): for fields with fallbacks."""
        return next((key for key in keys if self.has(key)), keys[-1])

    def require(self, *keys: str) -> None:
        missing = [self.path(key) for key in keys if not self.has(key)]
        if missing:
            raise PayloadError(
                "Missing required fields: " + ", ".join(missing) + ".", fields=dict.fromkeys(missing, "required")
            )

    def obj(self, key: str) -> "Obj":
        return Obj(self.data.get(key), self.path(key))

    def objs(self, key: str, *, skip_others: bool = False, most: int = MAX_ITEMS) -> list["Obj"]:
        """A list of at most `most` objects; with `skip_others`, entries that are not objects are passed over."""
        items = self.list(key)
        if len(items) > most:
            raise refuse(self.path(key), f"more than {most} entries")
        found = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                found.append(Obj(item, f"{self.path(key)}[{index}]"))
            elif not skip_others:
                raise refuse(f"{self.path(key)}[{index}]", "not an object")
        return found

    def list(self, key: str) -> list:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise refuse(self.path(key), "not a list")
        return value

    def text(self, key: str, limit: int | models.Field | None = 255) -> str:
        return text(self.data.get(key), limit, field=self.path(key))

    def ident(self, key: str, *, required: bool = False, limit: int | models.Field = ID_LENGTH) -> str:
        if required:
            self.require(key)
        return ident(self.data.get(key), field=self.path(key), limit=limit)

    def money(self, key: str, column: models.DecimalField = MONEY, *, required: bool = False) -> Decimal:
        return money(self.data.get(key), field=self.path(key), default=None if required else Decimal(0), column=column)

    def quantity(self, key: str, column: models.Field = QUANTITY) -> int:
        return quantity(self.data.get(key), field=self.path(key), column=column)

    def moment(self, key: str, *, required: bool = False, naive_tz=None) -> datetime | None:
        return moment(self.data.get(key), field=self.path(key), required=required, naive_tz=naive_tz)

    def day(self, key: str) -> date | None:
        return day(self.data.get(key), field=self.path(key))

    def timestamp(self, key: str) -> datetime | None:
        return timestamp(self.data.get(key), field=self.path(key))

    def email(self, key: str) -> str:
        return email(self.data.get(key), field=self.path(key))

    def url(self, key: str, limit: int | models.Field) -> str:
        return url(self.data.get(key), limit, field=self.path(key))

    def code(self, key: str, length: int, *, required: bool = False, strict: bool = False) -> str:
        return code(self.data.get(key), length, field=self.path(key), required=required, strict=strict)

    def flag(self, key: str) -> bool | None:
        return flag(self.data.get(key), field=self.path(key))

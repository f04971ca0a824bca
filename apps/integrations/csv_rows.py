"""CSV rows → the same inputs the API and webhooks produce. Pure functions: no database here.

What goes wrong with a file or a row is said for the merchant, in the active language: what is wrong and
what to do ("The file is not UTF-8 text: ..."), never an exception's name or text."""

import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from apps.customers.inputs import CustomerIn
from apps.orders.inputs import LineIn, OrderIn
from apps.orders.models import OrderSource, OrderStatus
from apps.shipments.carriers import carrier_code_for_name
from apps.shipments.inputs import ShipmentIn

from .adapters import PayloadError
from .models import ImportKind
from .parsing import moment, money

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()


ORDER_FIELDS = (
    Field("order_id", "Order id", True, ("id", "order id", "external id", "order", "name", "order name")),
    Field("order_number", "Order number", False, ("name", "number", "order number", "order name")),
    Field("email", "Email", True, ("email address", "customer email", "e-mail")),
    Field("placed_at", "Placed at", True, ("created at", "date", "order date", "placed", "processed at")),
    Field("currency", "Currency", False, ("currency code",)),
    Field("total", "Total", False, ("total price", "amount", "order total")),
    Field("status", "Status", False, ("order status", "financial status")),
    Field("first_name", "First name", False, ("first", "given name", "billing first name")),
    Field("last_name", "Last name", False, ("last", "surname", "family name", "billing last name")),
    Field("postcode", "Postcode", False, ("zip", "postal code", "shipping zip", "shipping postcode")),
    Field("city", "City", False, ("shipping city",)),
    Field("country", "Country code", False, ("country", "shipping country", "shipping country code")),
    Field("tracking_number", "Tracking number", False, ("tracking", "tracking no", "tracking code")),
    Field("carrier", "Carrier", False, ("tracking company", "shipping carrier", "courier")),
    Field("product_id", "Product id", False, ("lineitem product id", "product")),
    Field("product_title", "Product name", False, ("lineitem name", "item", "product name", "title")),
    Field("quantity", "Quantity", False, ("lineitem quantity", "qty")),
    Field("price", "Unit price", False, ("lineitem price", "item price")),
    Field("accepts_marketing", "Accepts marketing", False, ("marketing", "newsletter", "consent")),
)
CUSTOMER_FIELDS = (
    Field("email", "Email", True, ("email address", "e-mail")),
    Field("external_id", "Customer id", False, ("id", "customer id")),
    Field("first_name", "First name", False, ("first", "given name")),
    Field("last_name", "Last name", False, ("last", "surname", "family name")),
    Field("phone", "Phone", False, ("telephone", "mobile")),
    Field("locale", "Language", False, ("language", "lang")),
    Field("accepts_marketing", "Accepts marketing", False, ("marketing", "newsletter", "consent", "subscribed")),
)
FIELDS = {ImportKind.ORDERS: ORDER_FIELDS, ImportKind.CUSTOMERS: CUSTOMER_FIELDS}
STATUS_WORDS = {
    "paid": OrderStatus.PAID, "pending": OrderStatus.PENDING, "fulfilled": OrderStatus.FULFILLED,
    "shipped": OrderStatus.FULFILLED, "completed": OrderStatus.FULFILLED, "processing": OrderStatus.PAID,
    "cancelled": OrderStatus.CANCELLED, "canceled": OrderStatus.CANCELLED, "refunded": OrderStatus.REFUNDED,
    "partially_fulfilled": OrderStatus.PARTIALLY_FULFILLED, "partial": OrderStatus.PARTIALLY_FULFILLED,
}  # fmt: skip
YES = {"yes", "y", "true", "1", "subscribed", "x", "да", "sì", "si", "예", "иә"}
NO = {"no", "n", "false", "0", "unsubscribed", "", "нет", "아니요", "жоқ"}


class RowError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def guess_mapping(kind: str, columns: list[str]) -> dict[str, str]:
    """Our field → the file's column, where a header names it plainly."""
    by_key = {_key(column): column for column in columns}
    mapping = {}
    for field in FIELDS[kind]:
        for candidate in (field.name, field.label, *field.aliases):
            if _key(candidate) in by_key:
                mapping[field.name] = by_key[_key(candidate)]
                break
    return mapping


def missing_required(kind: str, mapping: dict[str, str]) -> list[str]:
    return [field.label for field in FIELDS[kind] if field.required and not mapping.get(field.name)]


def not_utf8() -> str:
    return _(
        "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” (in Excel: File → Save a "
        "copy → CSV UTF-8) and upload it again."
    )


def check_utf8(raw: bytes, *, complete: bool) -> None:
    """Refuse bytes that are not UTF-8; the end of a sample (`complete=False`) may cut a character in two."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data" and exc.start >= len(raw) - 3:
            return
        logger.info("CSV upload is not UTF-8: %s", exc)
        raise PayloadError(not_utf8()) from exc


# Spreadsheet workbooks uploaded as they are: a zip (.xlsx, .ods) or an OLE file (.xls).
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
# A cell that is a value, not a column's name: an email address, a number, an amount, a date, #1001.
DATA_CELL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|[#+\-]?\d[\d\s.,:/\-+TZ]*")


def read_header(raw: bytes) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows, for the mapping screen. Raises PayloadError, in words for the merchant,
    for a file that is not UTF-8 CSV text with a header row."""
    if raw.startswith(WORKBOOK_SIGNATURES):
        raise PayloadError(
            _(
                "This is a spreadsheet workbook, not a CSV file. In your spreadsheet, save it as “CSV UTF-8” and "
                "upload that file."
            )
        )
    check_utf8(raw[: 64 * 1024], complete=len(raw) <= 64 * 1024)
    reader = csv.reader(io.StringIO(_decode(raw[: 64 * 1024]), newline=""), dialect=_sniff(raw))
    rows = []
    try:
        header = next(reader)
        for row in reader:
            rows.append(row)
            if len(rows) == 5:
                break
    except StopIteration as exc:
        raise PayloadError(_("The file is empty. Export the data again and upload the CSV file.")) from exc
    except csv.Error as exc:
        logger.info("CSV upload could not be read: %s", exc)
        raise PayloadError(
            _(
                "The file could not be read as CSV (a quote left open, or a cell far too long). Open it in your "
                "spreadsheet, save it again as “CSV UTF-8” and upload it."
            )
        ) from exc
    cells = [cell.strip() for cell in header]
    if not any(cells):
        raise PayloadError(
            _(
                "The first row is empty: it must name the columns (Email, Order id…). Add a header row and "
                "upload the file again."
            )
        )
    data = [cell for cell in cells if cell and DATA_CELL.fullmatch(cell)]
    if data:
        raise PayloadError(
            _(
                "The first row holds data (%(value)s), not the names of the columns. Add a header row such as "
                "Email, Order id, Created at above your data and upload the file again."
            )
            % {"value": data[0][:60]}
        )
    return cells, rows


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet exports: Cyrillic text is mostly letters in 0xC0-0xFF under cp1251.
        high = [byte for byte in raw[:65536] if byte >= 0x80]
        cyrillic = sum(1 for byte in high if byte >= 0xC0)
        return raw.decode("cp1251" if high and cyrillic / len(high) > 0.6 else "cp1252", errors="replace")


def _sniff(raw: bytes) -> type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(_decode(raw[:8192]), delimiters=",;\t")
    except csv.Error:
        return csv.excel


def iter_rows(text_stream: io.TextIOBase, sample: bytes) -> Iterator[dict[str, str]]:
    yield from csv.DictReader(text_stream, dialect=_sniff(sample))


def _value(row: dict[str, str], mapping: dict[str, str], name: str) -> str:
    column = mapping.get(name)
    return (row.get(column) or "").strip() if column else ""


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise RowError("email", _("“%(value)s” is not an email address.") % {"value": value[:100]}) from exc
    return value.lower()


def _consent(value: str) -> bool | None:
    word = value.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return None if word == "" else False
    raise RowError("accepts_marketing", _("“%(value)s” is not yes or no.") % {"value": value[:100]})


def customer_from_row(row: dict[str, str], mapping: dict[str, str]) -> CustomerIn:
    email = _value(row, mapping, "email")
    if not email:
        raise RowError("email", empty_cell())
    locale = _value(row, mapping, "locale").lower()[:2]
    return CustomerIn(
        email=_email(email),
        external_id=_value(row, mapping, "external_id")[:100],
        first_name=_value(row, mapping, "first_name")[:100],
        last_name=_value(row, mapping, "last_name")[:100],
        phone=_value(row, mapping, "phone")[:40],
        locale=locale if locale in {"en", "ru", "it", "ko", "kk"} else "",
        accepts_marketing=_consent(_value(row, mapping, "accepts_marketing")),
    )


def order_from_rows(
    rows: list[dict[str, str]], mapping: dict[str, str], *, store_currency: str, store_tz, historical: bool = False
):
    """One order from its rows (one row per line item, the order's columns repeated)."""
    first = rows[0]
    get = lambda name: _value(first, mapping, name)  # noqa: E731
    for name in ("order_id", "email", "placed_at"):
        if not get(name):
            raise RowError(name, empty_cell())
    try:
        placed_at = moment(get("placed_at"), field="placed_at", naive_tz=store_tz)
    except PayloadError as exc:
        raise RowError("placed_at", not_a_moment(get("placed_at"), exc)) from exc
    try:
        total = money(get("total"), field="total")
    except PayloadError as exc:
        raise RowError("total", not_an_amount(get("total"), exc)) from exc
    status_word = get("status").lower()
    if status_word and status_word not in STATUS_WORDS:
        raise RowError(
            "status",
            _(
                "“%(value)s” is not an order status Afterglow knows: use paid, pending, fulfilled, cancelled "
                "or refunded."
            )
            % {"value": get("status")[:100]},
        )
    lines = []
    for row in rows:
        title = _value(row, mapping, "product_title")
        if not title:
            continue
        quantity = _value(row, mapping, "quantity") or "1"
        if not quantity.isdigit() or int(quantity) < 1:
            raise RowError("quantity", _("“%(value)s” is not a whole number of 1 or more.") % {"value": quantity[:100]})
        try:
            price = money(_value(row, mapping, "price"), field="price")
        except PayloadError as exc:
            raise RowError("price", not_an_amount(_value(row, mapping, "price"), exc)) from exc
        lines.append(LineIn(title=title, quantity=int(quantity), unit_price=price,
                            product_external_id=_value(row, mapping, "product_id")))  # fmt: skip
    email = _email(get("email"))
    customer = CustomerIn(
        email=email, first_name=get("first_name")[:100], last_name=get("last_name")[:100],
        accepts_marketing=_consent(get("accepts_marketing")),
    )  # fmt: skip
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    order = OrderIn(
        external_id=get("order_id")[:100],
        number=(get("order_number") or get("order_id"))[:40],
        placed_at=placed_at,
        currency=(get("currency") or store_currency).upper()[:3],
        source=OrderSource.CSV,
        status=STATUS_WORDS.get(status_word, OrderStatus.PAID),
        customer=customer,
        email=email,
        subtotal=subtotal or total,
        total=total or subtotal,
        shipping_name=f"{get('first_name')} {get('last_name')}".strip()[:200],
        shipping_city=get("city")[:120],
        shipping_postcode=get("postcode")[:20],
        shipping_country=get("country").upper()[:2],
        lines=lines or None,
        historical=historical,
    )
    tracking = get("tracking_number")
    carrier = carrier_code_for_name(get("carrier"))
    shipment = (
        ShipmentIn(
            tracking_number=tracking[:100],
            carrier=carrier,
            carrier_name="" if carrier else get("carrier")[:100],
            historical=historical,
        )
        if tracking
        else None
    )
    return order, shipment


def empty_cell() -> str:
    return _("Empty, and every row needs it: fill it in and import the file again.")


def not_a_moment(value: str, exc: PayloadError) -> str:
    logger.debug("CSV date %r refused: %s", value, exc)
    if "between" in str(exc):
        return _("“%(value)s” is not a date an order can have: it must be after 2000 and not years ahead.") % {
            "value": value[:64]
        }
    return _("“%(value)s” is not a date and time Afterglow reads: write it like 2026-10-01 14:30.") % {
        "value": value[:64]
    }


def not_an_amount(value: str, exc: PayloadError) -> str:
    logger.debug("CSV amount %r refused: %s", value, exc)
    if "negative" in str(exc):
        return _("“%(value)s” is negative: amounts are 0 or more.") % {"value": value[:64]}
    if "more than" in str(exc):
        return _("“%(value)s” is larger than any amount Afterglow stores.") % {"value": value[:64]}
    return _("“%(value)s” is not an amount: write digits with a decimal point, like 42.50, without a currency.") % {
        "value": value[:64]
    }

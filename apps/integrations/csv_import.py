"""CSV rows → the same inputs the API and webhooks produce. Pure functions: no database here."""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.customers.inputs import CustomerIn
from apps.orders.inputs import LineIn, OrderIn
from apps.orders.models import OrderSource, OrderStatus
from apps.shipments.carriers import carrier_code_for_name
from apps.shipments.inputs import ShipmentIn

from .adapters import PayloadError
from .models import ImportKind
from .parsing import moment, money


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


def read_header(raw: bytes) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows, for the mapping screen. Raises PayloadError for unreadable files."""
    reader = csv.reader(io.StringIO(_decode(raw[: 64 * 1024]), newline=""), dialect=_sniff(raw))
    rows = []
    try:
        header = next(reader)
        for row in reader:
            rows.append(row)
            if len(rows) == 5:
                break
    except (StopIteration, csv.Error) as exc:
        raise PayloadError("The file has no header row or is not a CSV file.") from exc
    if not any(cell.strip() for cell in header):
        raise PayloadError("The first row must name the columns.")
    return [cell.strip() for cell in header], rows


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
        raise RowError("email", f"{value!r} is not an email address") from exc
    return value.lower()


def _consent(value: str) -> bool | None:
    word = value.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return None if word == "" else False
    raise RowError("accepts_marketing", f"{value!r} is not yes or no")


def customer_from_row(row: dict[str, str], mapping: dict[str, str]) -> CustomerIn:
    email = _value(row, mapping, "email")
    if not email:
        raise RowError("email", "required")
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
            raise RowError(name, "required")
    try:
        placed_at = moment(get("placed_at"), field="placed_at", naive_tz=store_tz)
        total = money(get("total"), field="total")
    except PayloadError as exc:
        raise RowError(next(iter(exc.fields), "row"), str(exc)) from exc
    status_word = get("status").lower()
    if status_word and status_word not in STATUS_WORDS:
        raise RowError("status", f"{get('status')!r} is not an order status")
    lines = []
    for row in rows:
        title = _value(row, mapping, "product_title")
        if not title:
            continue
        quantity = _value(row, mapping, "quantity") or "1"
        if not quantity.isdigit() or int(quantity) < 1:
            raise RowError("quantity", f"{quantity!r} is not a positive whole number")
        try:
            price = money(_value(row, mapping, "price"), field="price")
        except PayloadError as exc:
            raise RowError("price", str(exc)) from exc
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

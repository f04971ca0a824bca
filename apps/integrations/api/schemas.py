"""What the JSON API accepts and returns. Inputs are strict: unknown fields, naive times, floats for ids,
three-decimal money and unknown statuses are refused with the field named; outputs mirror what is stored.

Every input value is bounded by the column it lands in, read from the model (`limits`): text by its length and
refused when it holds what no database stores (NUL, unpaired surrogates), money by the column's digits,
integers by the column's range, times and dates by a sane range. Nothing valid here fails in the database.
"""

import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, PlainValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from apps.customers.models import Customer
from apps.orders.models import Cart, CartLine, Order, OrderLine, OrderStatus, Product
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from apps.stores.models import Language

from . import limits

MAX_BATCH_ITEMS = 1000
MAX_LINES = 1000
MAX_EVENTS = 1000


# --- Field types ------------------------------------------------------------------------------


def _text_only(value: Any) -> Any:
    """Every text type's first check: a string, and one a database can store."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a string")
    if not limits.is_storable(value):
        raise PydanticCustomError("text_unstorable", limits.UNSTORABLE)
    return value


def _moment(value: Any) -> datetime:
    if isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None and parsed.utcoffset() is not None:
            moment = limits.utc(parsed)  # one instant, one value: the same event sent as +01:00 or Z is one
            if moment is None or not limits.moment_in_range(moment):
                raise PydanticCustomError("datetime_range", f"Use a moment {limits.time_range_text()}")
            return moment
    raise PydanticCustomError(
        "datetime_with_offset", "Use an ISO 8601 date and time with an offset, e.g. 2025-03-01T14:30:00+01:00"
    )


def _day(value: Any) -> date:
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if not limits.day_in_range(day):
                raise PydanticCustomError("date_range", f"Use a date {limits.time_range_text()}")
            return day
    raise PydanticCustomError("date_format", "Use an ISO 8601 date, e.g. 2025-03-01")


def clean_email(value: str) -> str | None:
    """The address lower-cased, or None when it is not one."""
    value = value.strip().lower()
    if len(value) > 254:
        return None
    try:
        validate_email(value)
    except DjangoValidationError:
        return None
    return value


def _email(value: str) -> str:
    cleaned = clean_email(value)
    if cleaned is None:
        raise PydanticCustomError("email", "Enter a valid email address")
    return cleaned


_url_validator = URLValidator(schemes=["http", "https"])


def _url(value: str) -> str:
    value = value.strip()
    if value:
        try:
            _url_validator(value)
        except DjangoValidationError as exc:
            raise PydanticCustomError("url", "Enter a valid http(s) URL") from exc
    return value


def _upper_code(length: int, what: str):
    def check(value: str) -> str:
        value = value.strip().upper()
        if value and (len(value) != length or not value.isascii() or not value.isalpha()):
            raise PydanticCustomError("code", f"Use a {length}-letter {what}")
        return value

    return check


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> str:
    value = value.strip()
    if value and value not in _time_zones():
        raise PydanticCustomError("time_zone", "Use an IANA time zone name, e.g. Europe/Rome")
    return value


def _language(value: str) -> str:
    """Regional forms (en-GB, pt_BR) become the language; a language the stores do not offer becomes ''."""
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in Language.values else ""


def _text(max_length: int, *, min_length: int = 0):
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        BeforeValidator(_text_only),
    ]


def _column_text(*columns: tuple[type, str], min_length: int = 0):
    """Text bound by the column(s) it lands in."""
    return _text(limits.max_length(*columns), min_length=min_length)


ID_LENGTH = limits.max_length(
    (Product, "external_id"), (Customer, "external_id"), (Order, "external_id"), (OrderLine, "external_id"),
    (Cart, "external_id"), (Shipment, "external_id"),
)  # fmt: skip
ExternalId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ID_LENGTH),
    BeforeValidator(_text_only),  # an id sent as a JSON number could already have lost digits
    Field(description=f"The id in your system: exact string, 1–{ID_LENGTH} characters.", examples=["1001"]),
]
OptionalExternalId = Annotated[str, StringConstraints(max_length=ID_LENGTH), BeforeValidator(_text_only)]
Moment = Annotated[
    datetime,
    PlainValidator(_moment),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "With an offset; from 2000 to five years ahead.",
            "examples": ["2025-03-01T14:30:00+01:00"],
        }
    ),
]
Day = Annotated[
    date,
    PlainValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "description": "From 2000 to five years ahead."}),
]
EMAIL_LENGTH = limits.max_length((Customer, "email"), (Order, "email"), (Cart, "email"))
Email = Annotated[
    str,
    StringConstraints(max_length=EMAIL_LENGTH),
    BeforeValidator(_text_only),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": EMAIL_LENGTH}),
]
OptionalEmail = Annotated[
    str,
    StringConstraints(max_length=EMAIL_LENGTH),
    BeforeValidator(_text_only),
    AfterValidator(lambda value: _email(value) if value.strip() else ""),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": EMAIL_LENGTH}),
]


def _url_type(*columns: tuple[type, str]):
    max_length = limits.max_length(*columns)
    return Annotated[
        str,
        StringConstraints(max_length=max_length),
        BeforeValidator(_text_only),
        AfterValidator(_url),
        WithJsonSchema({"type": "string", "format": "uri", "maxLength": max_length}),
    ]


Currency = Annotated[
    str,
    BeforeValidator(_text_only),
    AfterValidator(_upper_code(3, "ISO 4217 currency code, e.g. EUR")),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{3}$", "examples": ["EUR"]}),
]
OptionalCurrency = Annotated[
    str,
    BeforeValidator(_text_only),
    AfterValidator(_upper_code(3, "ISO 4217 currency code, e.g. EUR")),
    WithJsonSchema({"type": "string", "pattern": "^([A-Za-z]{3})?$"}),
]
Country = Annotated[
    str,
    BeforeValidator(_text_only),
    AfterValidator(_upper_code(2, "ISO 3166-1 country code, e.g. IT")),
    WithJsonSchema({"type": "string", "pattern": "^([A-Za-z]{2})?$", "examples": ["IT"]}),
]


def _money(*columns: tuple[type, str]):
    """A non-negative amount bound by the DecimalField(s) it lands in: their digits and decimal places."""
    digits = [limits.decimal_digits(model, name) for model, name in columns]
    places = min(p for _, p in digits)
    whole = min(d - p for d, p in digits)
    largest = Decimal(10) ** whole - Decimal(1).scaleb(-places)
    return Annotated[
        Decimal,
        Field(ge=0, max_digits=whole + places, decimal_places=places),
        AfterValidator(lambda value: value.quantize(Decimal(1).scaleb(-places))),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "pattern": rf"^\d{{1,{whole}}}(\.\d{{1,{places}}})?$"},
                    {"type": "number", "minimum": 0, "maximum": float(largest)},
                ],
                "description": f"An amount from 0 to {largest} with at most {places} decimals, as a string "
                "(preferred) or a number.",
                "examples": ["19.90"],
            }
        ),
    ]


def _count(business_max: int, *columns: tuple[type, str], ge: int = 1, **field):
    """A whole number from `ge` to the business limit, never past what the column(s) hold."""
    return Field(ge=ge, le=min(business_max, limits.integer_max(*columns)), **field)


TimeZone = Annotated[
    str,
    StringConstraints(max_length=limits.max_length((Customer, "time_zone"))),
    BeforeValidator(_text_only),
    AfterValidator(_time_zone),
]
Locale = Annotated[str, StringConstraints(max_length=16), BeforeValidator(_text_only), AfterValidator(_language)]


class Strict(Schema):
    """Unknown fields are an error: a misspelt field would otherwise be dropped without a word."""

    model_config = ConfigDict(extra="forbid")


# --- Inputs -----------------------------------------------------------------------------------


class ProductIn(Strict):
    external_id: OptionalExternalId = Field(
        "", description="Optional in a PUT (the path names it; if sent, it must match); required in a batch."
    )
    name: _column_text((Product, "name"), min_length=1)
    sku: _column_text((Product, "sku")) = ""
    url: _url_type((Product, "url")) = ""
    image_url: _url_type((Product, "image_url")) = ""
    price: _money((Product, "price")) | None = None
    currency: OptionalCurrency = ""
    category: _column_text((Product, "category")) = ""
    in_stock: bool = True
    replenishment_days: int | None = _count(
        3650,
        (Product, "replenishment_days"),
        default=None,
        description="Typical days until a buyer runs out. Leave out to keep the current value.",
    )


class CustomerFieldsIn(Strict):
    external_id: OptionalExternalId = ""
    first_name: _column_text((Customer, "first_name")) = ""
    last_name: _column_text((Customer, "last_name")) = ""
    phone: _column_text((Customer, "phone")) = ""
    locale: Locale = Field("", description="Language for emails: en, ru, it, ko or kk (en-GB counts as en).")
    time_zone: TimeZone = ""
    accepts_marketing: bool | None = Field(
        None, description="Marketing consent as the buyer gave it; leave out when your system does not know."
    )


class CustomerIn(CustomerFieldsIn):
    email: OptionalEmail = Field(
        "", description="Required unless the path is the email. Customers are one per email in a store."
    )


class BuyerIn(CustomerFieldsIn):
    """The buyer of an order or cart."""

    email: Email


class LineIn(Strict):
    title: _column_text((OrderLine, "title"), (CartLine, "title"), min_length=1)
    quantity: int = _count(1_000_000, (OrderLine, "quantity"), (CartLine, "quantity"), default=1)
    unit_price: _money((OrderLine, "unit_price"), (CartLine, "unit_price")) = Decimal(0)
    product_external_id: OptionalExternalId = Field("", description="Links the line to a product sent before.")
    external_id: OptionalExternalId = ""
    sku: _column_text((OrderLine, "sku")) = ""
    variant_title: _column_text((OrderLine, "variant_title"), (CartLine, "variant_title")) = ""
    image_url: _url_type((OrderLine, "image_url"), (CartLine, "image_url")) = ""


class OrderIn(Strict):
    external_id: OptionalExternalId = Field(
        "", description="Optional in a PUT (the path names it; if sent, it must match); required in a batch."
    )
    number: _column_text((Order, "number"), min_length=1) = Field(
        ..., description="The order name buyers see, e.g. #1001."
    )
    placed_at: Moment
    currency: Currency
    status: OrderStatus = OrderStatus.PAID
    customer: BuyerIn | None = None
    email: OptionalEmail = Field("", description="The buyer's email when no customer object is sent.")
    locale: Annotated[
        str, StringConstraints(max_length=limits.max_length((Order, "locale"))), BeforeValidator(_text_only)
    ] = ""
    subtotal: _money((Order, "subtotal")) = Decimal(0)
    discount_total: _money((Order, "discount_total")) = Decimal(0)
    shipping_total: _money((Order, "shipping_total")) = Decimal(0)
    tax_total: _money((Order, "tax_total")) = Decimal(0)
    total: _money((Order, "total")) = Decimal(0)
    discount_codes: list[_text(100, min_length=1)] = Field(default_factory=list, max_length=50)
    order_status_url: _url_type((Order, "order_status_url")) = ""
    shipping_name: _column_text((Order, "shipping_name")) = ""
    shipping_city: _column_text((Order, "shipping_city")) = ""
    shipping_postcode: _column_text((Order, "shipping_postcode")) = ""
    shipping_country: Country = ""
    cancelled_at: Moment | None = None
    updated_at: Moment | None = Field(
        None, description="When your system last changed the order: an older version never overwrites a newer one."
    )
    cart_external_id: OptionalExternalId = Field("", description="The cart this order completed, if known.")
    lines: list[LineIn] | None = Field(
        None, max_length=MAX_LINES, description="All lines of the order. Leave out to keep the lines already sent."
    )
    historical: bool = Field(
        False, description="Part of an import of the past: it counts in figures and RFM and starts no email."
    )


class CartIn(Strict):
    external_id: OptionalExternalId = Field(
        "", description="Optional in a PUT (the path names it; if sent, it must match); required in a batch."
    )
    updated_at: Moment = Field(..., description="The buyer's last activity: an older version is ignored.")
    currency: Currency
    email: OptionalEmail = ""
    customer: BuyerIn | None = None
    subtotal: _money((Cart, "subtotal")) = Decimal(0)
    recovery_url: _url_type((Cart, "recovery_url")) = Field("", description="Where the buyer can finish this checkout.")
    completed_order_external_id: OptionalExternalId = Field("", description="The order that completed the cart.")
    lines: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)
    historical: bool = Field(
        False, description="Part of an import of the past: it counts in figures and RFM and starts no email."
    )


EVENT_SOURCE = "api"  # the source of the events the API records
# An event's id keys it as "api:<id>" in its dedupe key: a longer id would be cut, and two ids alike in their
# first characters would be taken for one event.
EVENT_ID_LENGTH = limits.max_length((TrackingEvent, "dedupe_key")) - len(f"{EVENT_SOURCE}:")


class EventIn(Strict):
    occurred_at: Moment
    status: ShipmentStatus = Field(..., description="The normalised status this event means.")
    raw_status: _column_text((TrackingEvent, "raw_status"), (Shipment, "raw_status")) = Field(
        "", description="Your or the carrier's own word for it, kept beside the status."
    )
    message: _column_text((TrackingEvent, "message")) = ""
    city: _column_text((TrackingEvent, "city")) = ""
    region: _column_text((TrackingEvent, "region")) = ""
    postal_code: _column_text((TrackingEvent, "postal_code")) = ""
    country: Country = ""
    external_id: Annotated[str, StringConstraints(max_length=EVENT_ID_LENGTH), BeforeValidator(_text_only)] = Field(
        "", description="The event's id, if it has one: an event sent twice is stored once either way."
    )
    estimated_delivery: Day | None = None


class EventsIn(Strict):
    events: list[EventIn] = Field(..., min_length=1, max_length=MAX_EVENTS)


class ShipmentIn(Strict):
    external_id: OptionalExternalId = Field(
        "", description="Optional in a PUT (the path names it; if sent, it must match); required in a batch."
    )
    order_external_id: ExternalId = Field(..., description="The order this shipment belongs to, sent before.")
    tracking_number: _column_text((Shipment, "tracking_number")) = ""
    carrier: Annotated[
        str,
        StringConstraints(max_length=limits.max_length((Shipment, "carrier"))),
        BeforeValidator(_text_only),
        AfterValidator(str.lower),
    ] = Field("", description="Carrier code, e.g. ups, dhl, poste_italiane; detected from the number when left out.")
    carrier_name: _column_text((Shipment, "carrier_name")) = ""
    tracking_url: _url_type((Shipment, "tracking_url")) = ""
    shipped_at: Moment | None = None
    estimated_delivery: Day | None = None
    events: list[EventIn] | None = Field(None, max_length=MAX_EVENTS, description="Tracking events to add.")
    historical: bool = Field(
        False, description="Part of an import of the past: it counts in figures and RFM and starts no email."
    )


def _as_is(value: Any) -> Any:
    return value


def _item(schema: type[Schema]) -> Any:
    """A batch item: taken as sent, read one by one so a bad item fails alone; documented as `schema`."""
    return Annotated[Any, PlainValidator(_as_is, json_schema_input_type=schema)]


_BATCH = Field(..., min_length=1, max_length=MAX_BATCH_ITEMS, description="1 to 1,000 items, applied one by one.")


class ProductBatchIn(Strict):
    items: list[_item(ProductIn)] = _BATCH


class CustomerBatchIn(Strict):
    items: list[_item(CustomerIn)] = _BATCH


class OrderBatchIn(Strict):
    items: list[_item(OrderIn)] = _BATCH


class CartBatchIn(Strict):
    items: list[_item(CartIn)] = _BATCH


class ShipmentBatchIn(Strict):
    items: list[_item(ShipmentIn)] = _BATCH


# --- Outputs ----------------------------------------------------------------------------------


class ProductOut(Schema):
    external_id: str
    name: str
    sku: str
    url: str
    image_url: str
    price: Decimal | None
    currency: str
    category: str
    in_stock: bool
    replenishment_days: int | None
    created_at: datetime
    modified_at: datetime


class CustomerOut(Schema):
    email: str
    external_id: str
    first_name: str
    last_name: str
    phone: str
    locale: str
    time_zone: str
    accepts_marketing: bool = Field(..., alias="marketing_consent")
    suppressed: bool = Field(..., alias="is_suppressed")
    orders_count: int
    total_spent: Decimal
    first_order_at: datetime | None
    last_order_at: datetime | None
    created_at: datetime
    modified_at: datetime


class LineOut(Schema):
    title: str
    variant_title: str
    quantity: int
    unit_price: Decimal
    product_external_id: str

    @staticmethod
    def resolve_product_external_id(line) -> str:
        return line.product.external_id if line.product_id else ""


class OrderLineOut(LineOut):
    external_id: str
    sku: str


class OrderOut(Schema):
    external_id: str
    number: str
    status: OrderStatus
    placed_at: datetime
    cancelled_at: datetime | None
    updated_at: datetime | None = Field(..., alias="source_updated_at")
    email: str
    customer_email: str
    locale: str
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    discount_codes: list[str]
    order_status_url: str
    shipping_name: str
    shipping_city: str
    shipping_postcode: str
    shipping_country: str
    tracking_page_url: str = Field(..., description="The buyer's tracking page for this order.")
    lines: list[OrderLineOut]
    created_at: datetime
    modified_at: datetime

    @staticmethod
    def resolve_customer_email(order) -> str:
        return order.customer.email if order.customer_id else ""

    @staticmethod
    def resolve_tracking_page_url(order) -> str:
        return settings.SITE_URL + order.get_tracking_url()

    @staticmethod
    def resolve_lines(order):
        return order.lines.select_related("product").order_by("id")


class CartOut(Schema):
    external_id: str
    updated_at: datetime
    email: str
    currency: str
    subtotal: Decimal
    recovery_url: str
    converted: bool = Field(..., alias="is_converted")
    converted_order_external_id: str
    converted_at: datetime | None
    lines: list[LineOut]
    created_at: datetime
    modified_at: datetime

    @staticmethod
    def resolve_converted_order_external_id(cart) -> str:
        return cart.converted_order.external_id if cart.converted_order_id else ""

    @staticmethod
    def resolve_lines(cart):
        return cart.lines.select_related("product").order_by("id")


class EventOut(Schema):
    occurred_at: datetime
    status: ShipmentStatus
    raw_status: str
    source: str
    message: str
    city: str
    region: str
    postal_code: str
    country: str


class ShipmentOut(Schema):
    external_id: str
    order_external_id: str
    tracking_number: str
    carrier: str
    carrier_name: str
    tracking_url: str
    status: ShipmentStatus
    raw_status: str
    shipped_at: datetime | None
    estimated_delivery: date | None
    delivered_at: datetime | None
    last_event_at: datetime | None
    events: list[EventOut] = Field(..., description="Newest first.")
    created_at: datetime
    modified_at: datetime

    @staticmethod
    def resolve_order_external_id(shipment) -> str:
        return shipment.order.external_id

    @staticmethod
    def resolve_events(shipment):
        return shipment.events.order_by("-occurred_at", "-id")


class EventsOut(Schema):
    new_events: int = Field(..., description="How many of the events sent were not known yet.")
    shipment: ShipmentOut


class ItemResult(Schema):
    index: int = Field(..., description="The item's position in `items`, from 0.")
    external_id: str | None
    status: Literal["created", "updated", "error"]
    error: str | None = None
    errors: dict[str, str] = Field(default_factory=dict, description="Field path to what is wrong with it.")


class BatchOut(Schema):
    created: int
    updated: int
    failed: int
    items: list[ItemResult]


class ErrorOut(Schema):
    error: str
    fields: dict[str, str] = Field(
        default_factory=dict, description="Each invalid field, as a dotted path (lines.0.quantity), and why."
    )

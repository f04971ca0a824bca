"""The rows the seed writes in bulk: which tables and columns, one chunk's rows per table, and the id
ranges that let chunks be built apart.

Rows are plain tuples in the order of the field lists (see `apps.demo.bulk`), holding each column's
Python value already typed (Decimal money, aware datetimes), so COPY needs no conversion.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import models

from apps.customers.models import ConsentEvent, Customer
from apps.demo.bulk import BulkWriter
from apps.orders.models import Cart, CartLine, Order, OrderLine
from apps.shipments.models import Shipment, TrackingEvent

# The tables the seed fills, parents first: ids are handed out from each table's max(id) + 1.
BULK_MODELS: list[type[models.Model]] = [
    Customer,
    ConsentEvent,
    Order,
    OrderLine,
    Shipment,
    TrackingEvent,
    Cart,
    CartLine,
]

CUSTOMER_FIELDS = [
    "id",
    "store",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "locale",
    "time_zone",
    "marketing_consent",
    "consent_source",
    "consent_at",
    "suppressed_at",
    "suppression_reason",
    "orders_count",
    "total_spent",
    "first_order_at",
    "last_order_at",
    "created_at",
    "modified_at",
]
CONSENT_FIELDS = ["id", "store", "customer", "granted", "source", "occurred_at", "note", "created_at", "modified_at"]
ORDER_FIELDS = [
    "id",
    "store",
    "external_id",
    "number",
    "customer",
    "email",
    "locale",
    "source",
    "status",
    "placed_at",
    "cancelled_at",
    "currency",
    "subtotal",
    "discount_total",
    "shipping_total",
    "tax_total",
    "total",
    "discount_codes",
    "order_status_url",
    "tracking_token",
    "shipping_name",
    "shipping_city",
    "shipping_postcode",
    "shipping_country",
    "created_at",
    "modified_at",
]
LINE_FIELDS = [
    "id",
    "store",
    "order",
    "product",
    "external_id",
    "title",
    "variant_title",
    "sku",
    "quantity",
    "unit_price",
    "image_url",
    "created_at",
    "modified_at",
]
SHIPMENT_FIELDS = [
    "id",
    "store",
    "order",
    "external_id",
    "carrier",
    "carrier_name",
    "tracking_number",
    "tracking_url",
    "status",
    "raw_status",
    "status_source",
    "shipped_at",
    "estimated_delivery",
    "delivered_at",
    "last_event_at",
    "created_at",
    "modified_at",
]
CART_FIELDS = [
    "id",
    "store",
    "external_id",
    "customer",
    "email",
    "currency",
    "subtotal",
    "recovery_url",
    "updated_at",
    "converted_order",
    "converted_at",
    "created_at",
    "modified_at",
]
CART_LINE_FIELDS = [
    "id",
    "store",
    "cart",
    "product",
    "title",
    "variant_title",
    "quantity",
    "unit_price",
    "image_url",
    "created_at",
    "modified_at",
]

_MONEY: dict[int, Decimal] = {}


def money(cents: int) -> Decimal:
    """Minor units as a Decimal, shared: the same amounts come back millions of times."""
    value = _MONEY.get(cents)
    if value is None:
        value = _MONEY[cents] = Decimal(cents).scaleb(-2)
    return value


fromtimestamp = datetime.fromtimestamp


class Rows:
    """One chunk's rows per table, parents first, and the plans of its shipments' tracking events (the database
    writes the events from them: `apps.demo.events`)."""

    TABLES = (
        ("customers", Customer, CUSTOMER_FIELDS),
        ("consent_events", ConsentEvent, CONSENT_FIELDS),
        ("orders", Order, ORDER_FIELDS),
        ("order_lines", OrderLine, LINE_FIELDS),
        ("shipments", Shipment, SHIPMENT_FIELDS),
        ("carts", Cart, CART_FIELDS),
        ("cart_lines", CartLine, CART_LINE_FIELDS),
    )

    def __init__(self) -> None:
        for name, _, _ in self.TABLES:
            setattr(self, name, [])
        self.event_plans: list[tuple] = []

    def write(self, writer: BulkWriter) -> None:
        for name, model, fields in self.TABLES:
            writer.write(model, fields, getattr(self, name))


# Most rows a chunk can take per table, per customer or per order: chunks get id ranges this wide up
# front, so they can be built in any order, in any process, and come out the same.
CHUNK_BOUNDS = {
    Customer: (1, 0),
    ConsentEvent: (2, 0),
    OrderLine: (0, 4),
    Shipment: (0, 1),
    TrackingEvent: (0, 6),
    Cart: (2, 1),
    CartLine: (6, 3),
}


@dataclass(frozen=True)
class Chunk:
    number: int
    start: int  # customers [start, stop) of the store
    stop: int
    first_ids: dict  # model -> first primary key this chunk may use
    last_ids: dict  # model -> first primary key it may not

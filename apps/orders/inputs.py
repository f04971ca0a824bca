"""What integrations and the API hand to order services: plain data, already translated."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from apps.core.bounds import InputError, bound, bounded_value, column, text_problem
from apps.customers.inputs import CustomerIn

from .models import Cart, CartLine, Order, OrderLine, OrderSource, OrderStatus, Product

# Every input checks its values against the columns they go to (apps.core.bounds): text without NUL or lone
# surrogates and cut to fit, identifiers/addresses/links refused when too long, amounts and quantities
# within the column, datetimes with a time zone. A translator's bug is an InputError naming the field,
# never a database error half-way through a service.

ID = column(Product, "external_id")


def _bound_id(value: str, name: str) -> None:
    bounded_value(ID, value, name=name, exact=True)


@dataclass(frozen=True)
class ProductIn:
    external_id: str
    name: str
    sku: str = ""
    url: str = ""
    image_url: str = ""
    price: Decimal | None = None
    currency: str = ""
    category: str = ""
    in_stock: bool = True
    replenishment_days: int | None = None

    def __post_init__(self):
        bound(self, Product, exact=("external_id",))


@dataclass(frozen=True)
class LineIn:
    title: str
    quantity: int = 1
    unit_price: Decimal = Decimal(0)
    product_external_id: str = ""
    external_id: str = ""
    sku: str = ""
    variant_title: str = ""
    image_url: str = ""

    def __post_init__(self):
        bound(self, OrderLine, exact=("external_id",))
        bound(self, CartLine)  # the same line goes to a cart: the columns are alike, checked all the same
        _bound_id(self.product_external_id, "product_external_id")


@dataclass(frozen=True)
class OrderIn:
    external_id: str
    number: str
    placed_at: datetime
    currency: str
    source: OrderSource = OrderSource.API
    status: OrderStatus = OrderStatus.PAID
    customer: CustomerIn | None = None
    email: str = ""
    locale: str = ""
    subtotal: Decimal = Decimal(0)
    discount_total: Decimal = Decimal(0)
    shipping_total: Decimal = Decimal(0)
    tax_total: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    discount_codes: list[str] = field(default_factory=list)
    order_status_url: str = ""
    shipping_name: str = ""
    shipping_city: str = ""
    shipping_postcode: str = ""
    shipping_country: str = ""
    cancelled_at: datetime | None = None
    updated_at: datetime | None = None
    cart_external_id: str = ""  # the checkout this order came from, if the source says
    lines: list[LineIn] | None = None  # None: keep the lines we have
    historical: bool = False  # an import of the past: it feeds figures, never starts a flow

    def __post_init__(self):
        bound(self, Order, renames={"updated_at": "source_updated_at"}, exact=("external_id",))
        _bound_id(self.cart_external_id, "cart_external_id")
        for index, code in enumerate(self.discount_codes):
            problem = text_problem(code) if isinstance(code, str) else "is not text"
            if problem:
                raise InputError(f"discount_codes[{index}]", problem)


@dataclass(frozen=True)
class CartIn:
    external_id: str
    updated_at: datetime
    currency: str
    email: str = ""
    customer: CustomerIn | None = None
    subtotal: Decimal = Decimal(0)
    recovery_url: str = ""
    completed_order_external_id: str = ""
    lines: list[LineIn] = field(default_factory=list)
    historical: bool = False

    def __post_init__(self):
        bound(self, Cart, exact=("external_id",))
        _bound_id(self.completed_order_external_id, "completed_order_external_id")

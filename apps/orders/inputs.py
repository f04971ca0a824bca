"""What integrations and the API hand to order services: plain data, already translated."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from apps.customers.inputs import CustomerIn

from .models import OrderSource, OrderStatus


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

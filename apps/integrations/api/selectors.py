"""Store-scoped reads by external id. Another store's id is simply not found."""

from apps.customers.models import Customer
from apps.orders.models import Cart, Order, Product
from apps.shipments.models import Shipment
from apps.stores.models import Store


def product_by_external_id(*, store: Store, external_id: str) -> Product | None:
    return Product.objects.filter(store=store, external_id=external_id).first()


def customer_by_key(*, store: Store, key: str) -> Customer | None:
    """A key with an @ is an email (any case); anything else is the customer's external id."""
    if "@" in key:
        return Customer.objects.filter(store=store, email=key.strip().lower()).first()
    return Customer.objects.filter(store=store, external_id=key).first() if key else None


def order_by_external_id(*, store: Store, external_id: str) -> Order | None:
    return Order.objects.select_related("customer", "store").filter(store=store, external_id=external_id).first()


def cart_by_external_id(*, store: Store, external_id: str) -> Cart | None:
    return Cart.objects.select_related("converted_order").filter(store=store, external_id=external_id).first()


def shipment_by_external_id(*, store: Store, external_id: str) -> Shipment | None:
    if not external_id:
        return None
    return Shipment.objects.select_related("order").filter(store=store, external_id=external_id).first()

"""Store-scoped reads by external id. Another store's id is simply not found."""

from decimal import Decimal

from django.db.models import Q, Sum

from apps.customers.models import Customer
from apps.orders.models import Cart, Order, OrderStatus, Product
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


def buyers_of_order(*, store: Store, order_external_id: str, email: str, external_id: str) -> list[int]:
    """The ids of the customers an incoming order may count towards: the one with the buyer's email or
    external id, else the one the stored order already has."""
    match = Q(email=email.strip().lower()) if email else Q()
    if external_id:
        match |= Q(external_id=external_id)
    if match:
        buyers = list(Customer.objects.filter(match, store=store).values_list("pk", flat=True))
        if buyers:
            return buyers
    known = Order.objects.filter(store=store, external_id=order_external_id, customer__isnull=False)
    return list(known.values_list("customer_id", flat=True))


def customer_spend_without(*, customer_id: int, store: Store, order_external_id: str) -> Decimal:
    """What a customer's orders other than this one add up to, cancelled ones aside (as their stats count)."""
    others = (
        Order.objects.filter(customer_id=customer_id)
        .exclude(status=OrderStatus.CANCELLED)
        .exclude(store=store, external_id=order_external_id)
    )
    return others.aggregate(spent=Sum("total"))["spent"] or Decimal(0)

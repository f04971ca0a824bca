"""Every write to products, orders and carts. Integrations and the API translate, then call these."""

from dataclasses import replace

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.events import announce_after_commit
from apps.core.upsert import lock_or_create
from apps.customers.inputs import CustomerIn
from apps.customers.models import ConsentSource
from apps.customers.services import customer_record_order_stats, customer_upsert
from apps.stores.models import Store

from . import events
from .inputs import CartIn, LineIn, OrderIn, ProductIn
from .models import Cart, CartLeaveReason, CartLine, Order, OrderLine, OrderStatus, Product
from .selectors import order_stats_for_customer

ORDER_FIELDS = (
    "number", "email", "locale", "source", "status", "placed_at", "cancelled_at", "currency", "subtotal",
    "discount_total", "shipping_total", "tax_total", "total", "discount_codes", "order_status_url",
    "shipping_name", "shipping_city", "shipping_postcode", "shipping_country",
)  # fmt: skip
PRODUCT_FIELDS = ("name", "sku", "url", "image_url", "price", "currency", "category", "in_stock", "replenishment_days")


@transaction.atomic
def product_upsert(*, store: Store, data: ProductIn) -> tuple[Product, bool]:
    product, created = lock_or_create(
        Product, lookup={"store": store, "external_id": data.external_id}, defaults={"name": data.name}
    )
    changed = [name for name in PRODUCT_FIELDS if getattr(product, name) != getattr(data, name)]
    if data.replenishment_days is None and "replenishment_days" in changed:
        changed.remove("replenishment_days")  # a feed without the interval keeps the merchant's
    for name in changed:
        setattr(product, name, getattr(data, name))
    if changed:
        product.save(update_fields=[*changed, "modified_at"])
    return product, created


def _products_by_external_id(store: Store, lines: list[LineIn]) -> dict[str, Product]:
    wanted = {line.product_external_id for line in lines if line.product_external_id}
    return {p.external_id: p for p in Product.objects.filter(store=store, external_id__in=wanted)} if wanted else {}


def _line_fields(store: Store, line: LineIn, products: dict[str, Product]) -> dict:
    product = products.get(line.product_external_id)
    return {
        "store": store,
        "product": product,
        "title": line.title[:255],
        "variant_title": line.variant_title[:255],
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "image_url": line.image_url or (product.image_url if product else ""),
    }


@transaction.atomic
def order_upsert(*, store: Store, data: OrderIn) -> tuple[Order, bool]:
    """Create or update an order by its external id. Replays and older deliveries change nothing."""
    known = Order.objects.select_for_update().filter(store=store, external_id=data.external_id).first()
    if known and data.updated_at and known.source_updated_at and data.updated_at < known.source_updated_at:
        return known, False  # an older version of what we already have: not even its customer is applied
    customer = None
    email = (data.email or (data.customer.email if data.customer else "")).strip().lower()
    if data.customer and data.customer.email:
        stated = _stated_at_checkout(data.customer, data.placed_at)
        customer = customer_upsert(store=store, data=stated, consent_source=ConsentSource.CHECKOUT)
    values = {name: getattr(data, name) for name in ORDER_FIELDS}
    values.update(email=email, customer_id=customer.pk if customer else None, source_updated_at=data.updated_at)
    if values["status"] == OrderStatus.CANCELLED and not values["cancelled_at"]:
        values["cancelled_at"] = timezone.now()
    lookup = {"store": store, "external_id": data.external_id}
    order, created = lock_or_create(Order, lookup=lookup, defaults={**values, "is_history": data.historical})
    changed = []
    previous_status = None if created else order.status
    if not created:
        values["customer_id"] = values["customer_id"] or order.customer_id
        values["source_updated_at"] = data.updated_at or order.source_updated_at
        if values["status"] == OrderStatus.CANCELLED and not data.cancelled_at:
            values["cancelled_at"] = order.cancelled_at or values["cancelled_at"]
        changed = [name for name, value in values.items() if getattr(order, name) != value]
        for name in changed:
            setattr(order, name, values[name])
        if changed:
            order.save(update_fields=[*changed, "modified_at"])

    if data.lines is not None:
        _replace_order_lines(order, data.lines)
    if order.customer_id and (created or changed):
        customer_record_order_stats(
            customer_id=order.customer_id, **order_stats_for_customer(customer_id=order.customer_id)
        )
    if data.cart_external_id:
        _convert_cart(store=store, cart_external_id=data.cart_external_id, order=order)

    if order.is_history:
        return order, created  # the past: it counts in figures and RFM, and starts nothing
    if created and order.status != OrderStatus.CANCELLED:
        announce_after_commit(events.order_placed, Order, order_id=order.pk)
    if order.status == OrderStatus.CANCELLED and previous_status not in (None, OrderStatus.CANCELLED):
        announce_after_commit(events.order_cancelled, Order, order_id=order.pk)
    return order, created


def _stated_at_checkout(customer: CustomerIn, moment) -> CustomerIn:
    """A checkout's marketing box speaks for the moment of the checkout, however late the shop re-sends it."""
    return customer if customer.consent_at else replace(customer, consent_at=moment)


def _replace_order_lines(order: Order, lines: list[LineIn]) -> None:
    products = _products_by_external_id(order.store, lines)
    wanted = [(_line_fields(order.store, line, products), line.external_id) for line in lines]
    current = list(
        order.lines.values("title", "variant_title", "sku", "quantity", "unit_price", "product_id", "external_id")
    )
    incoming = [
        {
            "title": f["title"], "variant_title": f["variant_title"], "sku": f["sku"], "quantity": f["quantity"],
            "unit_price": f["unit_price"], "product_id": f["product"].pk if f["product"] else None, "external_id": ext,
        }
        for f, ext in wanted
    ]  # fmt: skip
    if current == incoming:
        return
    # A line the shop names again (its id) is changed in place, so what hangs on it (a buyer's review of it)
    # stays; lines without an id, or no longer sent, are replaced.
    known = {line.external_id: line for line in order.lines.exclude(external_id="")}
    kept, added = [], []
    for fields, ext in wanted:
        line = known.pop(ext, None) if ext else None
        if line is None:
            added.append(OrderLine(order=order, external_id=ext, **fields))
            continue
        for name, value in fields.items():
            setattr(line, name, value)
        line.modified_at = timezone.now()
        kept.append(line)
    order.lines.exclude(pk__in=[line.pk for line in kept]).delete()
    if kept:
        OrderLine.objects.bulk_update(kept, [*(name for name in wanted[0][0] if name != "store"), "modified_at"])
    OrderLine.objects.bulk_create(added)


def _convert_cart(*, store: Store, cart_external_id: str, order: Order) -> None:
    converted = Cart.objects.filter(store=store, external_id=cart_external_id, converted_order__isnull=True).update(
        converted_order=order, converted_at=order.placed_at, modified_at=timezone.now()
    )
    if converted:
        cart_id = Cart.objects.filter(store=store, external_id=cart_external_id).values_list("pk", flat=True).first()
        announce_after_commit(events.cart_converted, Cart, cart_id=cart_id, order_id=order.pk)


@transaction.atomic
def cart_upsert(*, store: Store, data: CartIn) -> tuple[Cart, bool]:
    """Create or refresh a checkout. A converted cart stays converted; older deliveries are ignored."""
    known = Cart.objects.filter(store=store, external_id=data.external_id).values_list("updated_at", flat=True).first()
    if known and data.updated_at < known:
        return Cart.objects.get(store=store, external_id=data.external_id), False
    customer = None
    email = (data.email or (data.customer.email if data.customer else "")).strip().lower()
    if data.customer and data.customer.email:
        stated = _stated_at_checkout(data.customer, data.updated_at)
        customer = customer_upsert(store=store, data=stated, consent_source=ConsentSource.CHECKOUT)
    cart, created = lock_or_create(
        Cart,
        lookup={"store": store, "external_id": data.external_id},
        defaults={"updated_at": data.updated_at, "currency": data.currency, "is_history": data.historical},
    )
    if not created and data.updated_at < cart.updated_at:
        return cart, False
    values = {
        "email": email or cart.email,
        "customer_id": customer.pk if customer else cart.customer_id,
        "currency": data.currency,
        "subtotal": data.subtotal,
        "recovery_url": data.recovery_url or cart.recovery_url,
        "updated_at": data.updated_at,
    }
    changed = [name for name, value in values.items() if getattr(cart, name) != value]
    for name in changed:
        setattr(cart, name, values[name])
    if changed and not created:
        cart.save(update_fields=[*changed, "modified_at"])
    elif created:
        cart.save()
    products = _products_by_external_id(store, data.lines)
    lines_changed = created or _cart_lines_differ(cart, data.lines)
    if lines_changed:
        cart.lines.all().delete()
        CartLine.objects.bulk_create(
            [
                CartLine(cart=cart, **{k: v for k, v in _line_fields(store, line, products).items() if k != "sku"})
                for line in data.lines
            ]
        )
    if data.completed_order_external_id:
        order = Order.objects.filter(store=store, external_id=data.completed_order_external_id).first()
        if order:
            _convert_cart(store=store, cart_external_id=cart.external_id, order=order)
    elif (changed or lines_changed) and not cart.is_converted and not cart.is_history:
        announce_after_commit(events.cart_updated, Cart, cart_id=cart.pk)
    return cart, created


def cart_record_leave_reason(*, cart_id: int, reason: str, note: str = "") -> Cart:
    """The buyer's answer to "what stopped you?". A second answer replaces the first (people change their
    mind or correct a slip); the moment says when they last answered. A note is kept only with "other"."""
    if reason not in CartLeaveReason.values:
        raise ValueError(f"unknown reason {reason!r}")
    note = note.strip()[:500] if reason == CartLeaveReason.OTHER else ""
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart_id)
        if (cart.leave_reason, cart.leave_reason_note) != (reason, note):
            cart.leave_reason, cart.leave_reason_note, cart.leave_reason_at = reason, note, timezone.now()
            cart.save(update_fields=["leave_reason", "leave_reason_note", "leave_reason_at", "modified_at"])
    return cart


def _cart_lines_differ(cart: Cart, lines: list[LineIn]) -> bool:
    current = list(cart.lines.values_list("title", "variant_title", "quantity", "unit_price"))
    return current != [(line.title[:255], line.variant_title[:255], line.quantity, line.unit_price) for line in lines]


def buyer_anonymise(*, store_id: int, customer_id: int, email: str, anonymous: str, now) -> list[int]:
    """Blank what an erased buyer's orders and carts say about the person (their own, and guest rows under
    their address), keeping amounts and lines so the store's figures stand. Returns the order ids."""
    buyer = Q(customer_id=customer_id) | Q(customer__isnull=True, email=email)
    orders = Order.objects.filter(buyer, store_id=store_id)
    order_ids = list(orders.values_list("pk", flat=True))
    orders.update(
        email=anonymous, shipping_name="", shipping_city="", shipping_postcode="", order_status_url="", modified_at=now
    )
    Cart.objects.filter(buyer, store_id=store_id).update(email=anonymous, recovery_url="", modified_at=now)
    # Pages and caches that show these orders must forget the person now, not when they expire.
    announce_after_commit(events.orders_changed_in_bulk, Order, order_ids=order_ids)
    return order_ids

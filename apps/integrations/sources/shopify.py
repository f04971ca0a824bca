"""Shopify webhooks: orders, checkouts, fulfillments and their events, customers."""

from apps.customers.inputs import CustomerIn
from apps.customers.models import ConsentSource
from apps.customers.services import customer_upsert
from apps.orders.inputs import CartIn, LineIn, OrderIn
from apps.orders.models import Order, OrderSource, OrderStatus
from apps.orders.services import cart_upsert, order_upsert
from apps.shipments.carriers import carrier_code_for_name
from apps.shipments.inputs import EventIn, ShipmentIn
from apps.shipments.models import Shipment
from apps.shipments.models import ShipmentStatus as S
from apps.shipments.services import shipment_record_events, shipment_upsert
from apps.stores.models import Store

from ..adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest, parse_json_object, require
from ..models import Source
from ..parsing import day, ident, moment, money, text
from ..signatures import matches_base64_hmac

# Shopify's fulfillment event / shipment_status words (FulfillmentEventStatus) → our statuses.
STATUS_MAP: dict[str, str] = {
    "label_printed": S.INFO_RECEIVED,
    "label_purchased": S.INFO_RECEIVED,
    "confirmed": S.INFO_RECEIVED,
    "carrier_picked_up": S.IN_TRANSIT,
    "in_transit": S.IN_TRANSIT,
    "delayed": S.EXCEPTION,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "attempted_delivery": S.ATTEMPT_FAILED,
    "ready_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "picked_up": S.DELIVERED,
    "delivered": S.DELIVERED,
    "failure": S.EXCEPTION,
}

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled"}
CHECKOUT_TOPICS = {"checkouts/create", "checkouts/update"}
FULFILLMENT_TOPICS = {"fulfillments/create", "fulfillments/update"}
CUSTOMER_TOPICS = {"customers/create", "customers/update"}


def map_status(raw: str | None) -> str:
    return STATUS_MAP.get((raw or "").lower(), S.UNKNOWN)


def order_status(payload: dict) -> OrderStatus:
    if payload.get("cancelled_at"):
        return OrderStatus.CANCELLED
    if payload.get("financial_status") in ("refunded",):
        return OrderStatus.REFUNDED
    fulfillment = payload.get("fulfillment_status")
    if fulfillment == "fulfilled":
        return OrderStatus.FULFILLED
    if fulfillment == "partial":
        return OrderStatus.PARTIALLY_FULFILLED
    if payload.get("financial_status") in ("pending", "authorized", None):
        return OrderStatus.PENDING
    return OrderStatus.PAID


def customer_in(payload: dict, *, email: str, locale: str = "") -> CustomerIn | None:
    customer = payload.get("customer") or {}
    email = email or customer.get("email") or ""
    if not email:
        return None
    consent = payload.get("buyer_accepts_marketing")
    if consent is None:
        consent = (customer.get("email_marketing_consent") or {}).get("state") == "subscribed" or None
    return CustomerIn(
        email=email,
        external_id=ident(customer.get("id")),
        first_name=text(customer.get("first_name"), 100),
        last_name=text(customer.get("last_name"), 100),
        phone=text(customer.get("phone"), 40),
        locale=(locale or "")[:2],
        accepts_marketing=consent,
    )


def lines_in(items: list, *, where: str) -> list[LineIn]:
    lines = []
    for index, item in enumerate(items or []):
        require(item, "quantity", where=f"{where}[{index}]")
        lines.append(
            LineIn(
                title=text(item.get("title") or item.get("name")),
                quantity=int(item["quantity"]),
                unit_price=money(item.get("price"), field=f"{where}[{index}].price"),
                product_external_id=ident(item.get("product_id")),
                external_id=ident(item.get("id")),
                sku=text(item.get("sku"), 100),
                variant_title=text(item.get("variant_title")),
            )
        )
    return lines


def order_in(payload: dict) -> OrderIn:
    require(payload, "id", "created_at", "currency")
    shipping = payload.get("shipping_address") or {}
    email = (payload.get("email") or payload.get("contact_email") or "").strip()
    shipping_total = (((payload.get("total_shipping_price_set") or {}).get("shop_money")) or {}).get("amount")
    return OrderIn(
        external_id=ident(payload["id"]),
        number=text(payload.get("name") or payload.get("order_number") or payload["id"], 40),
        placed_at=moment(payload.get("processed_at") or payload["created_at"], field="created_at"),
        updated_at=moment(payload.get("updated_at"), field="updated_at", required=False),
        currency=text(payload["currency"], 3).upper(),
        source=OrderSource.SHOPIFY,
        status=order_status(payload),
        email=email,
        locale=text(payload.get("customer_locale"), 5)[:2],
        customer=customer_in(payload, email=email, locale=payload.get("customer_locale") or ""),
        subtotal=money(payload.get("subtotal_price"), field="subtotal_price"),
        discount_total=money(payload.get("total_discounts"), field="total_discounts"),
        shipping_total=money(shipping_total, field="total_shipping_price_set"),
        tax_total=money(payload.get("total_tax"), field="total_tax"),
        total=money(payload.get("total_price"), field="total_price"),
        discount_codes=[text(code.get("code"), 100) for code in payload.get("discount_codes") or []],
        order_status_url=text(payload.get("order_status_url"), 500),
        shipping_name=text(shipping.get("name"), 200),
        shipping_city=text(shipping.get("city"), 120),
        shipping_postcode=text(shipping.get("zip"), 20),
        shipping_country=text(shipping.get("country_code"), 2).upper(),
        cancelled_at=moment(payload.get("cancelled_at"), field="cancelled_at", required=False),
        cart_external_id=ident(payload.get("checkout_token") or ""),
        lines=lines_in(payload.get("line_items"), where="line_items"),
    )


def cart_in(payload: dict) -> CartIn:
    # The documented samples carry no top-level id: the checkout token names the cart.
    require(payload, "token", "updated_at", "currency")
    email = (payload.get("email") or "").strip()
    return CartIn(
        external_id=ident(payload["token"]),
        updated_at=moment(payload["updated_at"], field="updated_at"),
        currency=text(payload["currency"], 3).upper(),
        email=email,
        customer=customer_in(payload, email=email, locale=payload.get("customer_locale") or ""),
        subtotal=money(payload.get("subtotal_price") or payload.get("total_line_items_price"), field="subtotal_price"),
        recovery_url=text(payload.get("abandoned_checkout_url"), 1000),
        completed_order_external_id=ident(payload.get("order_id")) if payload.get("completed_at") else "",
        lines=lines_in(payload.get("line_items"), where="line_items"),
    )


def find_order(store: Store, order_id) -> Order:
    order = Order.objects.filter(store=store, external_id=ident(order_id)).first()
    if order is None:
        raise PayloadError(f"Order {order_id} is not known yet; replay this delivery once it has arrived.")
    return order


def apply_fulfillment(store: Store, payload: dict) -> Applied:
    require(payload, "id", "order_id")
    order = find_order(store, payload["order_id"])
    numbers = payload.get("tracking_numbers") or [payload.get("tracking_number")]
    urls = payload.get("tracking_urls") or [payload.get("tracking_url")]
    company = text(payload.get("tracking_company"), 100)
    shipment, created = shipment_upsert(
        order=order,
        data=ShipmentIn(
            external_id=ident(payload["id"]),
            tracking_number=text(numbers[0] if numbers else "", 100),
            tracking_url=text(urls[0] if urls else "", 500),
            carrier=carrier_code_for_name(company),
            carrier_name=company,
            shipped_at=moment(payload.get("created_at"), field="created_at", required=False),
        ),
    )
    raw = payload.get("shipment_status")
    if raw:
        at = moment(payload.get("updated_at") or payload.get("created_at"), field="updated_at")
        shipment_record_events(
            shipment=shipment,
            incoming=[EventIn(occurred_at=at, status=map_status(raw), raw_status=raw, source=Source.SHOPIFY)],
        )
    return Applied(summary=f"Shipment {shipment.tracking_number or shipment.pk} {'created' if created else 'updated'}",
                   object_id=shipment.external_id)  # fmt: skip


def apply_fulfillment_event(store: Store, payload: dict) -> Applied:
    require(payload, "id", "fulfillment_id", "order_id", "status", "happened_at")
    order = find_order(store, payload["order_id"])
    shipment = Shipment.objects.filter(store=store, external_id=ident(payload["fulfillment_id"])).first()
    if shipment is None:
        shipment, _ = shipment_upsert(
            order=order, data=ShipmentIn(tracking_number="", external_id=ident(payload["fulfillment_id"]))
        )
    event = EventIn(
        occurred_at=moment(payload["happened_at"], field="happened_at"),
        status=map_status(payload["status"]),
        raw_status=text(payload["status"], 100),
        source=Source.SHOPIFY,
        message=text(payload.get("message"), 500),
        city=text(payload.get("city"), 120),
        region=text(payload.get("province"), 120),
        postal_code=text(payload.get("zip"), 20),
        country=text(payload.get("country"), 2),
        external_id=ident(payload["id"]),
        estimated_delivery=day(payload.get("estimated_delivery_at"), field="estimated_delivery_at"),
    )
    new = shipment_record_events(shipment=shipment, incoming=[event])
    return Applied(summary=f"{new} new event(s) on shipment {shipment.pk}", object_id=shipment.external_id)


class ShopifyAdapter(JsonWebhookAdapter):
    source = Source.SHOPIFY

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_base64_hmac(secrets=secrets, body=body, signature=headers.get("X-Shopify-Hmac-Sha256", ""))

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = parse_json_object(body)
        topic = headers.get("X-Shopify-Topic", "")
        if not topic:
            raise PayloadError("The X-Shopify-Topic header is missing.", fields={"X-Shopify-Topic": "required"})
        return Delivery(
            topic=topic, delivery_id=headers.get("X-Shopify-Webhook-Id") or body_digest(body), payload=payload
        )

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        topic, payload = delivery.topic, delivery.payload
        if topic in ORDER_TOPICS:
            order, created = order_upsert(store=store, data=order_in(payload))
            return Applied(
                summary=f"Order {order.number} {'created' if created else 'updated'}", object_id=order.external_id
            )
        if topic in CHECKOUT_TOPICS:
            cart, created = cart_upsert(store=store, data=cart_in(payload))
            return Applied(
                summary=f"Cart {cart.external_id} {'created' if created else 'updated'}", object_id=cart.external_id
            )
        if topic in FULFILLMENT_TOPICS:
            return apply_fulfillment(store, payload)
        if topic == "fulfillment_events/create":
            return apply_fulfillment_event(store, payload)
        if topic in CUSTOMER_TOPICS:
            require(payload, "email")
            consent = (payload.get("email_marketing_consent") or {}).get("state")
            customer = customer_upsert(
                store=store,
                data=CustomerIn(
                    email=payload["email"], external_id=ident(payload.get("id")),
                    first_name=text(payload.get("first_name"), 100), last_name=text(payload.get("last_name"), 100),
                    phone=text(payload.get("phone"), 40),
                    accepts_marketing=None if consent is None else consent == "subscribed",
                ),
                consent_source=ConsentSource.CHECKOUT,
            )  # fmt: skip
            return Applied(summary=f"Customer {customer.email} saved", object_id=customer.external_id)
        return Applied(summary=f"Topic {topic} is not used", ignored=True)


ADAPTER = ShopifyAdapter()

"""Shopify: inbound webhooks, and the calls out a connected shop takes (`REMOTE`).

`read` validates a delivery into typed inputs (OrderIn, CartIn, FulfillmentIn, FulfillmentEventIn,
CustomerIn, UninstallIn) before anything is stored; `apply` looks up what they name and calls the services.
Calling out lives beside it: client.py (GraphQL, throttling), setup.py (shop, webhooks), history.py,
discounts.py, sample.py ("Send a test event") and oauth.py (the install flow).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from apps.customers.inputs import CustomerIn
from apps.customers.models import ConsentSource, Customer
from apps.customers.services import customer_upsert
from apps.orders.inputs import CartIn, LineIn, OrderIn
from apps.orders.models import Cart, Order, OrderLine, OrderSource, OrderStatus
from apps.orders.services import cart_upsert, order_upsert
from apps.shipments.carriers import carrier_code_for_name
from apps.shipments.inputs import EventIn, ShipmentIn
from apps.shipments.models import Shipment, TrackingEvent
from apps.shipments.services import shipment_record_events, shipment_upsert
from apps.stores.models import Store

from ...adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest
from ...models import Source
from ...parsing import Obj, header_text, ident, parse_json, url
from ...remotes import CredentialField, Remote
from ...signatures import matches_base64_hmac
from .client import clean_shop_domain
from .discounts import coupon_create
from .history import history_apply, history_page
from .mapping import STATUS_MAP, language, map_status, order_status_of
from .sample import TEST_ORDER_ID, test_event
from .setup import setup, teardown
from .uninstall import connection_mark_uninstalled

__all__ = ["ADAPTER", "REMOTE", "STATUS_MAP", "language", "map_status"]

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled"}
CHECKOUT_TOPICS = {"checkouts/create", "checkouts/update"}
FULFILLMENT_TOPICS = {"fulfillments/create", "fulfillments/update"}
CUSTOMER_TOPICS = {"customers/create", "customers/update"}
UNINSTALLED = "app/uninstalled"

# The columns each value goes to: their lengths, digits and ranges bound what is read (see parsing).
ORDER, LINE, CART = Order._meta.get_field, OrderLine._meta.get_field, Cart._meta.get_field
SHIPMENT, EVENT, PERSON = Shipment._meta.get_field, TrackingEvent._meta.get_field, Customer._meta.get_field


@dataclass(frozen=True)
class FulfillmentIn:
    """fulfillments/create|update: the shipment of an order, and its status as an event when it has one."""

    order_id: str
    shipment: ShipmentIn
    event: EventIn | None = None


@dataclass(frozen=True)
class FulfillmentEventIn:
    """fulfillment_events/create: one carrier event on a fulfillment of an order."""

    order_id: str
    fulfillment_id: str
    event: EventIn


@dataclass(frozen=True)
class UninstallIn:
    """app/uninstalled: the merchant removed our app; `shop_domain` says from which shop."""

    shop_domain: str


def order_status(payload: Obj) -> OrderStatus:
    return order_status_of(
        financial=payload.text("financial_status", 40),
        fulfillment=payload.text("fulfillment_status", 40),
        cancelled=payload.has("cancelled_at"),
    )


def customer_in(payload: Obj, *, email: str, locale: str = "") -> CustomerIn | None:
    customer = payload.obj("customer")
    email = email or customer.email("email")
    if not email:
        return None
    consent = payload.flag("buyer_accepts_marketing")
    if consent is None:
        state = customer.obj("email_marketing_consent").text("state", 40)
        consent = state == "subscribed" or None
    return CustomerIn(
        email=email,
        external_id=customer.ident("id", limit=PERSON("external_id")),
        first_name=customer.text("first_name", PERSON("first_name")),
        last_name=customer.text("last_name", PERSON("last_name")),
        phone=customer.text("phone", PERSON("phone")),
        locale=language(locale),
        accepts_marketing=consent,
    )


def lines_in(payload: Obj, key: str) -> list[LineIn]:
    lines = []
    for item in payload.objs(key):
        item.require("quantity")
        lines.append(
            LineIn(
                title=item.text(item.first("title", "name"), LINE("title")),
                quantity=item.quantity("quantity", LINE("quantity")),
                unit_price=item.money("price", LINE("unit_price")),
                product_external_id=item.ident("product_id"),
                external_id=item.ident("id", limit=LINE("external_id")),
                sku=item.text("sku", LINE("sku")),
                variant_title=item.text("variant_title", LINE("variant_title")),
            )
        )
    return lines


def order_in(payload: Obj) -> OrderIn:
    payload.require("id", "created_at", "currency")
    shipping = payload.obj("shipping_address")
    email = payload.email(payload.first("email", "contact_email"))
    locale = payload.text("customer_locale", 20)
    placed = payload.first("processed_at", "created_at")
    shipping_money = payload.obj("total_shipping_price_set").obj("shop_money")
    return OrderIn(
        external_id=payload.ident("id", limit=ORDER("external_id")),
        number=payload.text(payload.first("name", "order_number", "id"), ORDER("number")),
        placed_at=payload.moment(placed, required=True),
        updated_at=payload.moment("updated_at"),
        currency=payload.code("currency", 3, required=True, strict=True),
        source=OrderSource.SHOPIFY,
        status=order_status(payload),
        email=email,
        locale=locale[:2],
        customer=customer_in(payload, email=email, locale=locale),
        subtotal=payload.money("subtotal_price", ORDER("subtotal")),
        discount_total=payload.money("total_discounts", ORDER("discount_total")),
        shipping_total=shipping_money.money("amount", ORDER("shipping_total")),
        tax_total=payload.money("total_tax", ORDER("tax_total")),
        total=payload.money("total_price", ORDER("total")),
        discount_codes=[code.text("code", 100) for code in payload.objs("discount_codes")],
        order_status_url=payload.url("order_status_url", ORDER("order_status_url")),
        shipping_name=shipping.text("name", ORDER("shipping_name")),
        shipping_city=shipping.text("city", ORDER("shipping_city")),
        shipping_postcode=shipping.text("zip", ORDER("shipping_postcode")),
        shipping_country=shipping.code("country_code", 2),
        cancelled_at=payload.moment("cancelled_at"),
        cart_external_id=payload.ident("checkout_token", limit=CART("external_id")),
        lines=lines_in(payload, "line_items"),
        # Our own "Send a test event" order is recorded but starts no flow: its buyer is nobody. A merchant's
        # test order (Bogus Gateway) does start its flows: that is how a merchant tries them.
        historical=payload.raw("test") is True and str(payload.raw("id")) == TEST_ORDER_ID,
    )


def cart_in(payload: Obj) -> CartIn:
    # The documented samples carry no top-level id: the checkout token names the cart.
    payload.require("token", "updated_at", "currency")
    email = payload.email("email")
    locale = payload.text("customer_locale", 20)
    return CartIn(
        external_id=payload.ident("token", limit=CART("external_id")),
        updated_at=payload.moment("updated_at", required=True),
        currency=payload.code("currency", 3, required=True, strict=True),
        email=email,
        customer=customer_in(payload, email=email, locale=locale),
        subtotal=payload.money(payload.first("subtotal_price", "total_line_items_price"), CART("subtotal")),
        recovery_url=payload.url("abandoned_checkout_url", CART("recovery_url")),
        completed_order_external_id=payload.ident("order_id") if payload.has("completed_at") else "",
        lines=lines_in(payload, "line_items"),
    )


def fulfillment_in(payload: Obj) -> FulfillmentIn:
    payload.require("id", "order_id")
    number_field = "tracking_numbers[0]" if payload.list("tracking_numbers") else "tracking_number"
    url_field = "tracking_urls[0]" if payload.list("tracking_urls") else "tracking_url"
    numbers = payload.list("tracking_numbers") or [payload.raw("tracking_number")]
    urls = payload.list("tracking_urls") or [payload.raw("tracking_url")]
    number = ident(numbers[0], field=number_field, limit=SHIPMENT("tracking_number"))
    link = url(urls[0], SHIPMENT("tracking_url"), field=url_field)
    company = payload.text("tracking_company", SHIPMENT("carrier_name"))
    raw = payload.text("shipment_status", EVENT("raw_status"))
    event = None
    if raw:
        at = payload.moment(payload.first("updated_at", "created_at"), required=True)
        event = EventIn(occurred_at=at, status=map_status(raw), raw_status=raw, source=Source.SHOPIFY)
    return FulfillmentIn(
        order_id=payload.ident("order_id"),
        shipment=ShipmentIn(
            external_id=payload.ident("id", limit=SHIPMENT("external_id")),
            tracking_number=number,
            tracking_url=link,
            carrier=carrier_code_for_name(company),
            carrier_name=company,
            shipped_at=payload.moment("created_at"),
        ),
        event=event,
    )


def fulfillment_event_in(payload: Obj) -> FulfillmentEventIn:
    payload.require("id", "fulfillment_id", "order_id", "status", "happened_at")
    raw = payload.text("status", EVENT("raw_status"))
    return FulfillmentEventIn(
        order_id=payload.ident("order_id"),
        fulfillment_id=payload.ident("fulfillment_id", limit=SHIPMENT("external_id")),
        event=EventIn(
            occurred_at=payload.moment("happened_at", required=True),
            status=map_status(raw),
            raw_status=raw,
            source=Source.SHOPIFY,
            message=payload.text("message", EVENT("message")),
            city=payload.text("city", EVENT("city")),
            region=payload.text("province", EVENT("region")),
            postal_code=payload.text("zip", EVENT("postal_code")),
            country=payload.code("country", 2),
            external_id=payload.ident("id"),
            estimated_delivery=payload.day("estimated_delivery_at"),
        ),
    )


def customer_only_in(payload: Obj) -> CustomerIn:
    payload.require("email")
    consent = payload.obj("email_marketing_consent").text("state", 40)
    return CustomerIn(
        email=payload.email("email"),
        external_id=payload.ident("id", limit=PERSON("external_id")),
        first_name=payload.text("first_name", PERSON("first_name")),
        last_name=payload.text("last_name", PERSON("last_name")),
        phone=payload.text("phone", PERSON("phone")),
        accepts_marketing=None if not consent else consent == "subscribed",
    )


def uninstall_in(payload: Obj, headers) -> UninstallIn:
    domain = header_text(headers.get("X-Shopify-Shop-Domain"), 255)
    return UninstallIn(shop_domain=(domain or payload.text("myshopify_domain", 255)).lower())


def translate(topic: str, payload: Obj):
    """The typed inputs a delivery of this topic applies; None for a topic we do not use."""
    if topic in ORDER_TOPICS:
        return order_in(payload)
    if topic in CHECKOUT_TOPICS:
        return cart_in(payload)
    if topic in FULFILLMENT_TOPICS:
        return fulfillment_in(payload)
    if topic == "fulfillment_events/create":
        return fulfillment_event_in(payload)
    if topic in CUSTOMER_TOPICS:
        return customer_only_in(payload)
    return None


def find_order(store: Store, order_id: str) -> Order:
    order = Order.objects.filter(store=store, external_id=order_id).first()
    if order is None:
        raise PayloadError(
            f"Order {order_id} is not known yet; replay this delivery once it has arrived.",
            fields={"order_id": "unknown order"},
            public="The order is not known yet; the delivery is kept and can be replayed once the order has arrived.",
        )
    return order


def apply_fulfillment(store: Store, data: FulfillmentIn) -> Applied:
    order = find_order(store, data.order_id)
    shipment, created = shipment_upsert(order=order, data=data.shipment)
    if data.event is not None:
        shipment_record_events(shipment=shipment, incoming=[data.event])
    return Applied(summary=f"Shipment {shipment.tracking_number or shipment.pk} {'created' if created else 'updated'}",
                   object_id=shipment.external_id)  # fmt: skip


def apply_fulfillment_event(store: Store, data: FulfillmentEventIn) -> Applied:
    order = find_order(store, data.order_id)
    shipment = Shipment.objects.filter(store=store, external_id=data.fulfillment_id).first()
    if shipment is None:
        shipment, _ = shipment_upsert(order=order, data=ShipmentIn(tracking_number="", external_id=data.fulfillment_id))
    new = shipment_record_events(shipment=shipment, incoming=[data.event])
    return Applied(summary=f"{new} new event(s) on shipment {shipment.pk}", object_id=shipment.external_id)


def apply_uninstall(store: Store, data: UninstallIn) -> Applied:
    changed = connection_mark_uninstalled(store=store, source=Source.SHOPIFY, shop_domain=data.shop_domain)
    if not changed:  # another shop's uninstall (the store moved to a new shop), or already disconnected
        return Applied(summary=f"App uninstalled from {data.shop_domain or 'a shop'}: nothing to change", ignored=True)
    return Applied(summary=f"App uninstalled from {data.shop_domain or 'the shop'}: connection disconnected")


class ShopifyAdapter(JsonWebhookAdapter):
    source = Source.SHOPIFY
    signature_header = "X-Shopify-Hmac-Sha256"

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_base64_hmac(secrets=secrets, body=body, signature=headers.get(self.signature_header, ""))

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = parse_json(body)
        topic = header_text(headers.get("X-Shopify-Topic"), 80)
        if not topic:
            raise PayloadError(
                "The X-Shopify-Topic header is missing.", fields={"X-Shopify-Topic": "required"}, status=400
            )
        data = uninstall_in(Obj(payload), headers) if topic == UNINSTALLED else translate(topic, Obj(payload))
        delivery_id = header_text(headers.get("X-Shopify-Webhook-Id"), 128) or body_digest(body)
        return Delivery(topic=topic, delivery_id=delivery_id, payload=payload, data=data)

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        data = delivery.data
        if isinstance(data, OrderIn):
            order, created = order_upsert(store=store, data=data)
            return Applied(
                summary=f"Order {order.number} {'created' if created else 'updated'}", object_id=order.external_id
            )
        if isinstance(data, CartIn):
            cart, created = cart_upsert(store=store, data=data)
            return Applied(
                summary=f"Cart {cart.external_id} {'created' if created else 'updated'}", object_id=cart.external_id
            )
        if isinstance(data, FulfillmentIn):
            return apply_fulfillment(store, data)
        if isinstance(data, FulfillmentEventIn):
            return apply_fulfillment_event(store, data)
        if isinstance(data, CustomerIn):
            customer = customer_upsert(store=store, data=data, consent_source=ConsentSource.CHECKOUT)
            return Applied(summary=f"Customer {customer.email} saved", object_id=customer.external_id)
        if isinstance(data, UninstallIn):
            return apply_uninstall(store, data)
        return Applied(summary=f"Topic {delivery.topic} is not used", ignored=True)


ADAPTER = ShopifyAdapter()

REMOTE = Remote(
    source=Source.SHOPIFY,
    kind="shop",
    fields=(
        CredentialField(
            name="address",
            label=gettext_lazy("Shop address"),
            target="address",
            help_text=gettext_lazy("Your shop's myshopify.com name, for example northwind.myshopify.com."),
            secret=False,
            clean=clean_shop_domain,
        ),
        CredentialField(
            name="api_token",
            label=gettext_lazy("Admin API access token"),
            target="api_token",
            help_text=gettext_lazy(
                "Shopify admin → Settings → Apps → Develop apps → your app → API credentials (starts shpat_)."
            ),
        ),
        CredentialField(
            name="secret",
            label=gettext_lazy("API secret key"),
            target="secret",
            help_text=gettext_lazy("On the same page: Shopify signs its webhooks with it."),
        ),
    ),
    setup=setup,
    teardown=teardown,
    history_page=history_page,
    history_apply=history_apply,
    coupon_create=coupon_create,
    test_event=test_event,
    docs_url="https://help.shopify.com/en/manual/apps/app-types/custom-apps",
)

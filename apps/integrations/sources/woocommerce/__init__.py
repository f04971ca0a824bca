"""WooCommerce webhooks: orders in the wc/v3 REST shape and in the legacy `{"order": {...}}` envelope.

WooCommerce's own behaviour this follows (class-wc-webhook.php):
- the body is signed as base64(HMAC-SHA256(secret, raw body)) in `X-WC-Webhook-Signature`;
- creating a webhook sends an unsigned form-encoded `webhook_id=<id>` ping that must get a 200;
- `X-WC-Webhook-Delivery-ID` is `wp_hash(webhook id . current second)` in current versions, so two
  deliveries of one webhook in the same second share it: the delivery key adds a digest of the body.

`read` validates a delivery into typed inputs before anything is stored: an order into a WooOrderIn (the
order and its plugin tracking numbers), a product into a ProductIn, a customer into a CustomerIn; `apply`
only looks up and calls the services. The same translations read the REST API's lists when a shop's history
is imported (`history.py`): a wc/v3 webhook sends exactly the resource the REST API returns.

Calling the shop (`REMOTE`, at the end): `client.py` (the address and the REST client), `webhooks.py`
(connecting, disconnecting, the test delivery), `history.py` (importing the past), `coupons.py` (our codes).
"""

import html
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy

from apps.core.bounds import money_limit
from apps.customers.inputs import CustomerIn
from apps.customers.models import ConsentSource, Customer
from apps.customers.services import customer_upsert
from apps.orders.inputs import LineIn, OrderIn, ProductIn
from apps.orders.models import Order, OrderLine, OrderSource, OrderStatus, Product
from apps.orders.services import order_upsert, product_upsert
from apps.shipments.inputs import ShipmentIn
from apps.shipments.models import Shipment
from apps.shipments.services import shipment_upsert
from apps.stores.models import Store

from ...adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest
from ...models import Source
from ...parsing import Obj, header_text, moment, money, parse_json, text
from ...remotes import CredentialField, Remote
from ...signatures import matches_base64_hmac
from ..aftership import header

# WooCommerce order statuses (core, plus the block checkout's draft and the bin) → our order statuses.
STATUS_MAP: dict[str, OrderStatus] = {
    "pending": OrderStatus.PENDING,  # awaiting payment
    "processing": OrderStatus.PAID,  # paid, to be shipped
    "on-hold": OrderStatus.PENDING,  # awaiting payment confirmation (e.g. bank transfer)
    "completed": OrderStatus.FULFILLED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.PENDING,  # payment failed or declined: unpaid, the buyer may pay again
    "checkout-draft": OrderStatus.PENDING,  # block checkout not yet placed (see `apply`)
    "trash": OrderStatus.CANCELLED,
}

# Shipment-tracking plugins' `tracking_provider` (letters and digits only, lower-cased) → our carrier codes.
PROVIDER_CODES: dict[str, str] = {
    "usps": "usps", "ups": "ups", "fedex": "fedex", "fedexsameday": "fedex", "dhl": "dhl", "dhlexpress": "dhl",
    "dhlus": "dhl", "royalmail": "royal_mail", "posteitaliane": "poste_italiane", "brt": "brt",
    "brtbartolini": "brt", "bartolini": "brt", "russianpost": "russian_post", "cdek": "cdek", "kazpost": "kazpost",
    "koreapost": "korea_post", "cjlogistics": "cj_logistics",
}  # fmt: skip

ORDER_TOPICS = {"order.created", "order.updated", "order.restored"}
PRODUCT_TOPICS = {"product.created", "product.updated", "product.restored"}
CUSTOMER_TOPICS = {"customer.created", "customer.updated"}
TEST_ORIGIN = "afterglow-test"  # `created_via` of the delivery "Send a test event" makes (webhooks.py)
TRACKING_META_KEY = "_wc_shipment_tracking_items"
MAX_META = 10_000  # plugins keep much in an order's and a line's meta; only a few entries are read
PING = re.compile(rb"webhook_id=\d+")


# The columns each value goes to: their lengths, digits and ranges bound what is read (see parsing).
ORDER, LINE, SHIPMENT, PERSON, PRODUCT = (
    Order._meta.get_field,
    OrderLine._meta.get_field,
    Shipment._meta.get_field,
    Customer._meta.get_field,
    Product._meta.get_field,
)


@dataclass(frozen=True)
class WooOrderIn:
    """An order delivery: the order, whether it is an unplaced block-checkout draft, and the tracking numbers
    that shipment-tracking plugins keep in its meta."""

    order: OrderIn
    draft: bool = False
    shipments: list[ShipmentIn] = field(default_factory=list)
    test: bool = False  # our own "Send a test event" delivery: read and checked, never stored


def order_status(raw: str | None, *, paid: bool) -> OrderStatus:
    """Our status for a WooCommerce status; a plugin's own status counts as paid once payment is recorded."""
    word = (raw or "").strip().lower().removeprefix("wc-")
    if word in STATUS_MAP:
        return STATUS_MAP[word]
    return OrderStatus.PAID if paid else OrderStatus.PENDING


def order_number(value: str) -> str:
    """Buyers see WooCommerce numbers as "#727"; a plugin's formatted number stays as it is."""
    number = value[: ORDER("number").max_length - 1]
    return f"#{number}" if number.isdigit() else number


def provider_code(name: str) -> str:
    return PROVIDER_CODES.get(re.sub(r"[^a-z0-9]", "", name.lower()), "")


def variant_title(entries: list[Obj]) -> str:
    parts = []
    for entry in entries:
        key_text = entry.text("key", None)
        if key_text.startswith("_"):
            continue
        key = entry.text("display_key", None) or key_text.removeprefix("pa_")
        value = entry.raw("display_value") or entry.raw("value")
        if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
            shown = text(value, None, field=entry.path("display_value" if entry.has("display_value") else "value"))
            parts.append(f"{html.unescape(key)}: {html.unescape(shown)}")
    return ", ".join(parts)[: LINE("variant_title").max_length]


def lines_in(payload: Obj, key: str) -> list[LineIn]:
    lines = []
    for item in payload.objs(key):
        item.require("quantity")
        quantity = item.quantity("quantity", LINE("quantity"))
        if item.has("price"):
            price = item.money("price", LINE("unit_price"))
        elif quantity:
            # The line's subtotal spread over its units, bounded first by what an order's subtotal holds.
            per_unit = item.money("subtotal", ORDER("subtotal")) / quantity
            price = money(per_unit, field=item.path("subtotal"), column=LINE("unit_price"))
        else:
            price = Decimal(0)
        meta = item.objs("meta_data" if item.raw("meta_data") else "meta", skip_others=True, most=MAX_META)
        lines.append(
            LineIn(
                title=html.unescape(item.text("name", LINE("title"))),
                quantity=quantity,
                unit_price=price,
                product_external_id=item.ident("product_id") if item.raw("product_id") not in (0, "0") else "",
                external_id=item.ident("id", limit=LINE("external_id")),
                sku=item.text("sku", LINE("sku")),
                variant_title=variant_title(meta),
            )
        )
    return lines


def customer_in(*, email: str, customer_id: str, person: Obj, fallback: Obj | None = None) -> CustomerIn | None:
    if not email:
        return None

    def name(key: str) -> str:
        found = person.text(key, PERSON(key))
        return found or (fallback.text(key, PERSON(key)) if fallback is not None else "")

    return CustomerIn(
        email=email,
        external_id="" if customer_id in ("", "0") else customer_id,
        first_name=name("first_name"),
        last_name=name("last_name"),
        phone=name("phone"),
    )


def address_fields(shipping: Obj, billing: Obj) -> dict:
    """Where it goes: the shipping address, or the billing one for orders that ship nothing."""
    place = shipping if any(shipping.has(k) for k in ("city", "postcode", "country")) else billing
    name = " ".join(part for part in (place.text("first_name"), place.text("last_name")) if part)
    return {
        "shipping_name": name[: ORDER("shipping_name").max_length],
        "shipping_city": place.text("city", ORDER("shipping_city")),
        "shipping_postcode": place.text("postcode", ORDER("shipping_postcode")),
        "shipping_country": place.code("country", 2),
    }


def coupon_codes(order: Obj) -> list[str]:
    return [coupon.text("code", 100) for coupon in order.objs("coupon_lines", skip_others=True)]


def v3_order_in(order: Obj) -> OrderIn:
    """An order as the wc/v1-v3 REST API shows it. `date_*_gmt` are UTC without an offset."""
    order.require("id", "currency", "status")
    billing, shipping = order.obj("billing"), order.obj("shipping")
    email = billing.email("email")
    lines = lines_in(order, "line_items")
    subtotal = sum((item.money("subtotal", ORDER("subtotal")) for item in order.objs("line_items")), Decimal(0))
    if subtotal > money_limit(ORDER("subtotal")):
        raise PayloadError(
            "line_items: the subtotals add up to more than an order holds.",
            fields={"line_items": f"subtotals add up to more than {money_limit(ORDER('subtotal'))}"},
        )
    return OrderIn(
        external_id=order.ident("id", limit=ORDER("external_id")),
        number=order_number(order.text(order.first("number", "id"), None)),
        placed_at=order.moment(order.first("date_created_gmt", "date_created"), required=True),
        updated_at=order.moment(order.first("date_modified_gmt", "date_modified")),
        currency=order.code("currency", 3, required=True, strict=True),
        source=OrderSource.WOOCOMMERCE,
        status=order_status(order.text("status", 40), paid=bool(order.raw("date_paid_gmt") or order.raw("date_paid"))),
        email=email,
        customer=customer_in(
            email=email, customer_id=order.ident("customer_id", limit=PERSON("external_id")), person=billing
        ),
        subtotal=subtotal,
        discount_total=order.money("discount_total", ORDER("discount_total")),
        shipping_total=order.money("shipping_total", ORDER("shipping_total")),
        tax_total=order.money("total_tax", ORDER("tax_total")),
        total=order.money("total", ORDER("total")),
        discount_codes=coupon_codes(order),
        lines=lines,
        **address_fields(shipping, billing),
    )


def legacy_order_in(order: Obj) -> OrderIn:
    """An order in the legacy REST API (v1-v3) envelope: `created_at` and friends carry a `Z`."""
    order.require("id", "currency", "status", "created_at")
    billing, shipping = order.obj("billing_address"), order.obj("shipping_address")
    customer = order.obj("customer")
    email = billing.email("email") or customer.email("email")
    paid = bool(order.obj("payment_details").raw("paid"))
    return OrderIn(
        external_id=order.ident("id", limit=ORDER("external_id")),
        number=order_number(order.text(order.first("order_number", "id"), None)),
        placed_at=order.moment("created_at", required=True),
        updated_at=order.moment("updated_at"),
        currency=order.code("currency", 3, required=True, strict=True),
        source=OrderSource.WOOCOMMERCE,
        status=order_status(order.text("status", 40), paid=paid),
        email=email,
        customer=customer_in(
            email=email,
            customer_id=order.ident("customer_id", limit=PERSON("external_id")),
            person=billing,
            fallback=customer,
        ),
        subtotal=order.money("subtotal", ORDER("subtotal")),
        discount_total=order.money("total_discount", ORDER("discount_total")),
        shipping_total=order.money("total_shipping", ORDER("shipping_total")),
        tax_total=order.money("total_tax", ORDER("tax_total")),
        total=order.money("total", ORDER("total")),
        discount_codes=coupon_codes(order),
        order_status_url=order.url("view_order_url", ORDER("order_status_url")),
        lines=lines_in(order, "line_items"),
        **address_fields(shipping, billing),
    )


def tracking_items(order: Obj) -> list[Obj]:
    """Tracking numbers that shipment-tracking plugins keep in the order's meta (`_wc_shipment_tracking_items`)."""
    value, where = None, ""
    for meta in order.objs("meta_data", skip_others=True, most=MAX_META):
        if meta.raw("key") == TRACKING_META_KEY:
            value, where = meta.raw("value"), meta.path("value")
    order_meta = order.raw("order_meta")
    if value is None and isinstance(order_meta, dict):
        value, where = order_meta.get(TRACKING_META_KEY), order.obj("order_meta").path(TRACKING_META_KEY)
    if isinstance(value, str):
        try:
            value = parse_json(value.encode())
        except PayloadError:
            return []
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        return []
    return [Obj(item, f"{where}[{index}]") for index, item in enumerate(value) if isinstance(item, dict)]


def shipped_at(item: Obj) -> datetime | None:
    """The plugins store `date_shipped` as a Unix timestamp; some write a date. Anything else is left out."""
    raw = item.raw("date_shipped")
    try:
        if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()):
            return item.timestamp("date_shipped")
        if isinstance(raw, str) and len(raw.strip()) == 10:
            return moment(raw.strip() + "T00:00:00", field=item.path("date_shipped"))
        return item.moment("date_shipped")
    except PayloadError:
        return None


def shipments_in(items: list[Obj]) -> list[ShipmentIn]:
    shipments = []
    for item in items:
        number = item.ident("tracking_number", limit=SHIPMENT("tracking_number"))
        if not number:
            continue
        provider = item.text("tracking_provider", SHIPMENT("carrier_name"))
        custom = item.text("custom_tracking_provider", SHIPMENT("carrier_name"))
        carrier = provider_code(provider or custom)
        shipments.append(
            ShipmentIn(
                tracking_number=number,
                carrier=carrier,
                carrier_name=custom or ("" if carrier else provider),
                tracking_url=item.url("custom_tracking_link", SHIPMENT("tracking_url")),
                shipped_at=shipped_at(item),
            )
        )
    return shipments


def woo_order_in(order: Obj, *, legacy: bool = False) -> WooOrderIn:
    """An order (wc/v3 shape, or the legacy envelope's inside) with its tracking numbers and flags."""
    status = order.text("status", 40).lower()
    test = order.raw("created_via") == TEST_ORIGIN
    data = legacy_order_in(order) if legacy else v3_order_in(order)
    return WooOrderIn(
        order=replace(data, historical=True) if test else data,
        draft=status == "checkout-draft",
        shipments=shipments_in(tracking_items(order)),
        test=test,
    )


def v3_product_in(product: Obj, *, currency: str = "") -> ProductIn:
    """A product as the wc/v3 REST API shows it. One that is not published, or out of stock, is kept but
    not offered (in_stock False): recommendations only show what a buyer can order."""
    external_id = product.ident("id", required=True, limit=PRODUCT("external_id"))
    images = product.objs("images", skip_others=True)
    categories = product.objs("categories", skip_others=True)
    price = product.money("price", PRODUCT("price")) if product.has("price") else None
    published = product.text("status", 20).lower() in ("", "publish")
    return ProductIn(
        external_id=external_id,
        name=html.unescape(product.text("name", PRODUCT("name"))) or f"Product {external_id}",
        sku=product.text("sku", PRODUCT("sku")),
        url=product.url("permalink", PRODUCT("url")),
        image_url=images[0].url("src", PRODUCT("image_url")) if images else "",
        price=price,
        currency=currency if price is not None else "",
        category=html.unescape(categories[0].text("name", PRODUCT("category"))) if categories else "",
        in_stock=published and product.text("stock_status", 20).lower() != "outofstock",
    )


def v3_customer_in(customer: Obj) -> CustomerIn | None:
    """A registered customer as the wc/v3 REST API shows it; None without an address. WooCommerce keeps no
    marketing consent of its own, so consent is left as it is (accepts_marketing None)."""
    billing = customer.obj("billing")
    return customer_in(
        email=customer.email("email") or billing.email("email"),
        customer_id=customer.ident("id", required=True, limit=PERSON("external_id")),
        person=customer,
        fallback=billing,
    )


def translate(topic: str, payload: Obj) -> WooOrderIn | ProductIn | CustomerIn | None:
    if topic in PRODUCT_TOPICS:
        return v3_product_in(payload)
    if topic in CUSTOMER_TOPICS:
        return v3_customer_in(payload)
    if topic not in ORDER_TOPICS:
        return None
    legacy = isinstance(payload.raw("order"), dict) and "id" not in payload.data
    return woo_order_in(payload.obj("order") if legacy else payload, legacy=legacy)


def apply_tracking(store: Store, order: Order, shipments: list[ShipmentIn]) -> int:
    """A shipment for every tracking number the order's meta names and the store does not track yet."""
    added = 0
    for data in shipments:
        if Shipment.objects.filter(store=store, tracking_number__iexact=data.tracking_number).exists():
            continue
        shipment_upsert(order=order, data=data)
        added += 1
    return added


class WooCommerceAdapter(JsonWebhookAdapter):
    source = Source.WOOCOMMERCE
    signature_header = "X-WC-Webhook-Signature"

    def is_ping(self, request, body: bytes) -> bool:
        """The unsigned `webhook_id=<id>` form post WooCommerce sends when a webhook is saved."""
        if any(name.lower().startswith("x-wc-webhook-") for name in request.headers):
            return False
        return request.content_type == "application/x-www-form-urlencoded" and PING.fullmatch(body.strip()) is not None

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_base64_hmac(secrets=secrets, body=body, signature=header(headers, self.signature_header))

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = parse_json(body)
        topic = header_text(header(headers, "X-WC-Webhook-Topic"), 80)
        if not topic:
            raise PayloadError(
                "The X-WC-Webhook-Topic header is missing.", fields={"X-WC-Webhook-Topic": "required"}, status=400
            )
        data = translate(topic, Obj(payload))
        sent_id = header_text(header(headers, "X-WC-Webhook-Delivery-ID"), 60)
        digest = body_digest(body)
        return Delivery(
            topic=topic, delivery_id=f"{sent_id}:{digest}" if sent_id else digest, payload=payload, data=data
        )

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        data = delivery.data
        if data is None and delivery.topic in CUSTOMER_TOPICS:
            return Applied(summary="A customer without an email address: nothing to keep", ignored=True)
        if data is None:
            return Applied(summary=f"Topic {delivery.topic} is not used", ignored=True)
        if isinstance(data, ProductIn):
            product, created = product_upsert(store=store, data=with_currency(data, store.currency))
            return Applied(
                summary=f"Product {product.name} {'created' if created else 'updated'}", object_id=data.external_id
            )
        if isinstance(data, CustomerIn):
            customer = customer_upsert(store=store, data=data, consent_source=ConsentSource.CHECKOUT)
            return Applied(summary="Customer saved", object_id=customer.external_id)
        if data.test:
            return Applied(
                summary=f"Test order {data.order.number} received: signature and payload checked, nothing stored",
                object_id=data.order.external_id,
            )
        external_id = data.order.external_id
        if data.draft and not Order.objects.filter(store=store, external_id=external_id).exists():
            return Applied(summary=f"Order {external_id} is a checkout draft, not placed yet", ignored=True)
        saved, created = order_upsert(store=store, data=data.order)
        shipments = apply_tracking(store, saved, data.shipments)
        summary = f"Order {saved.number} {'created' if created else 'updated'}"
        if shipments:
            summary += f", {shipments} shipment(s) added"
        return Applied(summary=summary, object_id=saved.external_id)


def with_currency(data: ProductIn, currency: str) -> ProductIn:
    """WooCommerce prices are in the shop's currency, which products do not repeat."""
    return replace(data, currency=currency) if data.price is not None and not data.currency else data


ADAPTER = WooCommerceAdapter()


# --- Calling the shop: imported last, as these modules use the translations above. ---------------------

from . import coupons, history, webhooks  # noqa: E402
from .client import clean_site_url  # noqa: E402

REMOTE = Remote(
    source=Source.WOOCOMMERCE,
    kind="shop",
    fields=(
        CredentialField(
            name="address",
            label=gettext_lazy("Shop address"),
            target="address",
            help_text=gettext_lazy("Your WordPress site's https:// address, such as https://shop.example.com."),
            secret=False,
            clean=clean_site_url,
        ),
        CredentialField(
            name="consumer_key",
            label=gettext_lazy("Consumer key"),
            target="api_key",
            help_text=gettext_lazy(
                "WooCommerce → Settings → Advanced → REST API → Add key, with Read/Write permissions. "
                "It starts with ck_."
            ),
        ),
        CredentialField(
            name="consumer_secret",
            label=gettext_lazy("Consumer secret"),
            target="api_token",
            help_text=gettext_lazy("Shown once, beside the consumer key. It starts with cs_."),
        ),
    ),
    setup=webhooks.setup,
    teardown=webhooks.teardown,
    history_page=history.history_page,
    history_apply=history.history_apply,
    coupon_create=coupons.coupon_create,
    test_event=webhooks.test_event,
    docs_url="https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication",
)

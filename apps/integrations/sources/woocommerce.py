"""WooCommerce webhooks: orders in the wc/v3 REST shape and in the legacy `{"order": {...}}` envelope.

WooCommerce's own behaviour this follows (class-wc-webhook.php):
- the body is signed as base64(HMAC-SHA256(secret, raw body)) in `X-WC-Webhook-Signature`;
- creating a webhook sends an unsigned form-encoded `webhook_id=<id>` ping that must get a 200;
- `X-WC-Webhook-Delivery-ID` is `wp_hash(webhook id . current second)` in current versions, so two
  deliveries of one webhook in the same second share it: the delivery key adds a digest of the body.
"""

import html
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

from apps.customers.inputs import CustomerIn
from apps.orders.inputs import LineIn, OrderIn
from apps.orders.models import Order, OrderSource, OrderStatus
from apps.orders.services import order_upsert
from apps.shipments.inputs import ShipmentIn
from apps.shipments.models import Shipment
from apps.shipments.services import shipment_upsert
from apps.stores.models import Store

from ..adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest, parse_json_object, require
from ..models import Source
from ..parsing import ident, moment, money, text
from ..signatures import matches_base64_hmac
from .aftership import header

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
TRACKING_META_KEY = "_wc_shipment_tracking_items"
PING = re.compile(rb"webhook_id=\d+")


def order_status(raw: str | None, *, paid: bool) -> OrderStatus:
    """Our status for a WooCommerce status; a plugin's own status counts as paid once payment is recorded."""
    word = (raw or "").strip().lower().removeprefix("wc-")
    if word in STATUS_MAP:
        return STATUS_MAP[word]
    return OrderStatus.PAID if paid else OrderStatus.PENDING


def order_number(value) -> str:
    """Buyers see WooCommerce numbers as "#727"; a plugin's formatted number stays as it is."""
    number = text(value, 39)
    return f"#{number}" if number.isdigit() else number


def provider_code(name: str) -> str:
    return PROVIDER_CODES.get(re.sub(r"[^a-z0-9]", "", name.lower()), "")


def variant_title(meta: list) -> str:
    parts = []
    for entry in meta or []:
        if not isinstance(entry, dict) or str(entry.get("key", "")).startswith("_"):
            continue
        key = entry.get("display_key") or str(entry.get("key", "")).removeprefix("pa_")
        value = entry.get("display_value") or entry.get("value")
        if isinstance(value, str | int | float) and value != "":
            parts.append(f"{html.unescape(str(key))}: {html.unescape(str(value))}")
    return ", ".join(parts)[:255]


def lines_in(items: list, *, where: str) -> list[LineIn]:
    lines = []
    for index, item in enumerate(items or []):
        here = f"{where}[{index}]"
        require(item, "quantity", where=here)
        try:
            quantity = int(item["quantity"])
        except (TypeError, ValueError) as exc:
            raise PayloadError(
                f"{here}.quantity is not a whole number.", fields={f"{here}.quantity": "not a number"}
            ) from exc
        price = item.get("price")
        if price in (None, "") and quantity:
            price = money(item.get("subtotal"), field=f"{here}.subtotal") / quantity
        lines.append(
            LineIn(
                title=html.unescape(text(item.get("name"))),
                quantity=quantity,
                unit_price=money(price, field=f"{here}.price"),
                product_external_id=ident(item.get("product_id")) if item.get("product_id") else "",
                external_id=ident(item.get("id")),
                sku=text(item.get("sku"), 100),
                variant_title=variant_title(item.get("meta_data") or item.get("meta")),
            )
        )
    return lines


def customer_in(*, email: str, customer_id, person: dict) -> CustomerIn | None:
    if not email:
        return None
    return CustomerIn(
        email=email,
        external_id=ident(customer_id) if customer_id not in (None, 0, "0", "") else "",
        first_name=text(person.get("first_name"), 100),
        last_name=text(person.get("last_name"), 100),
        phone=text(person.get("phone"), 40),
    )


def address_fields(shipping: dict, billing: dict) -> dict:
    """Where it goes: the shipping address, or the billing one for orders that ship nothing."""
    place = shipping if any(shipping.get(k) for k in ("city", "postcode", "country")) else billing
    name = " ".join(part for part in (text(place.get("first_name")), text(place.get("last_name"))) if part)
    return {
        "shipping_name": text(name, 200),
        "shipping_city": text(place.get("city"), 120),
        "shipping_postcode": text(place.get("postcode"), 20),
        "shipping_country": text(place.get("country"), 2).upper(),
    }


def v3_order_in(order: dict) -> OrderIn:
    """An order as the wc/v1-v3 REST API shows it. `date_*_gmt` are UTC without an offset."""
    require(order, "id", "currency", "status")
    placed = order.get("date_created_gmt") or order.get("date_created")
    billing, shipping = order.get("billing") or {}, order.get("shipping") or {}
    email = text(billing.get("email"), 254)
    items = order.get("line_items") or []
    lines = lines_in(items, where="line_items")
    subtotal = sum(
        (money(item.get("subtotal"), field=f"line_items[{i}].subtotal") for i, item in enumerate(items)), Decimal(0)
    )
    return OrderIn(
        external_id=ident(order["id"]),
        number=order_number(order.get("number") or order["id"]),
        placed_at=moment(placed, field="date_created_gmt"),
        updated_at=moment(
            order.get("date_modified_gmt") or order.get("date_modified"), field="date_modified_gmt", required=False
        ),
        currency=text(order["currency"], 3).upper(),
        source=OrderSource.WOOCOMMERCE,
        status=order_status(order["status"], paid=bool(order.get("date_paid_gmt") or order.get("date_paid"))),
        email=email,
        customer=customer_in(email=email, customer_id=order.get("customer_id"), person=billing),
        subtotal=subtotal,
        discount_total=money(order.get("discount_total"), field="discount_total"),
        shipping_total=money(order.get("shipping_total"), field="shipping_total"),
        tax_total=money(order.get("total_tax"), field="total_tax"),
        total=money(order.get("total"), field="total"),
        discount_codes=[text(c.get("code"), 100) for c in order.get("coupon_lines") or [] if isinstance(c, dict)],
        lines=lines,
        **address_fields(shipping, billing),
    )


def legacy_order_in(order: dict) -> OrderIn:
    """An order in the legacy REST API (v1-v3) envelope: `created_at` and friends carry a `Z`."""
    require(order, "id", "currency", "status", "created_at", where="order")
    billing, shipping = order.get("billing_address") or {}, order.get("shipping_address") or {}
    customer = order.get("customer") or {}
    email = text(billing.get("email") or customer.get("email"), 254)
    return OrderIn(
        external_id=ident(order["id"]),
        number=order_number(order.get("order_number") or order["id"]),
        placed_at=moment(order["created_at"], field="order.created_at"),
        updated_at=moment(order.get("updated_at"), field="order.updated_at", required=False),
        currency=text(order["currency"], 3).upper(),
        source=OrderSource.WOOCOMMERCE,
        status=order_status(order["status"], paid=bool((order.get("payment_details") or {}).get("paid"))),
        email=email,
        customer=customer_in(email=email, customer_id=order.get("customer_id"), person={**customer, **billing}),
        subtotal=money(order.get("subtotal"), field="order.subtotal"),
        discount_total=money(order.get("total_discount"), field="order.total_discount"),
        shipping_total=money(order.get("total_shipping"), field="order.total_shipping"),
        tax_total=money(order.get("total_tax"), field="order.total_tax"),
        total=money(order.get("total"), field="order.total"),
        discount_codes=[text(c.get("code"), 100) for c in order.get("coupon_lines") or [] if isinstance(c, dict)],
        order_status_url=text(order.get("view_order_url"), 500),
        lines=lines_in(order.get("line_items"), where="order.line_items"),
        **address_fields(shipping, billing),
    )


def tracking_items(order: dict) -> list[dict]:
    """Tracking numbers that shipment-tracking plugins keep in the order's meta (`_wc_shipment_tracking_items`)."""
    value = None
    for meta in order.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") == TRACKING_META_KEY:
            value = meta.get("value")
    if value is None and isinstance(order.get("order_meta"), dict):
        value = order["order_meta"].get(TRACKING_META_KEY)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, dict):
        value = list(value.values())
    return [item for item in value or [] if isinstance(item, dict)] if isinstance(value, list) else []


def shipped_at(value) -> datetime | None:
    """The plugins store `date_shipped` as a Unix timestamp; some write a date. Anything else is left out."""
    if value in (None, ""):
        return None
    raw = str(value).strip()
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), tz=UTC)
    try:
        return moment(raw + "T00:00:00" if len(raw) == 10 else raw, field="date_shipped")
    except PayloadError:
        return None


def apply_tracking(store: Store, order: Order, items: list[dict]) -> int:
    """A shipment for every tracking number the order's meta names and the store does not track yet."""
    added = 0
    for item in items:
        number = text(item.get("tracking_number"), 100)
        if not number or Shipment.objects.filter(store=store, tracking_number__iexact=number).exists():
            continue
        provider = text(item.get("tracking_provider"), 100)
        custom = text(item.get("custom_tracking_provider"), 100)
        carrier = provider_code(provider or custom)
        shipment_upsert(
            order=order,
            data=ShipmentIn(
                tracking_number=number,
                carrier=carrier,
                carrier_name=custom or ("" if carrier else provider),
                tracking_url=text(item.get("custom_tracking_link"), 500),
                shipped_at=shipped_at(item.get("date_shipped")),
            ),
        )
        added += 1
    return added


class WooCommerceAdapter(JsonWebhookAdapter):
    source = Source.WOOCOMMERCE

    def is_ping(self, request, body: bytes) -> bool:
        """The unsigned `webhook_id=<id>` form post WooCommerce sends when a webhook is saved."""
        if any(name.lower().startswith("x-wc-webhook-") for name in request.headers):
            return False
        return request.content_type == "application/x-www-form-urlencoded" and PING.fullmatch(body.strip()) is not None

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_base64_hmac(secrets=secrets, body=body, signature=header(headers, "X-WC-Webhook-Signature"))

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = parse_json_object(body)
        topic = header(headers, "X-WC-Webhook-Topic").strip()
        if not topic:
            raise PayloadError("The X-WC-Webhook-Topic header is missing.", fields={"X-WC-Webhook-Topic": "required"})
        sent_id = header(headers, "X-WC-Webhook-Delivery-ID").strip()[:60]
        digest = body_digest(body)
        return Delivery(topic=topic, delivery_id=f"{sent_id}:{digest}" if sent_id else digest, payload=payload)

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        if delivery.topic not in ORDER_TOPICS:
            return Applied(summary=f"Topic {delivery.topic} is not used", ignored=True)
        payload = delivery.payload
        legacy = isinstance(payload.get("order"), dict) and "id" not in payload
        order = payload["order"] if legacy else payload
        if (
            str(order.get("status", "")).lower() == "checkout-draft"
            and not Order.objects.filter(store=store, external_id=ident(order.get("id"))).exists()
        ):
            return Applied(summary=f"Order {order.get('id')} is a checkout draft, not placed yet", ignored=True)
        saved, created = order_upsert(store=store, data=legacy_order_in(order) if legacy else v3_order_in(order))
        shipments = apply_tracking(store, saved, tracking_items(order))
        summary = f"Order {saved.number} {'created' if created else 'updated'}"
        if shipments:
            summary += f", {shipments} shipment(s) added"
        return Applied(summary=summary, object_id=saved.external_id)


ADAPTER = WooCommerceAdapter()

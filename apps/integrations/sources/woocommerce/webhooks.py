"""Our webhooks at a WooCommerce shop: connecting (check, read, register), disconnecting, a test delivery.

WooCommerce never shows a webhook's secret again once it is set (the REST answer has no `secret`), so we
cannot tell whether the webhooks we find carry the secret we hold. Setup therefore creates every webhook
afresh with the secret it returns, then removes the ones of ours it found before (delivery URL ours):
running it twice leaves one webhook per topic, no delivery falls in a gap between the two, and other
people's webhooks are never touched. The secret is the one the connection holds already (a new one the first
time), so deliveries signed while the connection is being saved still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from ...calls import ApiClient, CallError, Unauthorized
from ...models import Connection, Source
from ...remotes import SetupResult
from . import TEST_ORIGIN
from .client import error_code, error_message, header_int, normalise_site_url, site_url, woo_client

# What we listen to. order.deleted is left out: nothing of ours follows a deleted order (a cancelled or
# refunded one arrives as order.updated).
TOPICS = (
    "order.created",
    "order.updated",
    "customer.created",
    "customer.updated",
    "product.created",
    "product.updated",
)
WEBHOOK_NAME = "Afterglow"
MAX_LIST_PAGES = 10  # 100 webhooks a page; a shop with more than 1,000 is not one we will ever meet
GONE = (404, 410)


def delivery_url(connection: Connection) -> str:
    """Where WooCommerce posts: /webhooks/woocommerce/<store>/ on our public address."""
    path = reverse("integrations:webhook", kwargs={"source": Source.WOOCOMMERCE, "store_slug": connection.store.slug})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


# --- Connecting ---------------------------------------------------------------------------------------


def setup(connection: Connection) -> SetupResult:
    """Check the keys, read the shop's name, currency and time zone, and (re)register our webhooks."""
    secret = connection.secret or secrets.token_urlsafe(32)
    with woo_client(connection) as client:
        _check_credentials(client)
        shop_name, time_zone = _site_identity(client, connection)
        currency = _currency(client)
        ours = delivery_url(connection)
        before = _ours(_existing_webhooks(client), ours, connection)
        created = [_create(client, topic, ours, secret) for topic in TOPICS]
        for webhook in before:
            _delete(client, webhook)
    return SetupResult(shop_name=shop_name, currency=currency, time_zone=time_zone, webhooks=created, secret=secret)


def _check_credentials(client: ApiClient) -> None:
    """One order with the keys: proves the address is a WooCommerce REST API and the keys may read it."""
    try:
        client.request("GET", "orders", operation="woocommerce.check", params={"per_page": 1})
    except Unauthorized as exc:
        said = error_message(exc)
        hint = "Check both, and that the key has Read/Write permissions."
        if error_code(exc) != "woocommerce_rest_authentication_error":  # the keys were not even read
            hint += (
                " If they are right, the web server may be dropping the Authorization header (common with Apache"
                " running PHP as CGI/FastCGI); your host can pass it on to WordPress."
            )
        raise Unauthorized(
            f"WooCommerce refused the consumer key and consumer secret (HTTP {exc.status}"
            f"{': ' + said if said else ''}). {hint}",
            status=exc.status,
            body=exc.body,
        ) from exc
    except CallError as exc:
        if exc.status == 404:
            raise CallError(
                "WooCommerce REST API not found at this address: check the shop address, that WooCommerce is "
                'active, and that WordPress permalinks are not set to "Plain".',
                status=404,
                body=exc.body,
            ) from exc
        if exc.status in (301, 302, 303, 307, 308):
            raise CallError(
                f"The shop answered with a redirect (HTTP {exc.status}): enter its address exactly as your browser "
                "shows it once the page has loaded (https, with or without www).",
                status=exc.status,
            ) from exc
        raise


def _site_identity(client: ApiClient, connection: Connection) -> tuple[str, str]:
    """The site's title and time zone from the WordPress REST index (public); ("", "") when it will not say."""
    try:
        reply = client.request(
            "GET",
            f"{site_url(connection)}/wp-json/",
            operation="woocommerce.site",
            params={"_fields": "name,timezone_string"},
        )
        index = reply.json()
    except CallError:
        return "", ""
    if not isinstance(index, dict):
        return "", ""
    name, zone = index.get("name"), index.get("timezone_string")
    # WordPress keeps the title HTML-escaped ("Tom&#039;s Shop").
    title = html.unescape(name).strip()[:255] if isinstance(name, str) else ""
    return title, (zone.strip() if isinstance(zone, str) else "")


def _currency(client: ApiClient) -> str:
    """The store's currency setting; "" when the keys may not read settings (they may still do the rest)."""
    try:
        setting = client.request(
            "GET", "settings/general/woocommerce_currency", operation="woocommerce.currency"
        ).json()
    except CallError:
        return ""
    value = setting.get("value") if isinstance(setting, dict) else None
    return value.strip().upper() if isinstance(value, str) and len(value.strip()) == 3 else ""


def _existing_webhooks(client: ApiClient) -> list[dict]:
    found: list[dict] = []
    for page in range(1, MAX_LIST_PAGES + 1):
        reply = client.request(
            "GET", "webhooks", operation="woocommerce.webhooks.list", params={"per_page": 100, "page": page}
        )
        items = reply.json()
        if not isinstance(items, list):
            raise CallError("WooCommerce's list of webhooks is not a list.", status=reply.status)
        found.extend(item for item in items if isinstance(item, dict))
        pages = header_int(reply.headers, "X-WP-TotalPages")
        if not items or (pages is not None and page >= pages) or (pages is None and len(items) < 100):
            break
    return found


def _ours(webhooks: list[dict], ours: str, connection: Connection) -> list[dict]:
    """Webhooks that post to us: to our delivery URL, or (ones we registered) to our path on an address we
    had before SITE_URL changed. A recorded id alone is not enough: the shop may be another one now."""
    recorded = {str(item.get("id")) for item in connection.webhooks or [] if isinstance(item, dict)}
    our_path = urlsplit(ours).path.rstrip("/")
    found = []
    for webhook in webhooks:
        url = str(webhook.get("delivery_url") or "").rstrip("/")
        if url == ours.rstrip("/") or (
            str(webhook.get("id")) in recorded and urlsplit(url).path.rstrip("/") == our_path
        ):
            found.append(webhook)
    return found


def _delete(client: ApiClient, webhook: dict) -> None:
    try:
        client.request(
            "DELETE", f"webhooks/{webhook['id']}", operation="woocommerce.webhooks.delete", params={"force": "true"}
        )
    except CallError as exc:
        if exc.status not in GONE:
            raise


def _create(client: ApiClient, topic: str, url: str, secret: str) -> dict[str, str]:
    body = {
        "name": f"{WEBHOOK_NAME}: {topic}",
        "topic": topic,
        "delivery_url": url,
        "secret": secret,
        "status": "active",
    }
    try:
        created = client.request(
            "POST", "webhooks", operation="woocommerce.webhooks.create", json_body=body, ok=(200, 201)
        ).json()
    except Unauthorized as exc:
        raise Unauthorized(
            f"WooCommerce would not let these keys create webhooks (HTTP {exc.status}). "
            "Give the key Read/Write permissions (WooCommerce → Settings → Advanced → REST API).",
            status=exc.status,
            body=exc.body,
        ) from exc
    except CallError as exc:
        if exc.status and 400 <= exc.status < 500:
            said = error_message(exc) or error_code(exc) or f"HTTP {exc.status}"
            raise CallError(
                f"WooCommerce refused to create the {topic} webhook: {said}", status=exc.status, body=exc.body
            ) from exc
        raise
    if not isinstance(created, dict) or created.get("id") in (None, ""):
        raise CallError(f"WooCommerce created the {topic} webhook but did not say its id.")
    return {"topic": topic, "id": str(created["id"])}


# --- Disconnecting ------------------------------------------------------------------------------------


def teardown(connection: Connection) -> None:
    """Delete the webhooks we registered. One already gone is fine; other failures are raised once every
    webhook has been tried, so the disconnect can say what is left at the shop."""
    failure: CallError | None = None
    with woo_client(connection) as client:
        for webhook in connection.webhooks or []:
            if not isinstance(webhook, dict) or not str(webhook.get("id") or "").isdigit():
                continue
            try:
                _delete(client, webhook)
            except CallError as exc:
                failure = failure or exc
    if failure is not None:
        raise failure


# --- A test delivery ----------------------------------------------------------------------------------


def test_event(connection: Connection) -> tuple[dict[str, str], bytes]:
    """An order.created delivery as WooCommerce sends it (wc/v3 order, X-WC-Webhook-* headers, body signed
    with the connection's secret), for "Send a test event".

    It names no real person (the buyer is at example.com), and it is marked as ours with
    `created_via: "afterglow-test"` inside the signed body: the adapter reads and checks it like any order
    and then stores nothing, so no order, customer or flow comes of it. The marker is in the body, not in a
    header, because only the body is signed: a replayed real delivery cannot be turned into a test."""
    if not connection.secret:
        raise CallError("The connection has no webhook secret yet: connect it first.")
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S")
    order_id = 900_000_000 + int(now.timestamp()) % 100_000_000
    currency = connection.store.currency or "EUR"
    buyer = {
        "first_name": "Test",
        "last_name": "Buyer",
        "company": "",
        "address_1": "1 Example Street",
        "address_2": "",
        "city": "Springfield",
        "state": "",
        "postcode": "12345",
        "country": "US",
    }
    order = {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": f"wc_order_{secrets.token_hex(6)}",
        "created_via": TEST_ORIGIN,
        "status": "processing",
        "currency": currency,
        "date_created": stamp,
        "date_created_gmt": stamp,
        "date_modified": stamp,
        "date_modified_gmt": stamp,
        "discount_total": "0.00",
        "shipping_total": "5.00",
        "total": "29.00",
        "total_tax": "0.00",
        "customer_id": 0,
        "billing": {**buyer, "email": "test-buyer@example.com", "phone": ""},
        "shipping": buyer,
        "payment_method": "bacs",
        "date_paid": stamp,
        "date_paid_gmt": stamp,
        "meta_data": [],
        "line_items": [
            {
                "id": 1,
                "name": "Afterglow test item",
                "product_id": 0,
                "variation_id": 0,
                "quantity": 2,
                "subtotal": "24.00",
                "total": "24.00",
                "meta_data": [],
                "sku": "",
                "price": 12,
            }
        ],
        "shipping_lines": [{"id": 2, "method_title": "Flat rate", "method_id": "flat_rate", "total": "5.00"}],
        "coupon_lines": [],
    }
    body = json.dumps(order).encode()
    signature = base64.b64encode(hmac.new(connection.secret.encode(), body, hashlib.sha256).digest())
    webhook_id = next(
        (str(item.get("id")) for item in connection.webhooks or [] if item.get("topic") == "order.created"), "0"
    )
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": f"{normalise_site_url(connection.address)}/",
        "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-Event": "created",
        "X-WC-Webhook-Signature": signature.decode(),
        "X-WC-Webhook-ID": webhook_id,
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
    }
    return headers, body

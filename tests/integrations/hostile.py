"""Helpers for hostile-input tests: sign a body exactly as each source signs it, post it, count rows.

Shared by test_hostile_input.py (one regression test per defect) and test_webhook_fuzz.py (one
Hypothesis fuzzer per source).
"""

import hashlib
import hmac
import re
import unicodedata
import uuid

from django.urls import reverse

from apps.customers.models import ConsentEvent, Customer
from apps.integrations.models import Connection, InboundEvent
from apps.orders.models import Cart, CartLine, Order, OrderLine, Product
from apps.shipments.models import Shipment, TrackingEvent
from tests.integrations.conftest import b64_hmac

SECRETS = {
    "shopify": "shopify-fuzz-secret",
    "woocommerce": "woo-fuzz-secret",
    "aftership": "aftership-fuzz-secret",
    "easypost": "sécret-fuzz",  # EasyPost keys the HMAC with the NFKD form: a non-ASCII secret tests that
    "17track": "seventeen-fuzz-key",
}

# What a 4xx must never carry: a traceback or a Python exception's class name (as f"{type}: {exc}" shows it).
EXCEPTION_TEXT = re.compile(
    r"Traceback|\b(IntegrityError|DataError|ValueError|KeyError|TypeError|AttributeError|IndexError|"
    r"InvalidOperation|OverflowError|RecursionError|UnicodeEncodeError|UnicodeDecodeError|DecimalException|"
    r"OperationalError|ProgrammingError|InternalError|JSONDecodeError|ValidationError)\b|\b[A-Z]\w+Error:"
)

# Every row a delivery could write, apart from the inbound log itself.
DOMAIN_MODELS = (Order, OrderLine, Cart, CartLine, Customer, ConsentEvent, Product, Shipment, TrackingEvent)


def connect(store, source: str) -> Connection:
    return Connection.objects.create(store=store, source=source, secret=SECRETS[source])


def signed_headers(source: str, body: bytes, *, topic: str = "", delivery_id: str = "", secret: str = "") -> dict:
    """The headers the real source sends, signed over the raw body as sources/*.py verify it."""
    secret = secret or SECRETS[source]
    if source == "shopify":
        return {
            "X-Shopify-Topic": topic or "orders/create",
            "X-Shopify-Hmac-Sha256": b64_hmac(secret, body),
            "X-Shopify-Webhook-Id": delivery_id or str(uuid.uuid4()),
            "X-Shopify-Shop-Domain": "northwind.myshopify.com",
        }
    if source == "woocommerce":
        topic = topic or "order.updated"
        return {
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": topic.split(".")[0],
            "X-WC-Webhook-Event": topic.split(".")[-1],
            "X-WC-Webhook-Signature": b64_hmac(secret, body),
            "X-WC-Webhook-ID": "31",
            "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
        }
    if source == "aftership":
        return {"aftership-hmac-sha256": b64_hmac(secret, body), "As-Webhook-Version": "2026-07"}
    if source == "easypost":
        key = unicodedata.normalize("NFKD", secret).encode()
        return {"X-Hmac-Signature": "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()}
    if source == "17track":
        return {"sign": hashlib.sha256(body + b"/" + secret.encode()).hexdigest()}
    raise ValueError(source)


def post(client, store, source: str, body: bytes, headers: dict):
    url = reverse("integrations:webhook", kwargs={"source": source, "store_slug": store.slug})
    return client.post(url, data=body, content_type="application/json", headers=headers)


def send(client, store, source: str, body: bytes, **signing):
    return post(client, store, source, body, signed_headers(source, body, **signing))


def domain_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in DOMAIN_MODELS}


def inbound_count() -> int:
    return InboundEvent.objects.count()


def assert_clean_refusal(response) -> dict:
    """A 4xx that is JSON with an "error", and carries no Python exception text."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    answer = response.json()
    assert isinstance(answer.get("error"), str) and answer["error"], answer
    assert not EXCEPTION_TEXT.search(response.content.decode("utf-8", "replace")), answer
    return answer

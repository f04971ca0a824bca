""" "Send a test event": an orders/create delivery shaped and signed as Shopify sends it.

It is posted through our real webhook endpoint, so it proves the secret and the whole path. It is a test
order (`"test": true` with our TEST_ORDER_ID, which the adapter records as history: no flow starts) for a
buyer at example.com
(a domain that takes no mail), with one fixed id, so sending it again updates the same order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC

from django.conf import settings
from django.utils import timezone

from ...calls import CallError
from ...models import Connection
from .client import shop_domain

TEST_ORDER_ID = "afterglow-test-order"  # never a Shopify id (those are numbers): no real order is touched
TEST_EMAIL = "test-buyer@example.com"


def sample_order(currency: str, now) -> dict:
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    return {
        "id": TEST_ORDER_ID,
        "admin_graphql_api_id": f"gid://shopify/Order/{TEST_ORDER_ID}",
        "name": "#TEST",
        "order_number": 0,
        "test": True,
        "email": TEST_EMAIL,
        "contact_email": TEST_EMAIL,
        "buyer_accepts_marketing": False,
        "created_at": stamp,
        "processed_at": stamp,
        "updated_at": stamp,
        "currency": currency,
        "presentment_currency": currency,
        "financial_status": "paid",
        "fulfillment_status": None,
        "customer_locale": "en",
        "subtotal_price": "0.00",
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "total_price": "0.00",
        "total_shipping_price_set": {
            "shop_money": {"amount": "0.00", "currency_code": currency},
            "presentment_money": {"amount": "0.00", "currency_code": currency},
        },
        "discount_codes": [],
        "cancelled_at": None,
        "customer": {
            "id": None,
            "email": TEST_EMAIL,
            "first_name": "Test",
            "last_name": "Buyer",
            "email_marketing_consent": {"state": "not_subscribed", "opt_in_level": None, "consent_updated_at": None},
        },
        "shipping_address": {
            "name": "Test Buyer",
            "city": "Ottawa",
            "zip": "K2P 1L4",
            "country_code": "CA",
        },
        "line_items": [
            {
                "id": f"{TEST_ORDER_ID}-line-1",
                "product_id": None,
                "title": "Test product",
                "variant_title": "",
                "sku": "TEST",
                "quantity": 1,
                "price": "0.00",
            }
        ],
    }


def test_event(connection: Connection) -> tuple[dict[str, str], bytes]:
    """(headers, body) of a signed orders/create test delivery for this connection."""
    if not connection.secret:
        raise CallError("This connection has no webhook secret yet, so a test delivery cannot be signed.")
    now = timezone.now()
    body = json.dumps(sample_order(connection.store.currency, now), separators=(",", ":")).encode()
    digest = hmac.new(connection.secret.encode(), body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": shop_domain(connection.address) or connection.address,
        "X-Shopify-API-Version": settings.SHOPIFY_API_VERSION,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),  # a new delivery each time, so it is applied, not a replay
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": now.isoformat(),
        "X-Shopify-Test": "true",
    }
    return headers, body


test_event.__test__ = False  # type: ignore[attr-defined]  # pytest: a function named test_* here is not a test

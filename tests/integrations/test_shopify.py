"""Shopify's published sample payloads through the real endpoint, signed as Shopify signs them."""

import json
import uuid

import pytest

from apps.customers.models import Customer
from apps.integrations.models import InboundEvent, Outcome
from apps.integrations.sources.shopify import STATUS_MAP, map_status
from apps.orders.models import Cart, Order, OrderStatus
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from tests.integrations.conftest import b64_hmac, fixture_bytes, fixture_json

pytestmark = pytest.mark.django_db
SECRET = "test-webhook-secret"


@pytest.fixture
def shopify(connect, post_webhook):
    connect("shopify", SECRET)

    def send(topic: str, body: bytes, *, webhook_id: str | None = None, secret: str = SECRET):
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": b64_hmac(secret, body),
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Shop-Domain": "northwind.myshopify.com",
        }
        return post_webhook("shopify", body, headers)

    return send


def test_orders_create_fixture_creates_the_order_its_lines_and_customer_once(shopify, store):
    body = fixture_bytes("shopify/shopify_orders_create.json")
    # when Shopify delivers orders/create, and then the same delivery again
    first = shopify("orders/create", body, webhook_id="delivery-1")
    second = shopify("orders/create", body, webhook_id="delivery-1")
    # then one order exists with Shopify's exact big-integer id, lines and buyer
    assert first.status_code == 200, first.json()
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    order = Order.objects.get(store=store)
    assert order.external_id == "820982911946154508"
    assert order.number == "#9999"
    assert order.status == OrderStatus.CANCELLED  # the published sample is a cancelled test order
    assert order.lines.count() == 5
    assert str(order.total) == "404.95"
    assert order.customer.email == "jon@example.com" or order.email == "jon@example.com"
    event = InboundEvent.objects.get(store=store)
    assert (event.deliveries, event.outcome) == (2, Outcome.PROCESSED)


def test_the_same_order_under_a_new_delivery_id_changes_nothing_more(shopify, store):
    body = fixture_bytes("shopify/shopify_orders_create.json")
    shopify("orders/create", body)
    before = Order.objects.get(store=store).modified_at
    shopify("orders/updated", body)
    assert Order.objects.filter(store=store).count() == 1
    assert Order.objects.get(store=store).modified_at == before


def test_checkouts_create_fixture_creates_an_open_cart_with_its_recovery_link(shopify, store):
    body = fixture_bytes("shopify/shopify_checkouts_create.json")
    shopify("checkouts/create", body)
    shopify("checkouts/create", body)
    cart = Cart.objects.get(store=store)
    assert cart.external_id == "123123123"
    assert cart.email == "example@email.com"
    assert cart.recovery_url.startswith("https://checkout.local/548380009/checkouts/123123123/recover")
    assert cart.lines.count() == 2
    assert not cart.is_converted


def test_fulfillment_then_its_event_create_a_tracked_shipment(shopify, store):
    shopify("orders/create", fixture_bytes("shopify/shopify_orders_create.json"))
    for _ in range(2):
        assert (
            shopify("fulfillments/create", fixture_bytes("shopify/shopify_fulfillments_create.json")).status_code == 200
        )
        assert (
            shopify(
                "fulfillment_events/create", fixture_bytes("shopify/shopify_fulfillment_events_create.json")
            ).status_code
            == 200
        )
    shipment = Shipment.objects.get(store=store)
    assert shipment.carrier == "ups"
    assert shipment.tracking_number == "1z827wk74630"
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert shipment.events.get().raw_status == "in_transit"


def test_an_event_for_an_order_not_yet_known_fails_visibly_and_replays_later(shopify, store):
    from apps.integrations.registry import adapter_for
    from apps.integrations.services.inbound import inbound_replay

    # given the fulfillment arrives before its order
    response = shopify("fulfillments/create", fixture_bytes("shopify/shopify_fulfillments_create.json"))
    assert response.status_code == 422
    failed = InboundEvent.objects.get(store=store, outcome=Outcome.FAILED)
    assert "not known yet" in failed.error
    assert not Shipment.objects.exists()
    # when the order arrives and a person replays the failed delivery
    shopify("orders/create", fixture_bytes("shopify/shopify_orders_create.json"))
    replayed = inbound_replay(event=failed, adapter=adapter_for("shopify"))
    # then it applies
    assert replayed.outcome == Outcome.PROCESSED
    assert Shipment.objects.filter(store=store).count() == 1


def test_customers_create_fixture_creates_the_customer(shopify, store):
    shopify("customers/create", fixture_bytes("shopify/shopify_customers_create.json"))
    shopify("customers/create", fixture_bytes("shopify/shopify_customers_create.json"))
    customer = Customer.objects.get(store=store)
    assert (customer.email, customer.first_name, customer.external_id) == (
        "bob@biller.com",
        "Bob",
        "706405506930370084",
    )


def test_a_wrong_signature_is_401_and_stores_nothing_but_the_log_line(shopify, store):
    body = fixture_bytes("shopify/shopify_orders_create.json")
    response = shopify("orders/create", body, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"]
    assert not Order.objects.exists()
    rejected = InboundEvent.objects.get(store=store)
    assert (rejected.outcome, rejected.delivery_id) == (Outcome.REJECTED, "")


def test_the_previous_secret_still_verifies_during_a_rotation(connect, post_webhook, store):
    connect("shopify", "new-secret", previous_secret="old-secret")
    body = fixture_bytes("shopify/shopify_customers_create.json")
    headers = {"X-Shopify-Topic": "customers/create", "X-Shopify-Hmac-Sha256": b64_hmac("old-secret", body)}
    assert post_webhook("shopify", body, headers).status_code == 200


def test_the_published_signature_vector_verifies():
    from apps.integrations.signatures import matches_base64_hmac

    vectors = {v["name"]: v for v in fixture_json("signatures/signature_test_vectors.json")["vectors"]}
    published = vectors["shopify_hmac_sqlpage"]
    assert matches_base64_hmac(
        secrets=[published["secret"]], body=published["raw_body"].encode(), signature=published["expected"]
    )
    derived = vectors["shopify_orders_create_fixture_derived"]
    body = fixture_bytes("shopify/shopify_orders_create.json")
    assert matches_base64_hmac(secrets=[derived["secret"]], body=body, signature=derived["expected"])
    assert not matches_base64_hmac(secrets=["other"], body=body, signature=derived["expected"])


def test_malformed_json_is_400(shopify, store):
    response = shopify("orders/create", b'{"id": 1, "broken"')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert not Order.objects.exists()


def test_missing_required_fields_are_named(shopify):
    response = shopify("orders/create", json.dumps({"id": 5}).encode())
    assert response.status_code == 422
    assert "created_at" in response.json()["error"] and "currency" in response.json()["error"]
    assert not Order.objects.exists()


def test_a_body_over_the_limit_is_413(shopify, settings):
    settings.MAX_INBOUND_BODY_BYTES = 1000
    response = shopify("orders/create", b"{" + b" " * 2000 + b"}")
    assert response.status_code == 413
    assert not InboundEvent.objects.exists()


def test_an_unknown_store_is_404(client, post_webhook):
    body = b"{}"
    response = post_webhook("shopify", body, {"X-Shopify-Topic": "orders/create"}, store_slug="nobody")
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_a_store_without_a_shopify_connection_is_404(post_webhook, store):
    response = post_webhook("shopify", b"{}", {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "x"})
    assert response.status_code == 404


def test_every_shopify_status_word_maps_to_a_normalised_status():
    assert set(STATUS_MAP.values()) <= set(ShipmentStatus.values)
    for raw, expected in STATUS_MAP.items():
        assert map_status(raw) == expected
        assert map_status(raw.upper()) == expected
    assert map_status("teleported") == ShipmentStatus.UNKNOWN

"""WooCommerce's published order payloads through the real endpoint, signed as WooCommerce signs them."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.customers.models import Customer
from apps.integrations.models import InboundEvent, Outcome
from apps.integrations.registry import adapter_for
from apps.integrations.services.inbound import inbound_replay
from apps.integrations.signatures import matches_base64_hmac
from apps.integrations.sources.woocommerce import STATUS_MAP, order_status
from apps.orders.models import Order, OrderStatus
from apps.shipments.models import Shipment
from tests.integrations.conftest import b64_hmac, fixture_bytes, fixture_json

pytestmark = pytest.mark.django_db
SECRET = "test-webhook-secret"
CREATED = "woocommerce/woocommerce_order_created_wc_v3.json"
UPDATED = "woocommerce/woocommerce_order_updated_wc_v3.json"


@pytest.fixture
def woo(connect, post_webhook):
    connect("woocommerce", SECRET)

    def send(topic: str, body: bytes, *, delivery_id: str = "", secret: str = SECRET, **extra):
        headers = {
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": topic.split(".")[0],
            "X-WC-Webhook-Event": topic.split(".")[-1],
            "X-WC-Webhook-Signature": b64_hmac(secret, body),
            "X-WC-Webhook-ID": "31",
            **({"X-WC-Webhook-Delivery-ID": delivery_id} if delivery_id else {}),
            **extra,
        }
        return post_webhook("woocommerce", body, headers)

    return send


def with_tracking(relative: str, items: list[dict]) -> bytes:
    order = fixture_json(relative)
    order["meta_data"].append({"id": 99001, "key": "_wc_shipment_tracking_items", "value": items})
    return json.dumps(order).encode()


def test_order_created_fixture_creates_the_order_its_lines_and_buyer_once(woo, store):
    body = fixture_bytes(CREATED)
    # when WooCommerce delivers order.created, and then the same delivery again
    first = woo("order.created", body, delivery_id="c81e728d9d4c2f636f067f89cc14862c")
    order = Order.objects.get(store=store)
    modified = order.modified_at
    second = woo("order.created", body, delivery_id="c81e728d9d4c2f636f067f89cc14862c")
    # then one order exists as WooCommerce described it, and the second delivery is only counted
    assert first.status_code == 200, first.json()
    assert second.json()["status"] == "duplicate"
    order = Order.objects.get(store=store)
    assert order.modified_at == modified
    assert (order.external_id, order.number, order.status) == ("727", "#727", OrderStatus.PAID)
    assert order.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)  # date_created_gmt, UTC without offset
    assert order.currency == "USD"
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        Decimal("18.00"),
        Decimal("10.00"),
        Decimal("1.35"),
        Decimal("29.35"),
    )
    assert order.email == "john.doe@example.com"
    assert (order.shipping_name, order.shipping_city, order.shipping_postcode, order.shipping_country) == (
        "John Doe",
        "San Francisco",
        "94103",
        "US",
    )
    lines = list(order.lines.order_by("external_id").values_list("external_id", "title", "quantity", "unit_price"))
    assert lines == [
        ("315", "Woo Single #1", 2, Decimal("3.00")),
        ("316", "Ship Your Idea – Color: Black, Size: M Test", 1, Decimal("12.00")),
    ]
    assert order.lines.get(external_id="316").variant_title == "color: black, size: M Test"
    assert Customer.objects.get(store=store).email == "john.doe@example.com"
    event = InboundEvent.objects.get(store=store)
    assert (event.deliveries, event.outcome, event.object_id) == (2, Outcome.PROCESSED, "727")


def test_order_updated_completes_the_order_and_a_late_created_changes_nothing(woo, store):
    # given the order was created, then completed
    woo("order.created", fixture_bytes(CREATED), delivery_id="a1")
    woo("order.updated", fixture_bytes(UPDATED), delivery_id="a2")
    order = Order.objects.get(store=store)
    assert order.status == OrderStatus.FULFILLED
    modified = order.modified_at
    # when the older order.created arrives again under a new delivery id
    response = woo("order.created", fixture_bytes(CREATED), delivery_id="a3")
    # then the newer state stays
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.modified_at) == (OrderStatus.FULFILLED, modified)
    assert Order.objects.filter(store=store).count() == 1


def test_the_legacy_envelope_from_a_real_delivery_log_creates_its_order(woo, post_webhook, store):
    # given the real 2016 delivery (its own signature cannot be checked: the secret is not published)
    body = fixture_bytes("woocommerce/woocommerce_order_updated_legacy_v3_body.json")
    logged = fixture_json("woocommerce/woocommerce_order_updated_legacy_v3_headers.json")
    headers = {name: str(value) for name, value in logged.items() if name not in ("Content-Type", "User-Agent")}
    headers["X-WC-Webhook-Signature"] = b64_hmac(SECRET, body)
    # when it is delivered twice with its own headers
    for _ in range(2):
        response = post_webhook("woocommerce", body, headers)
        assert response.status_code == 200, response.json()
    # then the order inside {"order": {...}} exists once
    order = Order.objects.get(store=store)
    assert (order.external_id, order.number, order.status, order.currency) == (
        "118",
        "#118",
        OrderStatus.FULFILLED,
        "BRL",
    )
    assert order.placed_at == datetime(2016, 5, 3, 18, 10, tzinfo=UTC)
    assert (order.subtotal, order.shipping_total, order.total) == (Decimal("4.00"), Decimal("10.00"), Decimal("14.00"))
    assert order.email == "john.doe@claudiosmweb.com"
    assert order.order_status_url == "http://example.com/my-account/view-order/118"
    assert list(order.lines.values_list("title", "quantity", "unit_price", "sku")) == [
        ("Woo Single #2", 2, Decimal("2.00"), "12345")
    ]
    event = InboundEvent.objects.get(store=store)
    assert event.delivery_id.startswith("54:") and event.deliveries == 2


def test_tracking_numbers_in_the_order_meta_become_shipments_once(woo, store):
    # given an order whose Shipment Tracking plugin meta names two parcels
    items = [
        {"tracking_provider": "usps", "tracking_number": "9400111899223197428490", "date_shipped": "1490140800",
         "tracking_id": "a1b2", "custom_tracking_provider": "", "custom_tracking_link": ""},
        {"tracking_provider": "", "custom_tracking_provider": "Local Courier", "tracking_number": "LC-777",
         "custom_tracking_link": "https://courier.example.com/t/LC-777", "date_shipped": "2017-03-23"},
    ]  # fmt: skip
    body = with_tracking(UPDATED, items)
    # when it is delivered twice
    woo("order.updated", body, delivery_id="t1")
    woo("order.updated", body, delivery_id="t2")
    # then each tracking number is one shipment of that order
    usps = Shipment.objects.get(store=store, tracking_number="9400111899223197428490")
    assert (usps.carrier, usps.order.external_id) == ("usps", "727")
    assert usps.shipped_at == datetime(2017, 3, 22, tzinfo=UTC)
    local = Shipment.objects.get(store=store, tracking_number="LC-777")
    assert (local.carrier, local.carrier_name, local.tracking_url) == (
        "",
        "Local Courier",
        "https://courier.example.com/t/LC-777",
    )
    assert local.shipped_at == datetime(2017, 3, 23, tzinfo=UTC)
    assert Shipment.objects.filter(store=store).count() == 2


def test_two_deliveries_sharing_a_delivery_id_in_the_same_second_both_apply(woo, store):
    # given WooCommerce's delivery id is wp_hash(webhook id . current second): two orders saved in
    # the same second go out under the same id
    second_order = fixture_json(CREATED) | {"id": 728, "number": "728"}
    woo("order.created", fixture_bytes(CREATED), delivery_id="same-second")
    woo("order.created", json.dumps(second_order).encode(), delivery_id="same-second")
    # then neither is mistaken for a replay of the other
    assert set(Order.objects.filter(store=store).values_list("external_id", flat=True)) == {"727", "728"}


def test_the_creation_ping_is_answered_200_and_stores_nothing(post_webhook, connect, store):
    connect("woocommerce", SECRET)
    # when WooCommerce pings the delivery URL while saving the webhook (no X-WC headers, no signature)
    response = post_webhook("woocommerce", b"webhook_id=31", {}, content_type="application/x-www-form-urlencoded")
    # then it gets its 200 and nothing is recorded
    assert response.status_code == 200
    assert not InboundEvent.objects.exists()
    assert not Order.objects.exists()


def test_a_form_post_with_webhook_headers_is_not_a_ping(post_webhook, connect, store):
    connect("woocommerce", SECRET)
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": "forged"}
    response = post_webhook("woocommerce", b"webhook_id=31", headers, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401


@pytest.mark.parametrize("vector", fixture_json("woocommerce/woocommerce_signature_vectors.json")["vectors"])
def test_the_published_deliveries_verify_through_the_real_endpoint(connect, post_webhook, store, vector):
    # given the store's secret is the one in WooCommerce's docs
    connect("woocommerce", vector["secret"])
    headers = {name: str(value) for name, value in vector["headers"].items() if name != "Content-Type"}
    # when the documented delivery arrives byte for byte with its documented signature
    response = post_webhook("woocommerce", vector["raw_body"].encode(), headers)
    # then it is accepted (and ignored: an action topic is not used)
    assert response.status_code == 200, response.json()
    assert InboundEvent.objects.get(store=store).outcome == Outcome.IGNORED


def test_the_published_signature_vectors_verify():
    vectors = [
        v for v in fixture_json("signatures/signature_test_vectors.json")["vectors"] if "woocommerce" in v["name"]
    ]
    assert len(vectors) == 2
    for vector in vectors:
        body = vector["raw_body"].encode()
        assert matches_base64_hmac(secrets=[vector["secret"]], body=body, signature=vector["expected"])
        assert not matches_base64_hmac(secrets=["other"], body=body, signature=vector["expected"])


def test_a_wrong_signature_is_401_and_stores_nothing_but_the_log_line(woo, store):
    response = woo("order.created", fixture_bytes(CREATED), secret="not-the-secret")
    assert response.status_code == 401
    assert not Order.objects.exists()
    rejected = InboundEvent.objects.get(store=store)
    assert (rejected.outcome, rejected.delivery_id) == (Outcome.REJECTED, "")


def test_malformed_json_is_400(woo):
    response = woo("order.created", b'{"id": 727, "status"')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert not Order.objects.exists()


def test_a_missing_topic_header_is_400(connect, post_webhook):
    connect("woocommerce", SECRET)
    body = fixture_bytes(CREATED)
    response = post_webhook("woocommerce", body, {"X-WC-Webhook-Signature": b64_hmac(SECRET, body)})
    assert response.status_code == 400
    assert "X-WC-Webhook-Topic" in response.json()["error"]


def test_an_unknown_store_is_404(post_webhook):
    response = post_webhook("woocommerce", b"{}", {"X-WC-Webhook-Topic": "order.created"}, store_slug="nobody")
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_order_deleted_and_checkout_drafts_are_ignored(woo, store):
    woo("order.deleted", b'{"id": 727}')
    draft = fixture_json(CREATED) | {"status": "checkout-draft"}
    woo("order.updated", json.dumps(draft).encode())
    assert not Order.objects.exists()
    assert set(InboundEvent.objects.values_list("outcome", flat=True)) == {Outcome.IGNORED}


def test_a_stored_delivery_replays_with_the_headers_as_django_cased_them(woo, store, monkeypatch):
    from apps.integrations.sources import woocommerce

    # given a delivery that failed to apply on a passing fault
    def fault(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(woocommerce, "order_upsert", fault)
    assert woo("order.created", fixture_bytes(CREATED), delivery_id="r1").status_code == 500
    failed = InboundEvent.objects.get(store=store)
    assert failed.outcome == Outcome.FAILED
    assert "X-Wc-Webhook-Topic" in failed.headers  # stored as Django cased it, in a plain dict
    monkeypatch.undo()
    # when a person replays it
    replayed = inbound_replay(event=failed, adapter=adapter_for("woocommerce"))
    # then the topic is still found and the order applies
    assert replayed.outcome == Outcome.PROCESSED
    assert Order.objects.filter(store=store, external_id="727").exists()


def test_every_woocommerce_status_maps_to_an_order_status():
    expected = {
        "pending": OrderStatus.PENDING, "processing": OrderStatus.PAID, "on-hold": OrderStatus.PENDING,
        "completed": OrderStatus.FULFILLED, "cancelled": OrderStatus.CANCELLED, "refunded": OrderStatus.REFUNDED,
        "failed": OrderStatus.PENDING, "checkout-draft": OrderStatus.PENDING, "trash": OrderStatus.CANCELLED,
    }  # fmt: skip
    assert expected == STATUS_MAP
    assert set(STATUS_MAP.values()) <= set(OrderStatus.values)
    for raw, status in STATUS_MAP.items():
        assert order_status(raw, paid=False) == status
        assert order_status(f"wc-{raw}", paid=True) == status
    # a plugin's own status: paid once the payment is recorded
    assert order_status("shipped", paid=True) == OrderStatus.PAID
    assert order_status("awaiting-quote", paid=False) == OrderStatus.PENDING

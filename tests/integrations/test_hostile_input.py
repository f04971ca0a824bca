"""Hostile and malformed webhooks, one regression test per defect the outside review found.

Every delivery is signed exactly as its source signs it (except where the signature is the point) and
posted twice: a refusal is refused the same way the second time, and nothing is stored either time.
"""

import copy
import json

import pytest
from django.urls import reverse

from apps.integrations.models import InboundEvent, Outcome
from apps.integrations.services.inbound import REJECTED_BODY_KEPT, REJECTED_PER_HOUR
from apps.orders.models import Order
from tests.integrations.conftest import fixture_json
from tests.integrations.hostile import (
    assert_clean_refusal,
    connect,
    domain_counts,
    inbound_count,
    post,
    send,
    signed_headers,
)
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SHOPIFY_ORDER = "shopify/shopify_orders_create.json"
WOO_ORDER = "woocommerce/woocommerce_order_created_wc_v3.json"
AFTERSHIP = "aftership/aftership_tracking_update_trimmed.json"


@pytest.fixture
def shop(store):
    connect(store, "shopify")
    return store


def order_with(change) -> bytes:
    """Shopify's published orders/create sample with one change applied."""
    payload = fixture_json(SHOPIFY_ORDER)
    change(payload)
    return json.dumps(payload).encode()


def refused_twice(client, store, source: str, body: bytes, **signing) -> dict:
    """Post the delivery twice (the same delivery id): both are a clean 4xx and nothing is written."""
    rows, logged = domain_counts(), inbound_count()
    headers = signed_headers(source, body, **signing)
    answers = [assert_clean_refusal(post(client, store, source, body, headers)) for _ in range(2)]
    assert answers[0] == answers[1]
    assert domain_counts() == rows, "a refused delivery wrote rows"
    assert inbound_count() == logged, "a refused delivery was logged as if it could be replayed"
    return answers[0]


# --- 2. NUL bytes and lone surrogates: a 4xx naming the field, never a 500 -------------------------


def nul_in_a_field_is_refused(client, shop):
    body = order_with(lambda p: p["line_items"][0].update(title="Mug\x00"))
    answer = refused_twice(client, shop, "shopify", body)
    assert answer["fields"] == {"line_items[0].title": "contains a NUL character"}


def test_a_nul_in_a_field_is_refused_naming_the_field(client, shop):
    nul_in_a_field_is_refused(client, shop)


@pytest.mark.postgres
def test_a_nul_in_a_field_is_refused_naming_the_field_on_postgres(client, shop):
    nul_in_a_field_is_refused(client, shop)


def test_a_raw_nul_byte_in_a_signed_body_is_a_400(client, shop):
    answer = refused_twice(client, shop, "shopify", b'{"id": 1, "name": "#1\x00"}')
    assert "JSON" in answer["error"]


def test_a_lone_surrogate_is_refused_naming_the_field(client, shop):
    body = order_with(lambda p: p["shipping_address"].update(city="\ud800"))
    answer = refused_twice(client, shop, "shopify", body)
    assert answer["fields"] == {"shipping_address.city": "not valid Unicode text"}


def test_a_body_that_is_not_utf8_is_a_400(client, shop):
    body = json.dumps(fixture_json(SHOPIFY_ORDER)).encode("utf-16")  # json.loads would take it; we store text
    refused_twice(client, shop, "shopify", body)


def unsigned_nul_is_logged_without_it(client, shop):
    body = b'{"id": 1, "name": "\x00\x00"}' + b" " * 100
    for _ in range(2):
        response = post(client, shop, "shopify", body, {"X-Shopify-Topic": "orders/create\x00"})
        assert_clean_refusal(response)
        assert response.status_code == 401
    rejected = InboundEvent.objects.filter(store=shop, outcome=Outcome.REJECTED)
    assert rejected.exists()
    for row in rejected:
        assert "\x00" not in row.body and "\x00" not in row.topic
        assert "\x00" not in json.dumps(row.headers)


def test_an_unsigned_delivery_with_nul_bytes_is_rejected_and_logged_without_them(client, shop):
    unsigned_nul_is_logged_without_it(client, shop)


@pytest.mark.postgres
def test_an_unsigned_delivery_with_nul_bytes_is_rejected_and_logged_without_them_on_postgres(client, shop):
    unsigned_nul_is_logged_without_it(client, shop)


# --- 1. Unsigned deliveries: bounded in size and in number ------------------------------------------


def test_rejected_deliveries_are_bounded_in_storage(client, shop):
    # given someone posts 1 MiB bodies with a wrong signature, more often than the hourly cap
    body = b'{"id": 1, "pad": "' + b"x" * (1024 * 1024 - 20) + b'"}'
    extra = 7
    for _ in range(REJECTED_PER_HOUR + extra):
        response = post(client, shop, "shopify", body, signed_headers("shopify", body, secret="a-wrong-secret"))
        assert response.status_code == 401
        assert_clean_refusal(response)
    # then at most the cap is stored, each row keeps the start of the body, its size and its digest
    rows = list(InboundEvent.objects.filter(store=shop, source="shopify").order_by("received_at", "id"))
    assert len(rows) == REJECTED_PER_HOUR
    assert all(row.outcome == Outcome.REJECTED and row.delivery_id == "" for row in rows)
    assert all(len(row.body.encode()) <= REJECTED_BODY_KEPT for row in rows)
    assert sum(len(row.body.encode()) for row in rows) <= REJECTED_PER_HOUR * REJECTED_BODY_KEPT
    import hashlib

    digest = hashlib.sha256(body).hexdigest()
    assert all(digest in row.summary and f"{len(body):,}" in row.summary for row in rows)
    assert all("X-Shopify-Hmac-Sha256" in row.error for row in rows)  # which header was checked
    # and the deliveries over the cap are counted on the newest row, not stored
    assert rows[-1].deliveries == 1 + extra
    assert sum(row.deliveries for row in rows) == REJECTED_PER_HOUR + extra


def test_a_missing_signature_is_told_apart_from_a_wrong_one(client, shop):
    body = b'{"id": 1}'
    post(client, shop, "shopify", body, {"X-Shopify-Topic": "orders/create"})
    post(client, shop, "shopify", body, signed_headers("shopify", body, secret="a-wrong-secret"))
    missing, wrong = InboundEvent.objects.filter(store=shop).order_by("id")
    assert "missing" in missing.error
    assert "does not match" in wrong.error


# --- 3. Signed but malformed: every failure a 4xx naming the field ----------------------------------


@pytest.mark.parametrize("quantity", ["abc", 2**70, 2**31, -1, 1.5, True, [1], {"n": 1}, "", "1e3"])
def test_a_quantity_that_is_not_a_whole_number_in_range_is_refused(client, shop, quantity):
    body = order_with(lambda p: p["line_items"][0].update(quantity=quantity))
    answer = refused_twice(client, shop, "shopify", body)
    assert list(answer["fields"]) == ["line_items[0].quantity"]


@pytest.mark.parametrize("total", [1e30, "1e30", "99999999999.99", "-5.00", "NaN", "Infinity", "1_000", "abc", [1]])
def test_a_total_that_is_not_an_amount_its_column_holds_is_refused(client, shop, total):
    body = order_with(lambda p: p.update(total_price=total))
    answer = refused_twice(client, shop, "shopify", body)
    assert list(answer["fields"]) == ["total_price"]


def test_json_infinity_and_huge_exponents_are_refused(client, shop):
    body = order_with(lambda p: None).replace(b'"total_price": "404.95"', b'"total_price": 1e400')
    assert b"1e400" in body
    answer = refused_twice(client, shop, "shopify", body)
    assert list(answer["fields"]) == ["total_price"]
    body = order_with(lambda p: None).replace(b'"total_price": "404.95"', b'"total_price": Infinity')
    refused_twice(client, shop, "shopify", body)


@pytest.mark.parametrize(
    "created_at",
    [
        "10000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-05:00",  # a valid year whose UTC instant is past datetime.max
        "0001-01-01T00:00:00+05:00",
        "1900-01-01T00:00:00Z",
        "2024-02-30T10:00:00Z",
        20240101,
        ["2024-01-01"],
    ],
)
def test_an_absurd_date_is_refused(client, shop, created_at):
    body = order_with(lambda p: p.update(created_at=created_at, processed_at=None))
    answer = refused_twice(client, shop, "shopify", body)
    assert list(answer["fields"]) == ["created_at"]


def test_a_timestamp_in_year_10000_is_refused(client, store):
    connect(store, "aftership")
    payload = fixture_json(AFTERSHIP)
    payload["ts"] = 253402300800  # 10000-01-01T00:00:00Z
    payload["msg"]["checkpoints"] = []
    answer = refused_twice(client, store, "aftership", json.dumps(payload).encode())
    assert list(answer["fields"]) == ["ts"]


def test_a_plugin_shipping_date_in_year_10000_is_left_out(client, store):
    connect(store, "woocommerce")
    payload = fixture_json(WOO_ORDER)
    item = {"tracking_provider": "usps", "tracking_number": "9400111899223197428490", "date_shipped": "253402300800"}
    payload["meta_data"].append({"id": 99001, "key": "_wc_shipment_tracking_items", "value": [item]})
    body = json.dumps(payload).encode()
    for _ in range(2):
        assert send(client, store, "woocommerce", body, delivery_id="d-1").status_code == 200
    (shipment,) = Order.objects.get(store=store).shipments.all()
    assert shipment.shipped_at.year < 2100


@pytest.mark.parametrize(
    ("line_items", "field"),
    [("abc", "line_items"), (5, "line_items"), ({"title": "x"}, "line_items"), ([1, 2], "line_items[0]")],
)
def test_line_items_of_the_wrong_type_are_refused_naming_the_field(client, shop, line_items, field):
    body = order_with(lambda p: p.update(line_items=line_items))
    answer = refused_twice(client, shop, "shopify", body)
    assert field in answer["fields"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.update(customer=["bob"]), "customer"),
        (lambda p: p.update(shipping_address="Main St 1"), "shipping_address"),
        (lambda p: p.update(total_shipping_price_set=[1]), "total_shipping_price_set"),
        (lambda p: p["total_shipping_price_set"].update(shop_money="10.00"), "total_shipping_price_set.shop_money"),
        (lambda p: p.update(discount_codes="SAVE10"), "discount_codes"),
        (lambda p: p.update(id=1.5), "id"),
        (lambda p: p.update(id={"a": 1}), "id"),
        (lambda p: p.update(id="9" * 101), "id"),
        (lambda p: p.update(currency="DOLLARS"), "currency"),
        (lambda p: p.update(currency=None), "currency"),
        (lambda p: p.update(email="not an address"), "email"),
        (lambda p: p["line_items"][0].update(price={"amount": "1"}), "line_items[0].price"),
        (lambda p: p["line_items"][0].update(title=["x"]), "line_items[0].title"),
    ],
)
def test_wrong_json_types_are_refused_naming_the_field(client, shop, change, field):
    answer = refused_twice(client, shop, "shopify", order_with(change))
    assert field in answer["fields"], answer


def test_a_list_where_the_body_should_be_an_object_is_refused(client, shop):
    refused_twice(client, shop, "shopify", b"[1, 2, 3]")


def test_text_longer_than_its_column_is_cut_to_fit(client, shop):
    body = order_with(lambda p: p["shipping_address"].update(city="Z" * 10_000))
    for _ in range(2):
        assert send(client, shop, "shopify", body, delivery_id="long-city").status_code == 200
    assert Order.objects.get(store=shop).shipping_city == "Z" * 120


def test_deep_nesting_is_a_400(client, shop):
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = refused_twice(client, shop, "shopify", deep)
    assert "deep" in answer["error"]
    inside = b'{"id": 1, "note_attributes": ' + deep + b"}"
    refused_twice(client, shop, "shopify", inside)
    shallow_but_too_deep = b'{"id": 1, "x": ' + b"[" * 200 + b"]" * 200 + b"}"
    refused_twice(client, shop, "shopify", shallow_but_too_deep)


def test_a_carrier_payload_with_the_wrong_types_is_refused(client, store):
    connect(store, "aftership")
    ShipmentFactory(order=OrderFactory(store=store), tracking_number="0000000000000000", carrier="usps")
    payload = fixture_json(AFTERSHIP)
    first = "msg.checkpoints[0]"
    for change, field in [
        (lambda m: m.update(checkpoints={"0": {}}), "msg.checkpoints"),
        (lambda m: m["checkpoints"][0].update(checkpoint_time="10000-01-01T00:00:00"), f"{first}.checkpoint_time"),
        (lambda m: m["checkpoints"][0].update(message={"text": "x"}), f"{first}.message"),
        (lambda m: m.update(tracking_number=["1"]), "msg.tracking_number"),
    ]:
        mutated = copy.deepcopy(payload)
        change(mutated["msg"])
        answer = refused_twice(client, store, "aftership", json.dumps(mutated).encode())
        assert field in answer["fields"], answer


# --- 5. Amounts beyond the column: refused on either database, and the pages still work ------------


def test_an_over_range_amount_is_refused_and_the_dashboard_still_answers(client, shop):
    # given a correctly signed order whose total needs 13 digits where the column holds 12
    body = order_with(lambda p: p.update(total_price="12345678901.00"))
    answer = refused_twice(client, shop, "shopify", body)
    assert answer["fields"] == {"total_price": "more than 9999999999.99"}
    assert not Order.objects.exists()
    # then the store's pages still answer
    membership = MembershipFactory(store=shop, role="owner")
    client.force_login(membership.user)
    for name in ("dashboard:order_list", "dashboard:customer_list", "dashboard:home"):
        assert client.get(reverse(name)).status_code == 200, name


def test_a_line_price_over_range_is_refused_in_a_woocommerce_order(client, store):
    connect(store, "woocommerce")
    payload = fixture_json(WOO_ORDER)
    payload["line_items"][0]["subtotal"] = "1" + "0" * 12
    answer = refused_twice(client, store, "woocommerce", json.dumps(payload).encode())
    assert "line_items[0].subtotal" in answer["fields"]


# --- 4. No exception text to the caller; the detail stays on the row for staff ----------------------


def test_an_unexpected_failure_answers_a_generic_500_and_keeps_the_detail_for_staff(client, shop, monkeypatch):
    from apps.integrations.sources import shopify

    def broken(**kwargs):
        raise RuntimeError("boom at /srv/app/secret_module.py line 7")

    monkeypatch.setattr(shopify, "order_upsert", broken)
    body = order_with(lambda p: None)
    response = send(client, shop, "shopify", body, delivery_id="d-7")
    assert response.status_code == 500  # a genuine bug: the source retries
    text = response.content.decode()
    assert "boom" not in text and "RuntimeError" not in text and "secret_module" not in text
    assert response.json()["error"]
    event = InboundEvent.objects.get(store=shop)
    assert event.outcome == Outcome.FAILED
    assert "RuntimeError: boom" in event.error  # the inbound log keeps it for staff


def test_a_refusal_never_echoes_the_payload(client, shop):
    body = order_with(lambda p: p["line_items"][0].update(quantity="ValueError: <script>"))
    answer = refused_twice(client, shop, "shopify", body)
    assert "script" not in json.dumps(answer)


# --- The last net: the input dataclasses every source, the API and imports build ---------------------


def test_the_input_dataclasses_refuse_what_a_column_cannot_hold():
    from datetime import UTC, datetime
    from decimal import Decimal

    from apps.core.bounds import InputError
    from apps.orders.inputs import LineIn, OrderIn
    from apps.shipments.inputs import EventIn, ShipmentIn

    placed = datetime(2025, 1, 1, tzinfo=UTC)
    for build, field in [
        (lambda: LineIn(title="x", quantity=2**31), "quantity"),
        (lambda: LineIn(title="x", unit_price=Decimal("1e10")), "unit_price"),
        (lambda: LineIn(title="a\x00b"), "title"),
        (lambda: OrderIn(external_id="1", number="1", placed_at=datetime(2025, 1, 1), currency="EUR"), "placed_at"),
        (lambda: OrderIn(external_id="9" * 101, number="1", placed_at=placed, currency="EUR"), "external_id"),
        (lambda: OrderIn(external_id="1", number="1", placed_at=placed, currency="EUR", status="lost"), "status"),
        (lambda: ShipmentIn(tracking_number="\ud800"), "tracking_number"),
        (lambda: EventIn(occurred_at=placed, status="teleported", raw_status="", source="x"), "status"),
    ]:
        with pytest.raises(InputError) as refused:
            build()
        assert list(refused.value.fields) == [field]
    # prose is cut to its column, amounts come out with the column's places
    line = LineIn(title="t" * 1000, unit_price=Decimal("2.5"))
    assert (len(line.title), str(line.unit_price)) == (255, "2.50")

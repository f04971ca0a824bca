"""Hypothesis fuzzers, one per webhook source: real payloads, mutated into malformed and extreme ones.

Each example starts from a published fixture of the source, applies one to four mutations (a leaf or a
subtree replaced by an extreme or wrongly typed value, a key dropped, an array nested past any sane depth,
a raw JSON literal such as 1e400 or a 5000-digit integer), signs the body with the store's secret exactly
as the source signs it and posts it twice. For every example:

- the answer is never a 5xx;
- a 4xx is JSON with an "error" and no Python exception text, the same both times;
- a 4xx writes no order, line, cart, customer, consent, product, shipment or tracking event, and no inbound
  log row, except the one row a delivery about an order or shipment not known yet keeps for its replay;
- a 2xx delivered again is a duplicate that writes nothing more.

Each example runs in a savepoint that is rolled back, so every example starts from the same state. The
run is derandomized (stable in CI) and prints how many examples ran per source; WEBHOOK_FUZZ_EXAMPLES
changes the count (150 by default). They run on SQLite and, in CI, on PostgreSQL.
"""

import json
import os
import uuid
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from apps.integrations.models import InboundEvent
from tests.integrations.conftest import fixture_json
from tests.integrations.hostile import assert_clean_refusal, connect, domain_counts, post, signed_headers
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("WEBHOOK_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays stable
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
RAN: dict[str, Counter] = {}

# Keys the sources read: half the mutations aim at these, the other half anywhere in the payload.
HOT_KEYS = frozenset(
    [
        "id", "created_at", "processed_at", "updated_at", "currency", "email", "contact_email", "total_price",
        "subtotal_price", "total_tax", "total_discounts", "total_shipping_price_set", "shop_money", "amount",
        "line_items", "quantity", "price", "title", "name", "sku", "variant_title", "product_id", "customer",
        "first_name", "last_name", "phone", "shipping_address", "city", "zip", "country_code", "discount_codes", "code",
        "cancelled_at", "financial_status", "fulfillment_status", "token", "order_id", "tracking_number",
        "tracking_numbers", "tracking_urls", "tracking_url", "tracking_company", "shipment_status", "status",
        "happened_at", "fulfillment_id", "message", "province", "country", "estimated_delivery_at",
        "email_marketing_consent", "state", "buyer_accepts_marketing", "customer_locale", "checkout_token",
        "order_status_url", "abandoned_checkout_url", "completed_at", "total_line_items_price", "number",
        "date_created_gmt", "date_created", "date_modified_gmt", "date_paid_gmt", "billing", "shipping", "postcode",
        "total", "shipping_total", "discount_total", "subtotal", "meta_data", "meta", "key", "value", "display_key",
        "display_value", "coupon_lines", "customer_id", "order", "payment_details", "paid", "view_order_url",
        "billing_address", "total_shipping", "total_discount", "event", "event_id", "msg", "slug", "tag", "subtag",
        "checkpoints", "checkpoint_time", "location", "subtag_message", "ts", "description", "result", "tracking_code",
        "tracking_details", "datetime", "tracking_location", "carrier", "carrier_detail", "est_delivery_date",
        "est_delivery_date_local", "data", "track_info", "tracking", "providers", "events", "time_utc", "time_iso",
        "address", "latest_status", "sub_status", "sub_status_descr", "stage", "time_metrics",
        "estimated_delivery_date", "to", "from", "provider", "order_number", "courier_tracking_link",
        "shipment_pickup_date", "expected_delivery", "latest_estimated_delivery",
    ]
)  # fmt: skip

RAW = "\u2063raw:"  # a placeholder string: after json.dumps, its quoted form is swapped for a raw literal
RAW_LITERALS = [
    "1e400",
    "-1e400",
    "9" * 5000,  # past Python's integer digit limit
    "NaN",
    "Infinity",
    "[" * 40 + "]" * 40,  # past MAX_DEPTH
    "[" * 5000 + "]" * 5000,
    "[" * 100_000 + "]" * 100_000,  # past Python's recursion limit
    '{"a":' * 3000 + "1" + "}" * 3000,
]
EXTREMES = [
    2**70, -(2**70), 2**63, 2**31, 2**31 - 1, -1, 0, 1, 1e308, -1e308, 1e30, 1e-30, 1.5, 0.1, True, False, None,
    "", " ", "NaN", "Infinity", "-Infinity", "1e999", "1e30", "-5.00", "1_000", "0x10", "abc", "٣", "\x00",
    "a\x00b", "\ud800", "\udfff x", "\u202e", "x" * 10_000, "9" * 130, "9999-12-31T23:59:59-05:00",
    "9999-12-31", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "0001-01-01", "1900-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z", "2024-13-01", "0000-00-00 00:00:00", "2024-01-01T25:61:00", "253402300800",
    "99999999999999999999", "12345678901.00", "9999999999.99", "9999999999.995", "-0.00", "not an email",
    "a@b", "javascript:alert(1)", "ValueError: x", [], {}, [[]], [None], [1, "2", None], {"a": {"b": {"c": {}}}},
]  # fmt: skip

scalars = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.integers(0xD800, 0xDFFF).map(chr),  # lone surrogates, sent as JSON escapes
    st.booleans(),
    st.none(),
)
values = st.one_of(
    st.sampled_from(EXTREMES),
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
    st.sampled_from(RAW_LITERALS).map(lambda literal: RAW + literal),
)
operations = st.one_of(
    st.tuples(st.just("set"), values),
    st.tuples(st.just("drop"), st.none()),
    st.tuples(st.just("repeat"), st.integers(2, 60)),  # a list or value repeated
)


def paths_of(payload: Any, prefix: tuple = ()) -> list[tuple]:
    """Every node's path under the root: keys and indices."""
    found = []
    items = payload.items() if isinstance(payload, dict) else enumerate(payload) if isinstance(payload, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths_of(child, (*prefix, key)))
    return found


def mutate(payload: Any, path: tuple, operation: tuple) -> None:
    parent = payload
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation removed or replaced it
    last = path[-1]
    if not isinstance(parent, dict | list) or (isinstance(parent, list) and not isinstance(last, int)):
        return
    if (isinstance(parent, list) and last >= len(parent)) or (isinstance(parent, dict) and last not in parent):
        return
    kind, argument = operation
    if kind == "set":
        parent[last] = argument
    elif kind == "drop":
        del parent[last]
    elif kind == "repeat":
        current = parent[last]
        parent[last] = (current * argument)[:200] if isinstance(current, list) else [current] * argument


def encode(payload: Any) -> bytes:
    text = json.dumps(payload)  # NUL, surrogates and non-ASCII go as \\u escapes, as senders write them
    for literal in RAW_LITERALS:
        text = text.replace(json.dumps(RAW + literal), literal)
    return text.encode()


# The anonymised real-world Shopify exemplars (tests/fixtures/SOURCES.md) say "example string" for every amount
# and currency, so only those without amounts seed the fuzzers; the fulfillment one names order 123, made the
# order the fuzzer's state holds, so that mutations start from an accepted payload.
KNOWN_ORDER = fixture_json("shopify/shopify_orders_create.json")["id"]
SEED_FIXES = {"shopify/real_world_shape/shopify_exemplar_2024-01_fulfillments_1.json": {"order_id": KNOWN_ORDER}}


def seed(relative: str) -> Any:
    return {**fixture_json(relative), **SEED_FIXES.get(relative, {})}


def cases(fixtures: list[tuple[str, str]]):
    """(topic, body) strategies: a fixture of the source, mutated one to four times."""

    @st.composite
    def build(draw):
        topic, relative = draw(st.sampled_from(fixtures))
        payload = seed(relative)
        every = paths_of(payload)
        hot = [path for path in every if isinstance(path[-1], str) and path[-1] in HOT_KEYS] or every
        targets = st.one_of(st.sampled_from(hot), st.sampled_from(every))
        for path, operation in draw(st.lists(st.tuples(targets, operations), min_size=1, max_size=4)):
            mutate(payload, path, operation)
        if draw(st.integers(0, 19)) == 0:
            payload = draw(st.sampled_from([[], "", 1, None, [payload]]))  # the body itself of the wrong type
        return topic, relative, encode(payload)

    return build()


def check(client, store, source: str, topic: str, body: bytes, seen: Counter) -> None:
    """Post the signed delivery twice and hold the answers and the rows to the rules above."""
    rows, logged = domain_counts(), InboundEvent.objects.count()
    headers = signed_headers(source, body, topic=topic, delivery_id=str(uuid.uuid4()))
    first = post(client, store, source, body, headers)
    after_first = domain_counts()
    second = post(client, store, source, body, headers)
    for response in (first, second):
        assert response.status_code < 500, (response.status_code, response.content[:1000], body[:2000])
    seen[first.status_code] += 1
    event(f"{source}: HTTP {first.status_code}")
    if first.status_code < 400:
        assert second.status_code == 200 and second.json()["status"] == "duplicate", second.content[:500]
        assert domain_counts() == after_first, "a duplicate delivery wrote rows"
        return
    answers = [assert_clean_refusal(response) for response in (first, second)]
    assert second.status_code == first.status_code and answers[0]["error"] == answers[1]["error"]
    assert domain_counts() == rows, ("a refused delivery wrote rows", answers[0], body[:2000])
    kept_for_replay = set(answers[0].get("fields", {}).values()) & {"unknown order", "unknown shipment"}
    assert InboundEvent.objects.count() == logged + (1 if kept_for_replay else 0), answers[0]


def fuzz(client, store, source: str, fixtures: list[tuple[str, str]], given_state=lambda: None) -> Counter:
    connect(store, source)
    seen: Counter = Counter()

    @FUZZ
    @given(case=cases(fixtures))
    def run(case):
        topic, _relative, body = case
        with transaction.atomic():  # every example starts from the same state
            given_state()
            check(client, store, source, topic, body, seen)
            transaction.set_rollback(True)

    run()
    RAN[source] = seen
    total = sum(seen.values())
    print(f"\nwebhook fuzz {source}: {total} examples, first answers {dict(sorted(seen.items()))}")
    assert total >= min(EXAMPLES, 100), total
    return seen


def test_shopify_fuzz(client, store):
    def an_order_to_fulfil():
        body = json.dumps(fixture_json("shopify/shopify_orders_create.json")).encode()
        post(client, store, "shopify", body, signed_headers("shopify", body, topic="orders/create"))

    fuzz(
        client,
        store,
        "shopify",
        [
            ("orders/create", "shopify/shopify_orders_create.json"),
            ("orders/paid", "shopify/shopify_orders_paid.json"),
            ("checkouts/create", "shopify/shopify_checkouts_create.json"),
            ("checkouts/update", "shopify/shopify_checkouts_update.json"),
            ("fulfillments/create", "shopify/shopify_fulfillments_create.json"),
            ("fulfillments/update", "shopify/real_world_shape/shopify_exemplar_2024-01_fulfillments_1.json"),
            ("fulfillment_events/create", "shopify/shopify_fulfillment_events_create.json"),
            ("customers/create", "shopify/shopify_customers_create.json"),
            ("customers/update", "shopify/real_world_shape/shopify_exemplar_2025-04_customers_1.json"),
        ],
        given_state=an_order_to_fulfil,
    )


def test_woocommerce_fuzz(client, store):
    fuzz(
        client,
        store,
        "woocommerce",
        [
            ("order.created", "woocommerce/woocommerce_order_created_wc_v3.json"),
            ("order.updated", "woocommerce/woocommerce_order_updated_wc_v3.json"),
            ("order.updated", "woocommerce/woocommerce_order_updated_legacy_v3_body.json"),
        ],
    )


def test_aftership_fuzz(client, store):
    def a_known_parcel():
        order = OrderFactory(store=store, number="string", external_id="as-order")
        ShipmentFactory(order=order, tracking_number="0000000000000000", carrier="usps")

    fuzz(
        client,
        store,
        "aftership",
        [("", "aftership/aftership_tracking_update_trimmed.json")],
        given_state=a_known_parcel,
    )


def test_easypost_fuzz(client, store):
    def a_known_parcel():
        ShipmentFactory(order=OrderFactory(store=store), tracking_number="1", carrier="fedex")

    fuzz(client, store, "easypost", [("", "easypost/easypost_event_tracker_updated.json")], given_state=a_known_parcel)


def test_seventeentrack_fuzz(client, store):
    def a_known_parcel():
        ShipmentFactory(order=OrderFactory(store=store), tracking_number="1Z2617V10397725789", carrier="ups")

    fuzz(
        client, store, "17track", [("", "17track/17track_tracking_updated_delivered.json")], given_state=a_known_parcel
    )


SEEDS = [
    ("shopify", "orders/create", "shopify/shopify_orders_create.json"),
    ("shopify", "checkouts/create", "shopify/shopify_checkouts_create.json"),
    ("shopify", "fulfillments/create", "shopify/shopify_fulfillments_create.json"),
    ("shopify", "fulfillments/update", "shopify/real_world_shape/shopify_exemplar_2024-01_fulfillments_1.json"),
    ("shopify", "fulfillment_events/create", "shopify/shopify_fulfillment_events_create.json"),
    ("shopify", "customers/create", "shopify/shopify_customers_create.json"),
    ("shopify", "customers/update", "shopify/real_world_shape/shopify_exemplar_2025-04_customers_1.json"),
    ("woocommerce", "order.created", "woocommerce/woocommerce_order_created_wc_v3.json"),
    ("woocommerce", "order.updated", "woocommerce/woocommerce_order_updated_wc_v3.json"),
    ("woocommerce", "order.updated", "woocommerce/woocommerce_order_updated_legacy_v3_body.json"),
    ("aftership", "", "aftership/aftership_tracking_update_trimmed.json"),
    ("easypost", "", "easypost/easypost_event_tracker_updated.json"),
    ("17track", "", "17track/17track_tracking_updated_delivered.json"),
]


@pytest.mark.parametrize(("source", "topic", "relative"), SEEDS)
def test_every_unmutated_seed_is_accepted(client, store, source, topic, relative):
    """The validation is strict, not wrong: the published payloads the fuzzers start from are applied."""
    connect(store, source)
    if topic.startswith("fulfillment"):
        body = json.dumps(fixture_json("shopify/shopify_orders_create.json")).encode()
        assert post(client, store, "shopify", body, signed_headers("shopify", body)).status_code == 200
    order = OrderFactory(store=store, number="string", external_id="as-order")
    for number, carrier in (("0000000000000000", "usps"), ("1", "fedex"), ("1Z2617V10397725789", "ups")):
        ShipmentFactory(order=order, tracking_number=number, carrier=carrier)
    body = json.dumps(seed(relative)).encode()
    headers = signed_headers(source, body, topic=topic)
    first, second = post(client, store, source, body, headers), post(client, store, source, body, headers)
    assert first.status_code == 200, first.content[:1000]
    assert first.json()["status"] in ("processed", "ignored") and second.json()["status"] == "duplicate"

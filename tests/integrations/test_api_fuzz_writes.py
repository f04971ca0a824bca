"""Fuzzing the API's write endpoints with Hypothesis: valid bodies bent by hostile values (NUL, unpaired
surrogates, amounts and quantities past their columns, times past year 9999, deep nesting, wrong types,
unknown fields), hostile path parameters, query strings and headers.

Whatever is sent: never a 5xx; always JSON; a 4xx writes nothing; a batch writes only the items it reports as
created or updated; the objects stored read back through the API; the owner's dashboard pages still answer.
Bounded and derandomized, so CI runs the same examples every time (on SQLite and on PostgreSQL alike).
"""

import json
import os
from copy import deepcopy

import pytest
from django.db.models import Count, Max
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.customers.models import ConsentEvent, Customer
from apps.integrations.api.limits import is_storable
from apps.orders.models import Cart, CartLine, Order, OrderLine, Product
from apps.shipments.models import Shipment, TrackingEvent
from apps.stores.services import api_key_create
from tests.integrations.test_api import cart_body, customer_body, event, line, order_body, product_body, shipment_body
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "40"))  # CI: 40; raise it for a deeper run
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# --- Hostile values ----------------------------------------------------------------------------------

NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "😀" * 3, "x" * 101, "x" * 256, "x" * 1001, "\u202egnp.exe",
    "<script>alert(1)</script>", "'; DROP TABLE orders; --", "9" * 400, "ＡＢＣ", "\n\t", "%00", "..%2f..",
]  # fmt: skip
NASTY_NUMBERS = [
    0, -1, 1, 1e30, -1e30, 10**20, 2**31, 2**63, 2**70, -(2**70), 1.5, 0.001, 1e-30, float("nan"), float("inf"),
    "1e30", "10000000000.00", "9999999999.99", "9999999999.995", "0.001", "-0", "NaN", "Infinity", " 12 ", "１２",
]  # fmt: skip
NASTY_TIMES = [
    "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "10000-01-01T00:00:00Z", "1999-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z", "2025-03-01T14:30:00", "2025-02-30T00:00:00Z", "2025-03-01T14:30:00+01:00",
    "2025-03-01", "9999-12-31", "0001-01-01", "2025-03-01T14:30:00+25:00",
]  # fmt: skip


def nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


NASTY_STRUCTURES = [None, True, [], {}, [[[]]], {"a": {"b": {}}}, nested(40), ["\x00"], {"\x00": 1}]
NASTY_VALUE = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_NUMBERS),
    st.sampled_from(NASTY_TIMES),
    st.sampled_from(NASTY_STRUCTURES).map(deepcopy),  # a body is bent in place: never share a structure
    st.text(max_size=12),
    st.integers(),
)
NASTY_KEYS = ["a%00b", "%00", "%ED%A0%80", "x" * 101, "x" * 300, "a/b", "batch", "%C3%A9", "ada%40example.com"]
NASTY_QUERY = ["", "", "", "?x=1", "?x=%00", "?%00=1", "?expand=lines%00"]
NASTY_HEADERS = [{}, {}, {}, {"User-Agent": "agent\x00"}, {"X-Trace": "\x00"}, {"User-Agent": "é"}]


# --- The write operations, with a valid call of each ----------------------------------------------------


def shipment_item(**changes) -> dict:
    return shipment_body(tracking_number="", **changes)


def shipment_with_events() -> dict:
    return shipment_item(events=[event()])


def events_body() -> dict:
    return {"events": [event()]}


ID, EMAIL = "external_id", "email"
OPERATIONS = {
    # name: (method, path template, a valid key (None: a batch), a valid body or item, the model, its key column)
    "product_put": ("PUT", "/products/{key}", "p-1", product_body, Product, ID),
    "customer_put": ("PUT", "/customers/{key}", "ada@example.com", customer_body, Customer, EMAIL),
    "order_put": ("PUT", "/orders/{key}", "o-2", order_body, Order, ID),
    "cart_put": ("PUT", "/carts/{key}", "k-1", cart_body, Cart, ID),
    "shipment_put": ("PUT", "/shipments/{key}", "s-2", shipment_with_events, Shipment, ID),
    "shipment_events_post": ("POST", "/shipments/{key}/events", "s-1", events_body, None, ""),
    "products_batch": ("POST", "/products/batch", None, lambda: product_body(external_id="p-1"), Product, ID),
    "customers_batch": ("POST", "/customers/batch", None, lambda: customer_body(email="b@x.example"), Customer, EMAIL),
    "orders_batch": ("POST", "/orders/batch", None, lambda: order_body(external_id="o-3"), Order, ID),
    "carts_batch": ("POST", "/carts/batch", None, lambda: cart_body(external_id="k-2"), Cart, ID),
    "shipments_batch": ("POST", "/shipments/batch", None, lambda: shipment_item(external_id="s-3"), Shipment, ID),
}  # fmt: skip


def leaves(value, path=()):
    """Every (path, value) inside a body, containers included, so a whole list or object can be replaced."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, (*path, index))


def replace(body, path, value):
    if not path:
        return value
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return body


def hostile_for(current):
    """Mostly a hostile value of the same kind (a time for a time, an amount for an amount), else any."""
    if isinstance(current, str) and current[:2] == "20" and current[4:5] == "-":
        typed = st.sampled_from(NASTY_TIMES)
    elif isinstance(current, int | float) or (isinstance(current, str) and current.replace(".", "").isdigit()):
        typed = st.sampled_from(NASTY_NUMBERS)
    elif isinstance(current, str):
        typed = st.sampled_from(NASTY_TEXT)
    else:
        typed = st.sampled_from(NASTY_STRUCTURES).map(deepcopy)
    return st.one_of(typed, typed, typed, NASTY_VALUE)


@st.composite
def bent(draw, make):
    """A valid body with up to three of its values replaced, one removed or an unknown field added."""
    body = deepcopy(make())
    if isinstance(body, dict) and "lines" in body and draw(st.booleans()):
        body["lines"].append(line(title="Second", quantity=1))
    for _ in range(draw(st.integers(0, 3))):
        paths = [path for path, _ in leaves(body) if path]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
        if action == "replace":
            body = replace(body, path, draw(hostile_for(_parent(body, path)[path[-1]])))
        elif action == "remove" and isinstance(container := _parent(body, path), dict):
            container.pop(path[-1], None)
        elif action == "add" and isinstance(container := _parent(body, path), dict):
            container[draw(st.sampled_from(["colour", "col\x00our", "\ud800", "x" * 300]))] = draw(NASTY_VALUE)
    return body


def _parent(body, path):
    for part in path[:-1]:
        body = body[part]
    return body


@st.composite
def calls(draw, operation: str):
    method, template, key, make, _, _ = OPERATIONS[operation]
    if key is not None:
        key = draw(st.sampled_from([key] * 6 + NASTY_KEYS))
        body = draw(bent(make))
    else:
        count = draw(st.integers(1, 3))
        body = {"items": [draw(bent(make)) for _ in range(count)]}
        if draw(st.integers(0, 9)) == 0:
            envelope = body
            body = draw(bent(lambda: envelope))  # now and then the envelope itself
    path = template.format(key=key) + draw(st.sampled_from(NASTY_QUERY))
    return method, path, body, draw(st.sampled_from(NASTY_HEADERS))


# --- What must hold --------------------------------------------------------------------------------------


def unstorable_text(value) -> list[str]:
    """Every string in a JSON answer that holds a NUL or an unpaired surrogate (none may have been stored)."""
    return [text for _, text in leaves(value) if isinstance(text, str) and not is_storable(text)]


WRITTEN = (Product, Customer, ConsentEvent, Order, OrderLine, Cart, CartLine, Shipment, TrackingEvent)


def fingerprint() -> list:
    """How many rows of each written model, and when the newest was changed: any write moves it."""
    return [model.objects.aggregate(n=Count("pk"), last=Max("modified_at")) for model in WRITTEN]


def keys_of(model, column: str) -> set[str]:
    return set(model.objects.values_list(column, flat=True)) if model else set()


@pytest.fixture
def world(store):
    """A key, an order and a shipment to hang things on, and the owner's signed-in dashboard client."""
    order = OrderFactory(store=store, external_id="o-1")
    ShipmentFactory(order=order, external_id="s-1", tracking_number="1Z999AA10123456784", carrier="ups")
    owner = Client(raise_request_exception=False)
    owner.force_login(MembershipFactory(store=store, role="owner").user)
    return api_key_create(store=store, name="fuzz")[1], owner


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_no_hostile_write_gets_a_server_error_or_writes_half(world, operation, request):
    key, owner = world
    client = Client(raise_request_exception=False)
    _, _, _, _, model, column = OPERATIONS[operation]
    examples = 0

    @FUZZ
    @given(calls(operation))
    def send(call):
        nonlocal examples
        examples += 1
        method, path, body, headers = call
        before, known = fingerprint(), keys_of(model, column)
        response = client.generic(
            method, API + path, data=json.dumps(body), content_type="application/json",
            headers={"Authorization": f"Bearer {key}", **headers},
        )  # fmt: skip
        # never a server error, and always JSON
        assert response.status_code < 500, (path, body, response.content)
        assert response["Content-Type"].startswith("application/json"), response.content
        answer = json.loads(response.content)
        if response.status_code >= 400:
            # a refused call says why and writes nothing
            assert isinstance(answer["error"], str) and isinstance(answer["fields"], dict)
            assert fingerprint() == before, (path, body, answer)
        elif path.split("?")[0].endswith("/batch"):
            # a batch writes exactly the items it reports as applied
            applied = [item for item in answer["items"] if item["status"] != "error"]
            new = keys_of(model, column) - known
            assert len(new) <= sum(item["status"] == "created" for item in applied), (body, answer)
            if model is not Customer:  # a customer is reported by its external id when it has one
                assert new <= {item["external_id"] for item in applied}, (body, answer)
            if not applied:
                assert fingerprint() == before, (body, answer)
        # what is stored reads back, and the owner's pages still answer
        if response.status_code in (200, 201) and not path.split("?")[0].endswith("/batch"):
            readable = client.get(
                API + path.split("?")[0].removesuffix("/events"), headers={"Authorization": f"Bearer {key}"}
            )
            assert readable.status_code == 200, readable.content
            assert not unstorable_text(readable.json()), (body, readable.content)
        for page in ("/dashboard/orders/", "/dashboard/customers/"):
            assert owner.get(page).status_code == 200, (page, body)

    send()
    request.node.user_properties.append(("examples", examples))
    print(f"\n{operation}: {examples} examples")  # shown with -s; CI keeps it in the JUnit properties
    assert examples >= EXAMPLES_PER_OPERATION // 2

"""The JSON API at /api/v1/: keys, tenancy, upserts, batches, events, errors, the inbound log and the docs."""

import hashlib
import io
import json
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from apps.customers.models import ConsentEvent, Customer
from apps.integrations.models import InboundEvent, Outcome, Source
from apps.orders.models import Cart, Order, OrderLine, OrderStatus, Product
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from apps.stores.models import ApiKey
from apps.stores.services import api_key_create, api_key_revoke
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, OrderFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


# --- Helpers ----------------------------------------------------------------------------------


@pytest.fixture
def key(store) -> str:
    return api_key_create(store=store, name="tests")[1]


@pytest.fixture
def other_store():
    return StoreFactory(slug="elsewhere")


@pytest.fixture
def other_key(other_store) -> str:
    return api_key_create(store=other_store, name="other")[1]


@pytest.fixture
def call(client, key):
    """call("PUT", "/orders/1", body) as the store's key; token=None sends no Authorization header."""

    def send(method: str, path: str, body=None, *, token: str | None = key, raw: bytes | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "GET":
            return client.get(API + path, headers=headers)
        data = raw if raw is not None else json.dumps(body).encode()
        return client.generic(method, API + path, data=data, content_type="application/json", headers=headers)

    return send


def product_body(**changes) -> dict:
    return {"name": "House Blend · 250 g", "sku": "HB-250", "price": "14.50", "currency": "EUR", **changes}


def customer_body(**changes) -> dict:
    return {"first_name": "Ada", "last_name": "Byron", "locale": "it", "time_zone": "Europe/Rome", **changes}


def line(**changes) -> dict:
    return {"title": "House Blend", "quantity": 2, "unit_price": "14.50", "product_external_id": "p-1", **changes}


def order_body(**changes) -> dict:
    return {
        "number": "#1001",
        "placed_at": "2025-03-01T14:30:00+01:00",
        "currency": "EUR",
        "customer": {"email": "Ada@Example.com", "first_name": "Ada", "external_id": "c-1"},
        "subtotal": "29.00",
        "shipping_total": 4.9,
        "total": "33.90",
        "shipping_country": "it",
        "lines": [line()],
        **changes,
    }


def cart_body(**changes) -> dict:
    return {
        "updated_at": "2025-03-01T12:00:00Z",
        "currency": "EUR",
        "email": "ada@example.com",
        "subtotal": "29.00",
        "recovery_url": "https://shop.example.com/checkouts/k-1/recover",
        "lines": [line()],
        **changes,
    }


def shipment_body(**changes) -> dict:
    return {"order_external_id": "o-1", "tracking_number": "1Z999AA10123456784", **changes}


def event(**changes) -> dict:
    return {"occurred_at": "2025-03-02T08:00:00Z", "status": "in_transit", "raw_status": "InTransit", **changes}


# --- The schema, and every operation in it ------------------------------------------------------

# (method, path as the schema names it) -> (a valid call of it, the status it answers). The schema test
# below fails when an operation is added to the API without a call here.
OPERATIONS: dict[tuple[str, str], tuple] = {}


def covers(method: str, path: str, status: int):
    def register(make_call):
        OPERATIONS[(method, API + path)] = (make_call, status)
        return make_call

    return register


@covers("put", "/products/{external_id}", 201)
def put_product(call, store):
    return call("PUT", "/products/p-1", product_body())


@covers("get", "/products/{external_id}", 200)
def get_product(call, store):
    ProductFactory(store=store, external_id="p-1")
    return call("GET", "/products/p-1")


@covers("post", "/products/batch", 200)
def batch_products(call, store):
    return call("POST", "/products/batch", {"items": [product_body(external_id="p-1")]})


@covers("put", "/customers/{email_or_external_id}", 201)
def put_customer(call, store):
    return call("PUT", "/customers/ada@example.com", customer_body())


@covers("get", "/customers/{email_or_external_id}", 200)
def get_customer(call, store):
    CustomerFactory(store=store, email="ada@example.com")
    return call("GET", "/customers/ada@example.com")


@covers("post", "/customers/batch", 200)
def batch_customers(call, store):
    return call("POST", "/customers/batch", {"items": [customer_body(email="ada@example.com")]})


@covers("put", "/orders/{external_id}", 201)
def put_order(call, store):
    return call("PUT", "/orders/o-1", order_body())


@covers("get", "/orders/{external_id}", 200)
def get_order(call, store):
    OrderFactory(store=store, external_id="o-1")
    return call("GET", "/orders/o-1")


@covers("post", "/orders/batch", 200)
def batch_orders(call, store):
    return call("POST", "/orders/batch", {"items": [order_body(external_id="o-1")]})


@covers("put", "/carts/{external_id}", 201)
def put_cart(call, store):
    return call("PUT", "/carts/k-1", cart_body())


@covers("get", "/carts/{external_id}", 200)
def get_cart(call, store):
    CartFactory(store=store, external_id="k-1")
    return call("GET", "/carts/k-1")


@covers("post", "/carts/batch", 200)
def batch_carts(call, store):
    return call("POST", "/carts/batch", {"items": [cart_body(external_id="k-1")]})


@covers("put", "/shipments/{external_id}", 201)
def put_shipment(call, store):
    OrderFactory(store=store, external_id="o-1")
    return call("PUT", "/shipments/s-1", shipment_body())


@covers("get", "/shipments/{external_id}", 200)
def get_shipment(call, store):
    ShipmentFactory(order=OrderFactory(store=store, external_id="o-1"), external_id="s-1")
    return call("GET", "/shipments/s-1")


@covers("post", "/shipments/{external_id}/events", 200)
def post_shipment_events(call, store):
    ShipmentFactory(order=OrderFactory(store=store, external_id="o-1"), external_id="s-1")
    return call("POST", "/shipments/s-1/events", {"events": [event()]})


@covers("post", "/shipments/batch", 200)
def batch_shipments(call, store):
    OrderFactory(store=store, external_id="o-1")
    return call("POST", "/shipments/batch", {"items": [shipment_body(external_id="s-1")]})


def test_the_schema_is_openapi_3_with_paths_and_components(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert (schema["info"]["title"], schema["info"]["version"]) == ("Afterglow API", "1")
    assert schema["paths"] and schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {"type": "http", "scheme": "bearer"}
    # every $ref points at a component that exists
    refs = {ref.rsplit("/", 1)[1] for ref in _refs(schema)}
    assert refs <= set(schema["components"]["schemas"])
    # a batch documents its items as the single object's shape
    items = schema["components"]["schemas"]["OrderBatchIn"]["properties"]["items"]
    assert (items["items"]["$ref"], items["maxItems"]) == ("#/components/schemas/OrderIn", 1000)


def _refs(node):
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_operation_in_the_schema_is_exercised_here(client):
    schema = client.get(f"{API}/openapi.json").json()
    in_schema = {(method, path) for path, operations in schema["paths"].items() for method in operations}
    assert in_schema == set(OPERATIONS)
    ids = [operation["operationId"] for operations in schema["paths"].values() for operation in operations.values()]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS), ids=lambda op: f"{op[0]} {op[1]}")
def test_each_operation_answers_a_valid_call(call, store, operation):
    make_call, expected = OPERATIONS[operation]
    response = make_call(call, store)
    assert response.status_code == expected, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"


# --- Keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/orders/o-1", None), ("PUT", "/products/p-1", product_body()), ("POST", "/orders/batch", {"items": []})],
)
def test_no_key_a_wrong_key_and_a_revoked_key_are_refused(call, store, key, method, path, body):
    revoked, revoked_key = api_key_create(store=store, name="old")
    api_key_revoke(api_key=revoked)
    answers = {
        "none": call(method, path, body, token=None),
        "wrong": call(method, path, body, token="ag_" + "x" * 43),
        "revoked": call(method, path, body, token=revoked_key),
    }
    for name, response in answers.items():
        assert response.status_code == 401, name
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"], name
    assert "revoked" in answers["revoked"].json()["error"]
    assert not Product.objects.exists()
    assert not InboundEvent.objects.exists()  # nothing is logged for a caller we do not know


def test_another_scheme_in_the_header_is_refused(client, key):
    response = client.get(f"{API}/orders/o-1", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 401


def test_a_key_in_use_notes_when_it_was_last_used(call, store, key):
    call("GET", "/orders/nothing")
    assert ApiKey.objects.get(store=store).last_used_at is not None


def test_csrf_is_not_asked_of_a_bearer_call(key):
    client = Client(enforce_csrf_checks=True)
    response = client.put(
        f"{API}/products/p-1", json.dumps(product_body()), content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip
    assert response.status_code == 201


def test_create_api_key_prints_a_key_that_works_and_only_its_digest_is_stored(client, store):
    out, err = io.StringIO(), io.StringIO()
    # when a person makes a key on the command line
    call_command("create_api_key", store.slug, "--name", "ERP", stdout=out, stderr=err)
    key = out.getvalue().strip()
    # then stdout is the key alone, and stderr says it is shown once
    assert key.startswith("ag_") and "\n" not in key
    assert "cannot be shown again" in err.getvalue()
    # and the key works
    response = client.put(
        f"{API}/products/p-1", json.dumps(product_body()), content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip
    assert response.status_code == 201
    # and the database holds its digest, not the key
    row = ApiKey.objects.values().get(store=store)
    assert row["hashed_key"] == hashlib.sha256(key.encode()).hexdigest()
    assert not any(key in str(value) for value in row.values())
    assert not InboundEvent.objects.filter(headers__icontains=key).exists()


# --- Tenancy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/products/p-1", "/customers/ada@example.com", "/customers/c-1", "/orders/o-1", "/carts/k-1", "/shipments/s-1"],
)
def test_another_stores_key_does_not_find_this_stores_objects(call, store, other_key, path):
    order = OrderFactory(store=store, external_id="o-1")
    ProductFactory(store=store, external_id="p-1")
    CustomerFactory(store=store, email="ada@example.com", external_id="c-1")
    CartFactory(store=store, external_id="k-1")
    ShipmentFactory(order=order, external_id="s-1")
    assert call("GET", path).status_code == 200
    response = call("GET", path, token=other_key)
    assert response.status_code == 404
    assert "in this store" in response.json()["error"]


def test_another_stores_key_cannot_change_this_stores_objects(call, store, other_store, other_key):
    order = OrderFactory(store=store, external_id="o-1", number="#1001")
    shipment = ShipmentFactory(order=order, external_id="s-1")
    before = Order.objects.get(pk=order.pk).modified_at
    # when the other store sends an order with the same external id
    response = call("PUT", "/orders/o-1", order_body(number="#9"), token=other_key)
    # then it creates its own, and this store's order is untouched
    assert response.status_code == 201
    assert Order.objects.get(pk=order.pk).modified_at == before
    assert Order.objects.get(store=other_store, external_id="o-1").number == "#9"
    # and it cannot add events to this store's shipment
    events = call("POST", "/shipments/s-1/events", {"events": [event()]}, token=other_key)
    assert events.status_code == 404
    assert not TrackingEvent.objects.filter(shipment=shipment).exists()


def test_a_shipment_cannot_hang_on_another_stores_order(call, store, other_key):
    OrderFactory(store=store, external_id="o-1")
    response = call("PUT", "/shipments/s-1", shipment_body(), token=other_key)
    assert response.status_code == 422
    assert "order_external_id" in response.json()["fields"]
    assert not Shipment.objects.exists()


# --- Upserts ------------------------------------------------------------------------------------


def _seed_for(resource: str, store) -> None:
    if resource == "shipments":
        OrderFactory(store=store, external_id="o-1")


UPSERTS = {
    "products": ("/products/p-1", product_body, lambda s: Product.objects.filter(store=s)),
    "customers": ("/customers/ada@example.com", customer_body, lambda s: Customer.objects.filter(store=s)),
    "orders": ("/orders/o-1", order_body, lambda s: Order.objects.filter(store=s)),
    "carts": ("/carts/k-1", cart_body, lambda s: Cart.objects.filter(store=s)),
    "shipments": (
        "/shipments/s-1",
        lambda: shipment_body(events=[event()]),
        lambda s: Shipment.objects.filter(store=s),
    ),
}


@pytest.mark.parametrize("resource", sorted(UPSERTS))
def test_the_same_put_twice_keeps_one_row_and_changes_nothing(call, store, resource):
    path, body, rows = UPSERTS[resource]
    _seed_for(resource, store)
    # given a first PUT created the object
    first = call("PUT", path, body())
    assert first.status_code == 201, first.content
    stored = rows(store).get()
    # when the same PUT comes again
    second = call("PUT", path, body())
    # then it answers 200 with the same object, and nothing was written
    assert second.status_code == 200
    assert second.json() == first.json()
    assert rows(store).count() == 1
    assert rows(store).get().modified_at == stored.modified_at
    # and a GET reads what the PUT returned
    assert call("GET", path).json() == second.json()


def test_an_order_put_stores_its_buyer_lines_and_money(call, store):
    ProductFactory(store=store, external_id="p-1", image_url="https://img.example.com/p-1.jpg")
    response = call("PUT", "/orders/o-1", order_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["status"], body["currency"]) == ("#1001", "paid", "EUR")
    assert (body["subtotal"], body["shipping_total"], body["total"]) == ("29.00", "4.90", "33.90")
    assert body["placed_at"] == "2025-03-01T13:30:00Z"
    assert body["customer_email"] == "ada@example.com"
    assert body["shipping_country"] == "IT"
    assert body["lines"] == [
        {"title": "House Blend", "variant_title": "", "quantity": 2, "unit_price": "14.50",
         "product_external_id": "p-1", "external_id": "", "sku": ""}
    ]  # fmt: skip
    order = Order.objects.get(store=store, external_id="o-1")
    assert body["tracking_page_url"].endswith(order.get_tracking_url())
    assert order.customer.external_id == "c-1" and order.customer.first_name == "Ada"
    assert order.lines.get().image_url == "https://img.example.com/p-1.jpg"


def test_an_order_put_without_lines_keeps_them_and_an_older_version_is_ignored(call, store):
    call("PUT", "/orders/o-1", order_body(updated_at="2025-03-01T15:00:00Z"))
    lines = list(OrderLine.objects.values_list("pk", flat=True))
    # when a newer version without lines cancels the order
    newer = call("PUT", "/orders/o-1", order_body(status="cancelled", updated_at="2025-03-02T09:00:00Z", lines=None))
    # then the lines are kept and the order is cancelled
    assert newer.status_code == 200
    assert newer.json()["status"] == "cancelled" and newer.json()["cancelled_at"]
    assert list(OrderLine.objects.values_list("pk", flat=True)) == lines
    # and an older version arriving late changes nothing
    late = call("PUT", "/orders/o-1", order_body(status="paid", updated_at="2025-03-01T16:00:00Z"))
    assert late.status_code == 200
    assert Order.objects.get(external_id="o-1").status == OrderStatus.CANCELLED


def test_an_order_naming_its_cart_converts_the_cart(call, store):
    call("PUT", "/carts/k-1", cart_body())
    call("PUT", "/orders/o-1", order_body(cart_external_id="k-1"))
    cart = call("GET", "/carts/k-1").json()
    assert cart["converted"] is True
    assert cart["converted_order_external_id"] == "o-1"


def test_the_external_id_in_a_body_must_match_the_path(call):
    response = call("PUT", "/products/p-1", product_body(external_id="p-2"))
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["external_id"]
    assert not Product.objects.exists()


def test_external_ids_with_slashes_work_in_the_path(call, store):
    assert call("PUT", "/products/gid://shop/Product/7", product_body()).status_code == 201
    assert call("GET", "/products/gid://shop/Product/7").json()["external_id"] == "gid://shop/Product/7"


def test_a_product_feed_without_replenishment_keeps_the_merchants_value(call, store):
    ProductFactory(store=store, external_id="p-1", replenishment_days=45)
    response = call("PUT", "/products/p-1", product_body())
    assert response.json()["replenishment_days"] == 45


# --- Customers ----------------------------------------------------------------------------------


def test_a_customer_is_found_by_email_or_by_external_id(call, store):
    created = call("PUT", "/customers/Ada@Example.com", customer_body(external_id="c-1", accepts_marketing=True))
    assert created.status_code == 201
    assert created.json()["email"] == "ada@example.com"
    assert call("GET", "/customers/ADA@example.com").json() == call("GET", "/customers/c-1").json()
    # then consent was recorded with its history, as given through the API
    customer = Customer.objects.get(store=store)
    assert customer.marketing_consent and customer.consent_source == "api"
    assert ConsentEvent.objects.filter(customer=customer).count() == 1
    # and a PUT by external id updates the same customer
    updated = call("PUT", "/customers/c-1", {"last_name": "Lovelace"})
    assert updated.status_code == 200
    assert Customer.objects.get(store=store).last_name == "Lovelace"


def test_a_new_customer_by_external_id_needs_an_email(call):
    response = call("PUT", "/customers/c-9", customer_body())
    assert response.status_code == 422
    assert response.json()["fields"] == {"email": "Field required"}


def test_a_customers_email_cannot_be_changed_or_taken_over(call, store):
    CustomerFactory(store=store, email="ada@example.com", external_id="c-1")
    changed = call("PUT", "/customers/c-1", customer_body(email="other@example.com"))
    mismatch = call("PUT", "/customers/ada@example.com", customer_body(email="other@example.com"))
    taken = call("PUT", "/customers/bob@example.com", customer_body(external_id="c-1"))
    assert (changed.status_code, mismatch.status_code, taken.status_code) == (422, 422, 422)
    assert "external_id" in changed.json()["fields"]
    assert "email" in mismatch.json()["fields"]
    assert "external_id" in taken.json()["fields"]
    assert list(Customer.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_a_path_with_an_at_sign_must_be_an_email(call):
    response = call("PUT", "/customers/not@an@email", customer_body())
    assert response.status_code == 422
    assert "email" in response.json()["fields"]


# --- Shipments and events -----------------------------------------------------------------------


def test_a_shipment_put_detects_the_carrier_and_applies_its_events(call, store):
    OrderFactory(store=store, external_id="o-1")
    body = shipment_body(events=[event(), event(occurred_at="2025-03-03T09:00:00+01:00", status="delivered")])
    response = call("PUT", "/shipments/s-1", body)
    assert response.status_code == 201, response.content
    shipment = response.json()
    assert (shipment["carrier"], shipment["carrier_name"], shipment["status"]) == ("ups", "UPS", "delivered")
    assert shipment["order_external_id"] == "o-1"
    assert [e["status"] for e in shipment["events"]] == ["delivered", "in_transit"]
    assert shipment["delivered_at"] == "2025-03-03T08:00:00Z"


def test_events_append_keep_the_raw_status_and_never_move_the_shipment_back(call, store):
    ShipmentFactory(order=OrderFactory(store=store, external_id="o-1"), external_id="s-1", status="pending")
    newest = event(occurred_at="2025-03-03T08:00:00Z", status="out_for_delivery", raw_status="OFD", external_id="e-2")
    first = call("POST", "/shipments/s-1/events", {"events": [newest]})
    assert first.status_code == 200
    assert first.json()["new_events"] == 1
    # when an older event arrives late, and the newest one again
    late = call("POST", "/shipments/s-1/events", {"events": [event(external_id="e-1"), newest]})
    # then only the new one is stored and the status stays where the newest event put it
    assert late.json()["new_events"] == 1
    shipment = Shipment.objects.get(external_id="s-1")
    assert (shipment.status, shipment.raw_status) == (ShipmentStatus.OUT_FOR_DELIVERY, "OFD")
    assert shipment.events.count() == 2
    assert set(shipment.events.values_list("raw_status", "source")) == {("OFD", "api"), ("InTransit", "api")}


def test_an_event_status_must_be_a_normalised_one(call, store):
    ShipmentFactory(order=OrderFactory(store=store, external_id="o-1"), external_id="s-1")
    response = call("POST", "/shipments/s-1/events", {"events": [event(status="InTransit")]})
    assert response.status_code == 422
    assert "events.0.status" in response.json()["fields"]
    assert not TrackingEvent.objects.exists()


def test_events_for_an_unknown_shipment_are_a_404(call):
    response = call("POST", "/shipments/nope/events", {"events": [event()]})
    assert response.status_code == 404
    assert InboundEvent.objects.get().outcome == Outcome.FAILED


def test_a_shipment_needs_its_order_and_cannot_change_orders(call, store):
    OrderFactory(store=store, external_id="o-1")
    OrderFactory(store=store, external_id="o-2")
    unknown = call("PUT", "/shipments/s-1", shipment_body(order_external_id="o-404"))
    assert unknown.status_code == 422
    assert "order_external_id" in unknown.json()["fields"]
    assert call("PUT", "/shipments/s-1", shipment_body()).status_code == 201
    moved = call("PUT", "/shipments/s-1", shipment_body(order_external_id="o-2"))
    assert moved.status_code == 422
    assert Shipment.objects.get().order.external_id == "o-1"


def test_a_tracking_number_already_on_another_shipment_is_refused(call, store):
    OrderFactory(store=store, external_id="o-1")
    call("PUT", "/shipments/s-1", shipment_body())
    response = call("PUT", "/shipments/s-2", shipment_body())
    assert response.status_code == 422
    assert "tracking_number" in response.json()["fields"]
    assert Shipment.objects.count() == 1


# --- Batches ------------------------------------------------------------------------------------


def test_a_batch_reports_the_bad_item_and_applies_the_others(call, store):
    items = [
        order_body(external_id="o-1"),
        order_body(external_id="o-2", currency="EURO", lines=[line(quantity=0)]),
        order_body(external_id="o-3", number="#1003"),
        "not an object",
    ]
    response = call("POST", "/orders/batch", {"items": items})
    assert response.status_code == 200
    report = response.json()
    assert (report["created"], report["updated"], report["failed"]) == (2, 0, 2)
    assert [(i["index"], i["external_id"], i["status"]) for i in report["items"]] == [
        (0, "o-1", "created"), (1, "o-2", "error"), (2, "o-3", "created"), (3, None, "error"),
    ]  # fmt: skip
    assert set(report["items"][1]["errors"]) == {"currency", "lines.0.quantity"}
    assert report["items"][3]["errors"] == {
        "item": "Input should be a valid dictionary or object to extract fields from"
    }
    assert set(Order.objects.values_list("external_id", flat=True)) == {"o-1", "o-3"}
    # and sent again, the good items are updates
    again = call("POST", "/orders/batch", {"items": items}).json()
    assert [i["status"] for i in again["items"]] == ["updated", "error", "updated", "error"]
    assert Order.objects.count() == 2


def test_a_batch_item_needs_its_external_id(call):
    report = call("POST", "/products/batch", {"items": [product_body()]}).json()
    assert report["items"][0]["errors"] == {"external_id": "Field required"}


def test_a_batch_never_half_applies_an_item(call, store, monkeypatch):
    OrderFactory(store=store, external_id="o-1")

    def broken(**kwargs):
        raise RuntimeError("carrier feed down")

    # given recording events fails after the shipment itself was written
    monkeypatch.setattr("apps.integrations.api.resources.shipment_record_events", broken)
    items = [
        shipment_body(external_id="s-1", events=[event()]),
        shipment_body(external_id="s-2", tracking_number="1Z999AA10123456785"),
    ]
    report = call("POST", "/shipments/batch", {"items": items}).json()
    # then the first item is wholly undone and reported, and the second applied
    assert [i["status"] for i in report["items"]] == ["error", "created"]
    assert "Internal error" in report["items"][0]["error"] and "RuntimeError" not in report["items"][0]["error"]
    assert list(Shipment.objects.values_list("external_id", flat=True)) == ["s-2"]


def test_customer_batch_items_are_keyed_by_email(call, store):
    items = [customer_body(email="ada@example.com", external_id="c-1"), customer_body(email="bob@example.com"), {}]
    report = call("POST", "/customers/batch", {"items": items}).json()
    assert [(i["external_id"], i["status"]) for i in report["items"]] == [
        ("c-1", "created"), ("bob@example.com", "created"), (None, "error"),
    ]  # fmt: skip
    assert report["items"][2]["errors"] == {"email": "Field required"}


def test_more_than_1000_items_are_refused_whole(call):
    items = [product_body(external_id=f"p-{n}") for n in range(1001)]
    response = call("POST", "/products/batch", {"items": items})
    assert response.status_code == 422
    assert "at most 1000 items" in response.json()["error"] and "1001" in response.json()["error"]
    assert "items" in response.json()["fields"]
    assert not Product.objects.exists()


def test_an_empty_batch_is_refused(call):
    response = call("POST", "/products/batch", {"items": []})
    assert response.status_code == 422
    assert "items" in response.json()["fields"]


# --- Bad input ----------------------------------------------------------------------------------


def test_every_invalid_field_is_named(call):
    body = order_body(
        placed_at="2025-03-01T14:30:00",  # no offset
        currency="euro",
        total="12.345",
        external_id=12,
        customer={"email": "not-an-email"},
        lines=[line(), line(quantity=0, unit_price="-1")],
        colour="blue",
    )
    response = call("PUT", "/orders/o-1", body)
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert set(fields) == {
        "placed_at", "currency", "total", "external_id", "customer.email", "lines.1.quantity", "lines.1.unit_price",
        "colour",
    }  # fmt: skip
    assert "offset" in fields["placed_at"]
    assert "decimal" in fields["total"]
    assert all(name in response.json()["error"] for name in fields)
    assert not Order.objects.exists()


def test_an_unknown_status_is_refused(call):
    response = call("PUT", "/orders/o-1", order_body(status="shipped"))
    assert response.status_code == 422
    assert "status" in response.json()["fields"]


def test_money_may_be_a_string_or_a_number(call):
    response = call("PUT", "/products/p-1", product_body(price=12))
    assert response.json()["price"] == "12.00"
    response = call("PUT", "/products/p-1", product_body(price="12.5"))
    assert Product.objects.get().price == Decimal("12.50")


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b'{"name": "Beans",', 400), (b"\xff\xfe", 400), (b"", 422), (b"[1, 2]", 422), (b'"text"', 422)],
)
def test_a_body_that_is_not_a_json_object_is_refused(call, raw, status):
    response = call("PUT", "/products/p-1", raw=raw)
    assert response.status_code == status
    assert response.json()["error"]
    assert not Product.objects.exists()


def test_a_body_over_the_limit_is_refused_with_413(call, settings):
    settings.MAX_INBOUND_BODY_BYTES = 200
    response = call("PUT", "/products/p-1", product_body(category="x" * 300))
    assert response.status_code == 413
    assert "200 bytes" in response.json()["error"]
    assert not Product.objects.exists()


def test_a_body_over_djangos_upload_limit_is_a_413_too(call, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = call("PUT", "/products/p-1", product_body(category="x" * 300))
    assert response.status_code == 413
    assert InboundEvent.objects.get().http_status == 413


# --- The inbound log ----------------------------------------------------------------------------


def test_each_write_is_logged_and_an_identical_replay_is_recognised(call, store, key):
    body = product_body()
    call("PUT", "/products/p-1", body)
    call("PUT", "/products/p-1", body)
    call("GET", "/products/p-1")
    event = InboundEvent.objects.get(store=store)
    raw = json.dumps(body).encode()
    assert (event.source, event.topic, event.object_id) == (Source.API, "products.put", "p-1")
    assert event.delivery_id == hashlib.sha256(b"PUT /api/v1/products/p-1\n" + raw).hexdigest()
    assert (event.deliveries, event.outcome, event.http_status) == (2, Outcome.PROCESSED, 200)
    assert json.loads(event.body) == body
    assert key not in json.dumps(event.headers)


def test_failed_writes_and_batches_are_logged_with_their_topic(call, store):
    call("PUT", "/orders/o-1", order_body(currency="euro"))
    call("PUT", "/orders/o-1", raw=b"{")
    call("POST", "/products/batch", {"items": [product_body(external_id="p-1"), product_body()]})
    rows = list(InboundEvent.objects.order_by("id").values_list("topic", "outcome", "http_status"))
    assert rows == [
        ("orders.put", Outcome.FAILED, 422),
        ("orders.put", Outcome.FAILED, 400),
        ("products.batch", Outcome.FAILED, 200),
    ]
    batch = InboundEvent.objects.get(topic="products.batch")
    assert batch.summary == "products: 1 created, 0 updated, 1 failed"
    assert "item 1" in batch.error
    assert "currency" in InboundEvent.objects.filter(topic="orders.put").order_by("id").first().error


def test_events_are_logged_under_their_own_topic(call, store):
    ShipmentFactory(order=OrderFactory(store=store, external_id="o-1"), external_id="s-1")
    call("POST", "/shipments/s-1/events", {"events": [event()]})
    assert InboundEvent.objects.values_list("topic", "object_id", "outcome").get() == (
        "shipments.events", "s-1", Outcome.PROCESSED,
    )  # fmt: skip


# --- Docs ---------------------------------------------------------------------------------------


def test_the_docs_page_works_under_the_sites_csp(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # no inline script and nothing from a CDN: every script is one of our static files
    assert html.count("<script") == html.count('<script src="/static/vendor/swagger-ui/')
    assert "http" not in html.replace(f'data-openapi-url="{API}/openapi.json"', "")
    assert f'data-openapi-url="{API}/openapi.json"' in html
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "afterglow-init.js", "LICENSE"):
        assert finders.find(f"vendor/swagger-ui/{name}"), name


def test_exactly_1000_items_are_accepted(call):
    items = [{"external_id": f"p-{n}", "name": f"Tea {n}"} for n in range(1000)]
    report = call("POST", "/products/batch", {"items": items}).json()
    assert (report["created"], report["failed"]) == (1000, 0)
    assert Product.objects.count() == 1000


def test_an_unexpected_failure_is_a_json_500_logged_and_nothing_is_saved(call, monkeypatch):
    def broken(*, store, data):
        Product.objects.create(store=store, external_id=data.external_id, name="half-written")
        raise RuntimeError("disk on fire")

    # given the product service fails after writing
    monkeypatch.setattr("apps.integrations.api.resources.product_upsert", broken)
    response = call("PUT", "/products/p-1", product_body())
    assert response.status_code == 500
    assert "reference" in response.json()["error"] and "disk on fire" not in response.content.decode()
    assert not Product.objects.exists()
    assert InboundEvent.objects.values_list("outcome", "http_status").get() == (Outcome.FAILED, 500)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"external_id": "p-1", "name": "Mug\\u0000"}',
        b'{"external_id": "p-1", "name": "Mug \\udb1c"}',
    ],
    ids=["nul", "lone-surrogate"],
)
def test_text_no_database_can_store_is_refused_with_a_4xx(call, raw):
    # found by fuzzing: PostgreSQL refuses NUL characters, and unpaired surrogates are not UTF-8
    response = call("PUT", "/products/p-1", raw=raw)
    assert response.status_code == 422
    assert "NUL character or an unpaired surrogate" in response.json()["fields"]["name"]
    assert call("GET", "/products/p-1").status_code == 404


def test_a_nul_in_a_path_is_a_4xx_not_a_server_error(call):
    # more of the kind (query, headers, PostgreSQL) in test_api_hostile_input.py
    response = call("GET", "/products/bad%00id")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["external_id"]

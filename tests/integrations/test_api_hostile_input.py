"""The API under hostile input: whatever is sent, in the path, the query, a header or the body, the answer is
JSON; bad input is a 4xx that names where it was and stores nothing; a failure of ours is a bare JSON 500.

Found by an outside review and by fuzzing on PostgreSQL: NUL bytes and unpaired surrogates, amounts and
dates past what the columns hold, deeply nested bodies, and batches holding one bad item."""

import json
import logging
from decimal import Decimal

import pydantic
import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.test import Client

from apps.core.bounds import InputError, integer_range, money_limit
from apps.customers.models import Customer
from apps.integrations.api import api, schemas
from apps.integrations.api.limits import MAX_JSON_DEPTH
from apps.integrations.models import InboundEvent, Outcome
from apps.orders.models import Cart, CartLine, Order, OrderLine, Product
from apps.shipments.models import Shipment, TrackingEvent
from apps.stores.services import api_key_create
from tests.customers.factories import CustomerFactory
from tests.integrations.test_api import cart_body, customer_body, event, line, order_body, product_body, shipment_body
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"
JSON = "application/json"


@pytest.fixture
def key(store) -> str:
    return api_key_create(store=store, name="tests")[1]


@pytest.fixture
def client():
    """Failures come back as the responses a caller would see, not as exceptions in the test."""
    return Client(raise_request_exception=False)


@pytest.fixture
def call(client, key):
    """call("PUT", "/orders/1", body); raw= sends bytes; headers= adds or replaces headers."""

    def send(method: str, path: str, body=None, *, raw: bytes | None = None, headers: dict | None = None):
        sent = {"Authorization": f"Bearer {key}", **(headers or {})}
        if method == "GET":
            return client.get(API + path, headers=sent)
        data = raw if raw is not None else json.dumps(body).encode()
        return client.generic(method, API + path, data=data, content_type=JSON, headers=sent)

    return send


@pytest.fixture
def owner(store):
    """A client signed in to the dashboard as the store's owner."""
    membership = MembershipFactory(store=store, role="owner")
    client = Client(raise_request_exception=False)
    client.force_login(membership.user)
    return client


def refused(response, status: int, *fields: str) -> dict:
    """The response is a JSON error with this status naming these fields; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(JSON), response.content
    body = response.json()
    assert body["error"]
    for name in fields:
        assert name in body["fields"], body
    return body


def nothing_stored() -> bool:
    models = (Product, Customer, Order, OrderLine, Shipment, TrackingEvent)
    return not any(model.objects.exists() for model in models)


# --- 1. NUL and unpaired surrogates: path, query, headers, body -----------------------------------


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/orders/abc%00def/", "external_id"),
        ("PUT", "/orders/abc%00def", "external_id"),
        ("GET", "/customers/ada%00@example.com", "email_or_external_id"),
        ("PUT", "/customers/c%001", "email_or_external_id"),
        ("POST", "/shipments/s%001/events", "external_id"),
        ("GET", "/no%00where", "path"),
    ],
)
def test_a_nul_in_the_path_is_a_json_400_naming_the_parameter(call, store, method, path, field):
    body = {"events": [event()]} if path.endswith("/events") else order_body()
    response = call(method, path, None if method == "GET" else body)
    refused(response, 400, field)
    assert nothing_stored()


def test_a_nul_in_a_query_parameter_is_a_json_400_naming_it(call, store):
    refused(call("GET", "/orders/o-1?expand=lines%00"), 400, "query.expand")
    refused(call("PUT", "/orders/o-1?x%00=1", order_body()), 400)
    assert nothing_stored()


@pytest.mark.parametrize("header", ["Authorization", "User-Agent", "X-Request-Id"])
def test_a_nul_in_a_header_is_a_json_400_naming_it(call, key, store, header):
    value = f"Bearer {key}\x00" if header == "Authorization" else "agent\x00"
    response = call("PUT", "/products/p-1", product_body(), headers={header: value})
    refused(response, 400, f"header.{header}")
    assert nothing_stored()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": "#10\x0001"}, "number"),
        ({"number": "#1001\ud800"}, "number"),
        ({"customer": {"email": "ada@example.com", "first_name": "A\x00da"}}, "customer.first_name"),
        ({"lines": [line(), line(title="\udfff")]}, "lines.1.title"),
        ({"discount_codes": ["OK", "BAD\x00"]}, "discount_codes.1"),
        ({"locale": "en\x00"}, "locale"),
        ({"shipping_country": "I\x00"}, "shipping_country"),
    ],
)
def test_text_no_database_can_store_is_a_422_naming_the_field(call, store, changes, field):
    body = refused(call("PUT", "/orders/o-1", order_body(**changes)), 422, field)
    assert "NUL" in body["fields"][field]
    assert nothing_stored()


def test_a_field_name_no_database_can_store_is_refused_and_named_without_it(call, store):
    nul = refused(call("PUT", "/products/p-1", raw=b'{"name": "Mug", "col\\u0000our": 1}'), 422)
    assert list(nul["fields"]) == ["col\ufffdour"]
    surrogate = refused(call("PUT", "/products/p-1", raw=b'{"name": "Mug", "\\ud800": 2}'), 422)
    assert "NUL" in surrogate["fields"]["body"]
    assert nothing_stored()


def test_a_raw_nul_byte_in_a_malformed_body_is_refused_and_logged_without_it(call, store):
    response = call("PUT", "/products/p-1", raw=b'{"name": "Mu\x00g"}')
    refused(response, 400)
    logged = InboundEvent.objects.get(store=store)
    assert (logged.outcome, logged.http_status) == (Outcome.FAILED, 400)
    assert "\x00" not in logged.body and "Mu" in logged.body


def test_a_bad_item_in_a_batch_is_reported_alone_and_the_others_apply(call, store):
    items = [
        product_body(external_id="p-1"),
        product_body(external_id="p-2", name="Mug\x00"),
        product_body(external_id="p-3\ud800"),
        product_body(external_id="p-4", price="1e30"),
        product_body(external_id="p-5"),
    ]
    response = call("POST", "/products/batch", {"items": items})
    assert response.status_code == 200, response.content
    report = response.json()
    assert [i["status"] for i in report["items"]] == ["created", "error", "error", "error", "created"]
    assert [sorted(i["errors"]) for i in report["items"][1:4]] == [["name"], ["external_id"], ["price"]]
    assert report["items"][2]["external_id"] is None  # the unstorable key is not echoed back
    assert set(Product.objects.values_list("external_id", flat=True)) == {"p-1", "p-5"}


# --- 2. Amounts, quantities, dates and lengths bounded by their columns ------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"total": 1e30}, "total"),
        ({"total": "1e30"}, "total"),
        ({"total": 10**20}, "total"),
        ({"subtotal": "10000000000.00"}, "subtotal"),
        ({"tax_total": -1}, "tax_total"),
        ({"lines": [line(quantity=2**70)]}, "lines.0.quantity"),
        ({"lines": [line(quantity=2**31)]}, "lines.0.quantity"),
        ({"lines": [line(unit_price="12345678901.00")]}, "lines.0.unit_price"),
    ],
)
def test_amounts_and_quantities_past_their_columns_are_refused(call, store, owner, changes, field):
    refused(call("PUT", "/orders/o-1", order_body(**changes)), 422, field)
    assert nothing_stored()
    assert owner.get("/dashboard/orders/").status_code == 200


def test_the_largest_amounts_the_columns_hold_are_stored_and_read_back_exactly(call, store, owner):
    most = "9999999999.99"
    body = order_body(total=most, subtotal=most, lines=[line(quantity=1_000_000, unit_price=most)])
    response = call("PUT", "/orders/o-1", body)
    assert response.status_code == 201, response.content
    assert (response.json()["total"], response.json()["lines"][0]["unit_price"]) == (most, most)
    assert Order.objects.get().total == Decimal(most)
    for page in ("/dashboard/", "/dashboard/orders/", "/dashboard/customers/"):
        assert owner.get(page).status_code == 200, page


def test_a_buyer_whose_orders_add_up_past_the_total_spend_column_keeps_the_order_and_the_dashboard_works(
    call, store, owner
):
    # given a buyer whose orders already add up to nearly what the customer's total spend can hold
    ada = CustomerFactory(store=store, email="ada@example.com")
    for n in range(100):
        OrderFactory(store=store, customer=ada, external_id=f"big-{n}", total=Decimal("9999999999.99"))
    # when one more order of theirs comes in, in a PUT and in a batch
    body = order_body(total="9999999999.99", customer={"email": "ada@example.com"})
    put = call("PUT", "/orders/o-1", body)
    batch = call("POST", "/orders/batch", {"items": [{**body, "external_id": "o-2"}]})
    # then the orders are kept (an order is never refused for what its buyer bought before), the total
    # spend saturates at what its column holds, and the owner's pages still answer
    assert put.status_code in (200, 201), put.content
    assert [i["status"] for i in batch.json()["items"]] == ["created"]
    ada.refresh_from_db()
    assert ada.total_spent == Decimal("999999999999.99")
    assert ada.orders_count == 102
    for page in ("/dashboard/", "/dashboard/orders/", "/dashboard/customers/", f"/dashboard/customers/{ada.pk}/"):
        assert owner.get(page).status_code == 200, page


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-05:00",  # past year 9999 once in UTC
        "0001-01-01T00:00:00+05:00",  # before year 1 once in UTC
        "10000-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ],
)
def test_a_time_outside_the_sane_range_is_refused(call, store, moment):
    body = refused(call("PUT", "/orders/o-1", order_body(placed_at=moment)), 422, "placed_at")
    assert "2000" in body["fields"]["placed_at"] or moment.startswith("10000")  # that one is not ISO 8601
    refused(call("PUT", "/carts/k-1", cart_body(updated_at=moment)), 422, "updated_at")
    assert nothing_stored()


def test_a_date_outside_the_sane_range_is_refused(call, store):
    OrderFactory(store=store, external_id="o-1")
    for day in ("9999-12-31", "1970-01-01", "0001-01-01"):
        response = call("PUT", "/shipments/s-1", shipment_body(estimated_delivery=day))
        refused(response, 422, "estimated_delivery")
    assert not Shipment.objects.exists()


def test_a_customer_external_id_longer_than_its_column_is_refused(call, store):
    refused(call("PUT", "/customers/" + "c" * 101, customer_body(email="ada@example.com")), 422, "external_id")
    assert not Customer.objects.exists()


# --- 3. Nesting and size -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"name": "Mug", "x": ' + b'{"a": ' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1) + b"}",
    ],
    ids=["arrays", "inside-an-object", "just-past-the-limit"],
)
def test_a_body_nested_too_deeply_is_a_json_400(call, store, raw):
    body = refused(call("PUT", "/products/p-1", raw=raw), 400)
    assert "nested" in body["error"]
    assert nothing_stored()


def test_a_batch_nested_too_deeply_is_refused_whole(call, store):
    deep = [
        product_body(external_id="p-1"),
        {"external_id": "p-2", "name": "x", "sku": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]},
    ]
    refused(call("POST", "/products/batch", {"items": deep}), 400)
    assert nothing_stored()


def test_a_number_with_thousands_of_digits_is_a_json_400(call, store):
    refused(call("PUT", "/products/p-1", raw=b'{"name": "Mug", "price": ' + b"9" * 5000 + b"}"), 400)
    assert nothing_stored()


def test_a_huge_body_is_a_json_413(call, store, settings):
    settings.MAX_INBOUND_BODY_BYTES = 1000
    refused(call("POST", "/products/batch", raw=b'{"items": [' + b"1," * 1000 + b"1]}"), 413)
    assert nothing_stored()


# --- Every answer is JSON --------------------------------------------------------------------------


def test_a_path_that_names_no_endpoint_is_a_json_404(call, client):
    refused(call("GET", "/nothing/here"), 404)
    refused(client.post(f"{API}/nothing", data="{}", content_type=JSON), 404)  # no CSRF page either
    refused(client.get(f"{API}/"), 404)


def test_a_method_an_endpoint_does_not_take_is_a_json_405(call):
    response = refused(call("DELETE", "/orders/o-1"), 405)
    assert response["error"]
    assert "PUT" in call("DELETE", "/orders/o-1")["Allow"]


def test_an_unexpected_failure_is_a_bare_json_500_with_a_logged_reference(call, store, monkeypatch, caplog):
    def broken(*, store, data):
        raise RuntimeError("secret detail: password=hunter2")

    monkeypatch.setattr("apps.integrations.api.resources.product_upsert", broken)
    with caplog.at_level(logging.ERROR, logger="apps.integrations.api"):
        response = call("PUT", "/products/p-1", product_body())
    body = refused(response, 500)
    assert "hunter2" not in response.content.decode() and "RuntimeError" not in body["error"]
    reference = body["error"].split("reference ")[1].split(")")[0]
    assert any(reference in record.getMessage() for record in caplog.records)
    assert not Product.objects.exists()


def test_a_failure_while_answering_a_failure_is_still_json(call, store, monkeypatch):
    def log_down(**kwargs):
        raise RuntimeError("the log table is gone")

    # given writing the inbound log fails, for the answer and for the error answer alike
    monkeypatch.setattr("apps.integrations.api.endpoints.api_call_record", log_down)
    monkeypatch.setattr("apps.integrations.api.errors.api_call_failed", log_down)
    response = call("PUT", "/products/p-1", product_body())
    assert response.status_code == 500
    assert response["Content-Type"].startswith(JSON)
    invalid = call("PUT", "/products/p-2", {"name": ""})
    refused(invalid, 422, "name")  # an error answer does not depend on the log


def test_a_failure_of_the_error_handling_itself_is_still_a_bare_json_500(call, store, monkeypatch, caplog):
    def handlers_down(request, exc):
        raise RuntimeError("secret detail")

    # given ninja's exception handling itself fails, so the exception escapes the API object
    monkeypatch.setattr(api, "on_exception", handlers_down)
    with caplog.at_level(logging.ERROR, logger="apps.integrations.api"):
        response = call("PUT", "/products/p-1", {"name": ""})
    # then the front door still answers JSON, without details, with the reference it logged
    body = refused(response, 500)
    assert "secret" not in response.content.decode()
    reference = body["error"].split("reference ")[1].split(")")[0]
    assert any(reference in record.getMessage() for record in caplog.records)


def test_a_batch_item_failing_unexpectedly_says_so_without_details(call, store, monkeypatch):
    OrderFactory(store=store, external_id="o-1")

    def broken(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("apps.integrations.api.resources.shipment_record_events", broken)
    items = [shipment_body(external_id="s-1", events=[event()]), shipment_body(external_id="s-2", tracking_number="")]
    report = call("POST", "/shipments/batch", {"items": items}).json()
    assert [i["status"] for i in report["items"]] == ["error", "created"]
    assert "secret" not in report["items"][0]["error"] and "RuntimeError" not in report["items"][0]["error"]
    assert list(Shipment.objects.values_list("external_id", flat=True)) == ["s-2"]


def test_a_value_the_domain_refuses_after_the_schema_is_a_422_naming_it(call, store, monkeypatch):
    def refuses(**kwargs):
        raise InputError("number", "longer than 40 characters")

    # given the domain's own bound check refuses what the schema let through
    monkeypatch.setattr("apps.integrations.api.resources.order_inputs.OrderIn", refuses)
    refused(call("PUT", "/orders/o-1", order_body()), 422, "number")
    report = call("POST", "/orders/batch", {"items": [order_body(external_id="o-2")]}).json()
    assert report["items"][0]["errors"] == {"number": "longer than 40 characters"}
    assert nothing_stored()


# --- PostgreSQL: the database's own refusal is the last line, and it is still a clean 4xx ------------


@pytest.mark.postgres
def test_a_value_postgres_refuses_is_a_json_422_and_nothing_is_half_saved(call, store, monkeypatch):
    assert connection.vendor == "postgresql"
    real_upsert = __import__("apps.orders.services", fromlist=["product_upsert"]).product_upsert

    def slips_through(*, store, data):
        product, created = real_upsert(store=store, data=data)  # written whole...
        Product.objects.filter(pk=product.pk).update(category="bad\x00")  # ...then a value PostgreSQL refuses
        return product, created

    # given a validation gap let a NUL reach the database
    monkeypatch.setattr("apps.integrations.api.resources.product_upsert", slips_through)
    response = call("PUT", "/products/p-1", product_body())
    batch = call("POST", "/products/batch", {"items": [product_body(external_id="p-2")]})
    # then the caller gets a 4xx without the database's words, and nothing of the product is stored
    body = refused(response, 422)
    assert "NUL" not in body["error"] and "0x00" not in body["error"]
    assert batch.json()["items"][0]["status"] == "error"
    assert not Product.objects.exists()
    # and the connection is still good for the next call
    monkeypatch.undo()
    assert call("PUT", "/products/p-3", product_body()).status_code == 201


@pytest.mark.postgres
def test_on_postgres_a_nul_anywhere_is_refused_before_the_database(call, store):
    ShipmentFactory(order=OrderFactory(store=store, external_id="o-1"), external_id="s-1")
    answers = [
        call("PUT", "/orders/o%00-1", order_body()),
        call("GET", "/customers/c%00"),
        call("PUT", "/products/p-1", product_body(), headers={"User-Agent": "x\x00"}),
        call("PUT", "/products/p-1", raw=b'{"name": "a\x00"}'),
        call("PUT", "/products/p-1", product_body(name="a\x00")),
        call("POST", "/shipments/s-1/events", {"events": [event(message="late\x00")]}),
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 400, 422, 422]
    assert all(a["Content-Type"].startswith(JSON) for a in answers)
    assert not Product.objects.exists() and not TrackingEvent.objects.exists()
    assert call("GET", "/orders/o-1").status_code == 200  # the connection is still good


# --- Every input field is bounded by the column it lands in ------------------------------------------

SCHEMA_COLUMNS = {
    # input schema: (a valid body, the models its fields land in, {field: column} where the names differ)
    schemas.ProductIn: (product_body, (Product,), {}),
    schemas.CustomerIn: (lambda: customer_body(email="ada@example.com"), (Customer,), {}),
    schemas.BuyerIn: (lambda: {"email": "ada@example.com"}, (Customer,), {}),
    schemas.LineIn: (line, (OrderLine, CartLine), {}),
    schemas.OrderIn: (order_body, (Order,), {"updated_at": "source_updated_at"}),
    schemas.CartIn: (cart_body, (Cart,), {}),
    schemas.EventIn: (event, (TrackingEvent,), {"external_id": "dedupe_key"}),
    schemas.ShipmentIn: (shipment_body, (Shipment,), {}),
}
# Fields that are not a column of their schema's model (a reference, a nested object, a consent statement).
NOT_COLUMNS = {
    "accepts_marketing", "product_external_id", "cart_external_id", "completed_order_external_id",
    "order_external_id", "customer", "lines", "events", "discount_codes", "estimated_delivery", "historical",
}  # fmt: skip


def _too_big(column):
    """A value one step past what the column holds, or None for a column without an upper bound."""
    if isinstance(column, models.DecimalField):
        return str(money_limit(column) + Decimal(1).scaleb(-column.decimal_places))
    if isinstance(column, models.IntegerField):
        return integer_range(column)[1] + 1
    if isinstance(column, models.DateTimeField):
        return "9999-12-31T23:59:59-05:00"
    if isinstance(column, models.DateField):
        return "9999-12-31"
    if getattr(column, "max_length", None):
        return "a" * (column.max_length + 1)
    return None


@pytest.mark.parametrize("schema", list(SCHEMA_COLUMNS), ids=lambda schema: schema.__name__)
def test_every_input_field_is_bounded_by_its_column(schema):
    make, targets, renames = SCHEMA_COLUMNS[schema]
    checked = set()
    for name in schema.model_fields:
        for model in targets:
            try:
                column = model._meta.get_field(renames.get(name, name))
            except FieldDoesNotExist:
                continue
            if not (too_big := _too_big(column)):
                continue
            checked.add(name)
            for value in (too_big, "x\x00", "\ud800"):
                try:
                    data = schema.model_validate({**make(), name: value})
                except pydantic.ValidationError as exc:
                    assert any(error["loc"][:1] == (name,) for error in exc.errors()), (name, value)
                    continue
                stored = getattr(data, name)  # accepted only as something the column holds
                assert not isinstance(stored, str) or (
                    len(stored) <= column.max_length and "\x00" not in stored and "\ud800" not in stored
                ), (name, value, stored)
                assert not isinstance(stored, Decimal | int) or stored < Decimal(str(too_big)), (name, value)
    # every field is either bounded by a column here or knowingly not a column
    assert set(schema.model_fields) - checked <= NOT_COLUMNS | {"in_stock", "status"}, schema


def test_an_event_id_too_long_for_its_dedupe_key_is_refused_not_cut(call, store):
    # two ids alike in their first 60 characters would be cut to one key, and one event would be lost
    ShipmentFactory(order=OrderFactory(store=store, external_id="o-1"), external_id="s-1")
    long_ids = [event(external_id="e" * 60 + "1"), event(external_id="e" * 60 + "2", status="delivered")]
    refused(call("POST", "/shipments/s-1/events", {"events": long_ids}), 422, "events.0.external_id")
    assert not TrackingEvent.objects.exists()
    fits = call("POST", "/shipments/s-1/events", {"events": [event(external_id="e" * 60)]})
    assert fits.status_code == 200 and fits.json()["new_events"] == 1

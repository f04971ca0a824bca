"""The one outbound client, against a real local HTTP server: retries, Retry-After, the circuit, the log."""

import pytest
from werkzeug import Response

from apps.integrations import calls
from apps.integrations.calls import ApiClient, CallError, CircuitOpen, RateLimited, Unauthorized
from apps.integrations.models import Connection, OutboundCall

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_network(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def connection(connect):
    return connect("woocommerce", api_key="ck_live_key", api_token="cs_live_secret")


def client_for(connection, httpserver, **kwargs) -> ApiClient:
    return ApiClient(
        connection, base_url=httpserver.url_for("/wp-json/wc/v3"), auth=("ck_live_key", "cs_live_secret"), **kwargs
    )


def test_a_503_is_retried_after_the_wait_the_server_asked_for(connection, httpserver, waits):
    httpserver.expect_ordered_request("/wp-json/wc/v3/orders").respond_with_data(
        "busy", status=503, headers={"Retry-After": "2"}
    )
    httpserver.expect_ordered_request("/wp-json/wc/v3/orders").respond_with_json([{"id": 727}])

    with client_for(connection, httpserver) as client:
        reply = client.request("GET", "orders", operation="history.orders")

    assert reply.json() == [{"id": 727}]
    assert waits == [2.0]
    log = list(
        OutboundCall.objects.filter(connection=connection).order_by("id").values_list("attempt", "status_code", "ok")
    )
    assert log == [(1, 503, False), (2, 200, True)]


def test_a_long_retry_after_is_not_slept_in_a_worker_but_handed_to_the_task(connection, httpserver, waits):
    httpserver.expect_request("/wp-json/wc/v3/orders").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )

    with client_for(connection, httpserver) as client, pytest.raises(RateLimited) as raised:
        client.request("GET", "orders", operation="history.orders")

    assert raised.value.retry_after == 120
    assert waits == []
    assert OutboundCall.objects.filter(connection=connection).count() == 1


def test_network_errors_back_off_with_jitter_then_give_up(connection, httpserver, waits):
    with (
        ApiClient(connection, base_url="http://127.0.0.1:9", max_attempts=3) as client,
        pytest.raises(CallError) as raised,
    ):
        client.request("GET", "orders", operation="history.orders")

    assert "Could not connect" in str(raised.value)
    assert len(waits) == 2 and all(0 <= w <= 30 for w in waits)
    assert OutboundCall.objects.filter(connection=connection, ok=False).count() == 3


def test_refused_credentials_are_not_retried_and_say_what_to_check(connection, httpserver, waits):
    body = {
        "code": "woocommerce_rest_authentication_error",
        "message": "Consumer secret is invalid.",
        "data": {"status": 401},
    }
    httpserver.expect_request("/wp-json/wc/v3/orders").respond_with_json(body, status=401)

    with client_for(connection, httpserver) as client, pytest.raises(Unauthorized) as raised:
        client.request("GET", "orders", operation="history.orders")

    assert "refused our credentials" in str(raised.value)
    assert raised.value.body["code"] == "woocommerce_rest_authentication_error"
    assert waits == []


def test_a_client_error_carries_the_parsed_body_for_the_source_to_read(connection, httpserver, waits):
    body = {
        "code": "woocommerce_rest_coupon_code_already_exists",
        "message": "The coupon code already exists",
        "data": {"status": 400},
    }
    httpserver.expect_request("/wp-json/wc/v3/coupons", method="POST").respond_with_json(body, status=400)

    with client_for(connection, httpserver) as client, pytest.raises(CallError) as raised:
        client.request("POST", "coupons", operation="coupons.create", json_body={"code": "X"})

    assert raised.value.status == 400
    assert raised.value.body["code"] == "woocommerce_rest_coupon_code_already_exists"
    connection.refresh_from_db()
    assert connection.failures_in_row == 0  # the shop answered: not a reason to open the circuit


def test_the_circuit_opens_after_repeated_failures_and_fails_fast(connection, httpserver, waits):
    httpserver.expect_request("/wp-json/wc/v3/orders").respond_with_data("down", status=500)

    with client_for(connection, httpserver, max_attempts=1) as client:
        for _ in range(calls.CIRCUIT_THRESHOLD):
            with pytest.raises(CallError):
                client.request("GET", "orders", operation="history.orders")
        hits = len(httpserver.log)
        with pytest.raises(CircuitOpen) as raised:
            client.request("GET", "orders", operation="history.orders")

    assert len(httpserver.log) == hits  # the open circuit did not call the shop
    assert raised.value.retry_after > 0
    assert OutboundCall.objects.filter(connection=connection, error__startswith="Paused").count() == 1


def test_a_success_closes_the_circuit(connection, httpserver, waits):
    Connection.objects.filter(pk=connection.pk).update(failures_in_row=3)
    httpserver.expect_request("/wp-json/wc/v3/orders").respond_with_json([])

    with client_for(connection, httpserver) as client:
        client.request("GET", "orders", operation="history.orders")

    connection.refresh_from_db()
    assert (connection.failures_in_row, connection.circuit_open_until) == (0, None)


def test_the_log_never_holds_a_query_string_or_a_credential(connection, httpserver, waits):
    httpserver.expect_request("/wp-json/wc/v3/orders").respond_with_json([])

    with client_for(connection, httpserver) as client:
        client.request("GET", "orders", operation="history.orders", params={"consumer_key": "ck_live_key", "page": 2})

    row = OutboundCall.objects.get(connection=connection)
    stored = " ".join(str(v) for v in OutboundCall.objects.filter(pk=row.pk).values().first().values())
    assert "ck_live_key" not in stored and "cs_live_secret" not in stored and "page=" not in stored
    assert row.url.endswith("/wp-json/wc/v3/orders")
    assert httpserver.log[0][0].headers["Authorization"].startswith("Basic ")


def test_a_soft_rate_limit_in_a_200_is_waited_out(connection, httpserver, waits):
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    httpserver.expect_ordered_request("/graphql.json", method="POST").respond_with_json(throttled)
    httpserver.expect_ordered_request("/graphql.json", method="POST").respond_with_json(
        {"data": {"shop": {"name": "Snowdevil"}}}
    )

    def throttle(reply):
        errors = reply.json().get("errors") or []
        return 3.0 if any(e.get("extensions", {}).get("code") == "THROTTLED" for e in errors) else None

    with ApiClient(connection, base_url=httpserver.url_for(""), throttle=throttle) as client:
        reply = client.request("POST", "graphql.json", operation="shop", json_body={"query": "{ shop { name } }"})

    assert reply.json()["data"]["shop"]["name"] == "Snowdevil"
    assert waits == [3.0]


def test_a_private_address_is_refused_without_retrying(connection, settings, httpserver, waits):
    settings.OUTBOUND_ALLOWED_NETWORKS = []

    with client_for(connection, httpserver) as client, pytest.raises(CallError) as raised:
        client.request("GET", "orders", operation="history.orders")

    assert "public" in str(raised.value) or "private" in str(raised.value) or "loopback" in str(raised.value)
    assert waits == [] and httpserver.log == []


def test_an_oversized_answer_is_refused(connection, httpserver, waits, monkeypatch):
    monkeypatch.setattr(calls, "MAX_BODY_BYTES", 1000)
    httpserver.expect_request("/wp-json/wc/v3/orders").respond_with_response(Response(b"x" * 5000, status=200))

    with client_for(connection, httpserver) as client, pytest.raises(CallError) as raised:
        client.request("GET", "orders", operation="history.orders")

    assert "larger than" in str(raised.value)

"""Registering tracking numbers with AfterShip, 17TRACK and EasyPost, against a real local HTTP server answering
with the shapes in tests/fixtures/outbound/ (see its SOURCES.md); and each service's test event, posted through
our real webhook endpoint. Nothing reaches the internet."""

import copy
import json

import pytest
from werkzeug import Request, Response

from apps.integrations.calls import RateLimited, Unauthorized
from apps.integrations.models import Connection, InboundEvent, OutboundCall, Outcome
from apps.integrations.remotes import Registration, SetupResult
from apps.integrations.sources.aftership import REMOTE as AFTERSHIP
from apps.integrations.sources.easypost import REMOTE as EASYPOST
from apps.integrations.sources.seventeentrack import REMOTE as SEVENTEENTRACK
from apps.shipments.models import Shipment, TrackingEvent
from tests.integrations.conftest import fixture_json
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db

AFTERSHIP_KEY = "asat_5a1b2c3d4e5f60718293a4b5c6d7e8f9"
SEVENTEEN_KEY = "17tk_0F1E2D3C4B5A69788796A5B4C3D2E1F0"
EASYPOST_KEY = "EZAK_b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e"
WEBHOOK_SECRET = "whsec_afterglow_never_logged_41f7"
KEYS = (AFTERSHIP_KEY, SEVENTEEN_KEY, EASYPOST_KEY, WEBHOOK_SECRET)

AS_BASE, ST_BASE, EP_BASE = "/tracking/2026-07", "/track/v2.2", "/v2"


def outbound(name: str):
    return fixture_json(f"outbound/{name}")


@pytest.fixture(autouse=True)
def local_services(settings, httpserver):
    """Every service is the local server; the client may reach 127.0.0.1 only because the test allows it."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.AFTERSHIP_API_URL = httpserver.url_for(AS_BASE)
    settings.SEVENTEENTRACK_API_URL = httpserver.url_for(ST_BASE)
    settings.EASYPOST_API_URL = httpserver.url_for(EP_BASE)


@pytest.fixture(autouse=True)
def no_key_in_the_log():
    """After every test: no outbound log row carries a key or secret, in any column."""
    yield
    for row in OutboundCall.objects.values():
        text = json.dumps(row, default=str)
        assert not [key for key in KEYS if key in text], row


@pytest.fixture
def aftership(connect):
    return connect("aftership", WEBHOOK_SECRET, api_token=AFTERSHIP_KEY)


@pytest.fixture
def seventeen(connect):
    return connect("17track", None, api_token=SEVENTEEN_KEY)


@pytest.fixture
def easypost(connect):
    return connect("easypost", WEBHOOK_SECRET, api_token=EASYPOST_KEY)


def parcel(store, tracking: str, carrier: str = "", **order) -> Shipment:
    return ShipmentFactory(order=OrderFactory(store=store, **order), tracking_number=tracking, carrier=carrier)


def sent(httpserver) -> list[Request]:
    return [request for request, _ in httpserver.log]


# --- AfterShip ---------------------------------------------------------------------------------------


def test_aftership_creates_a_tracking_with_the_slug_and_order_and_nothing_about_the_buyer(aftership, store, httpserver):
    # given a UPS parcel of order #1001 bought by ana@example.com
    shipment = parcel(
        store, "1Z2617V10397725789", "ups", number="#1001", external_id="gid-1001", email="ana@example.com"
    )
    httpserver.expect_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(
        outbound("aftership/tracking_2026-07_create_tracking.response.json"), status=201
    )
    # when it is registered
    results = AFTERSHIP.tracking_register(aftership, [shipment])
    # then AfterShip got the number, its slug and the order, with the key in `as-api-key`, and no buyer at all
    assert results == {shipment.pk: Registration(ok=True, external_id="0b02015fc7fd4f3c8d5490cece4d124d")}
    (request,) = sent(httpserver)
    assert request.headers["as-api-key"] == AFTERSHIP_KEY
    assert request.get_json() == {
        "tracking_number": "1Z2617V10397725789",
        "slug": "ups",
        "order_number": "#1001",
        "title": "Order #1001",
        "order_id": "gid-1001",
    }
    assert b"ana@example.com" not in request.get_data()
    assert AFTERSHIP.register_batch_size == 1


def test_aftership_loops_over_a_batch_and_leaves_an_unknown_carrier_to_detection(aftership, store, httpserver):
    # given two parcels, one with a carrier AfterShip has no slug of ours for
    first, second = parcel(store, "RR123456785DE", ""), parcel(store, "00340434161094042557", "dhl")
    httpserver.expect_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(
        outbound("aftership/tracking_2026-07_create_tracking.response.json"), status=201
    )
    # when both are registered in one call of the runner
    results = AFTERSHIP.tracking_register(aftership, [first, second])
    # then each got its own POST; the first without a slug
    bodies = [request.get_json() for request in sent(httpserver)]
    assert [body["tracking_number"] for body in bodies] == ["RR123456785DE", "00340434161094042557"]
    assert "slug" not in bodies[0] and bodies[1]["slug"] == "dhl"
    assert all(result.ok for result in results.values()) and set(results) == {first.pk, second.pk}


def test_aftership_already_exists_counts_as_registered(aftership, store, httpserver):
    # given AfterShip already tracks the number (4003, HTTP 400)
    shipment = parcel(store, "1Z2617V10397725789", "ups")
    httpserver.expect_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(
        outbound("aftership/tracking_error_4003_already_exists.response.json"), status=400
    )
    # when it is registered, then that is success
    assert AFTERSHIP.tracking_register(aftership, [shipment]) == {shipment.pk: Registration(ok=True)}


def test_aftership_refusing_a_number_is_that_shipments_error(aftership, store, httpserver):
    # given AfterShip cannot tell the carrier (4012; envelope of the 4003 fixture, wording from the docs table)
    shipment = parcel(store, "NOT-A-PARCEL", "")
    body = outbound("aftership/tracking_error_4003_already_exists.response.json")
    body["meta"].update(code=4012, message="Unable to import shipment as we don’t recognize the carrier.")
    httpserver.expect_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(body, status=400)
    # when it is registered
    (result,) = AFTERSHIP.tracking_register(aftership, [shipment]).values()
    # then it failed for good, and says why
    assert not result.ok and not result.retry
    assert result.error == (
        "AfterShip refused NOT-A-PARCEL: Unable to import shipment as we don’t recognize the carrier. (code 4012)"
    )


def test_aftership_an_invalid_slug_is_sent_again_without_it(aftership, store, httpserver):
    # given AfterShip refuses our slug for this account (4010)
    shipment = parcel(store, "JJD0099999999", "royal_mail")
    body = outbound("aftership/tracking_error_4003_already_exists.response.json")
    body["meta"].update(code=4010, message="The value of slug is invalid.")
    httpserver.expect_ordered_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(body, status=400)
    httpserver.expect_ordered_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(
        outbound("aftership/tracking_2026-07_create_tracking.response.json"), status=201
    )
    # when it is registered
    (result,) = AFTERSHIP.tracking_register(aftership, [shipment]).values()
    # then the second try let AfterShip detect the courier, and it worked
    first, second = (request.get_json() for request in sent(httpserver))
    assert first["slug"] == "royal-mail" and "slug" not in second
    assert result.ok


def test_aftership_a_429_is_retried_after_the_wait_it_asked_for(aftership, store, httpserver, waits):
    # given AfterShip's rate limit answers once
    shipment = parcel(store, "1Z2617V10397725789", "ups")
    httpserver.expect_ordered_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(
        outbound("aftership/tracking_error_429_too_many_requests.response.json"),
        status=429,
        headers={"Retry-After": "1"},
    )
    httpserver.expect_ordered_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(
        outbound("aftership/tracking_2026-07_create_tracking.response.json"), status=201
    )
    # when it is registered
    (result,) = AFTERSHIP.tracking_register(aftership, [shipment]).values()
    # then the client waited the second AfterShip asked for, and the second try registered it
    assert waits == [1.0]
    assert result.ok
    assert list(OutboundCall.objects.order_by("id").values_list("status_code", "ok")) == [(429, False), (201, True)]


def test_aftership_a_long_rate_limit_reaches_the_runner(aftership, store, httpserver, waits):
    # given AfterShip asks for two minutes
    shipment = parcel(store, "1Z2617V10397725789", "ups")
    httpserver.expect_request(f"{AS_BASE}/trackings", method="POST").respond_with_json(
        outbound("aftership/tracking_error_429_too_many_requests.response.json"),
        status=429,
        headers={"Retry-After": "120"},
    )
    # when it is registered, then the runner gets RateLimited to reschedule the batch
    with pytest.raises(RateLimited) as raised:
        AFTERSHIP.tracking_register(aftership, [shipment])
    assert raised.value.retry_after == 120 and waits == []


def test_aftership_setup_checks_the_key_and_registers_nothing(aftership, httpserver):
    httpserver.expect_request(f"{AS_BASE}/couriers", method="GET").respond_with_json(
        outbound("aftership/couriers_detect_sdk_fixture_legacy.response.json")
    )
    assert AFTERSHIP.setup(aftership) == SetupResult()
    assert sent(httpserver)[0].headers["as-api-key"] == AFTERSHIP_KEY


def test_aftership_setup_with_a_refused_key_raises_unauthorized(aftership, httpserver, waits):
    body = {"meta": {"code": 401, "message": "Invalid API key.", "type": "Unauthorized"}, "data": {}}
    httpserver.expect_request(f"{AS_BASE}/couriers").respond_with_json(body, status=401)
    with pytest.raises(Unauthorized):
        AFTERSHIP.setup(aftership)
    assert len(httpserver.log) == 1  # never retried


# --- 17TRACK -----------------------------------------------------------------------------------------


def test_seventeentrack_registers_numbers_with_their_carrier_key(seventeen, store, httpserver):
    # given the fixture's two numbers (no carrier code of ours) and a UPS parcel
    china = parcel(store, "RR123456789CN")
    bad = parcel(store, "1234")
    ups = parcel(store, "1Z2617V10397725789", "ups")
    answer = outbound("17track/v2.2_register.response.json")  # RR… accepted, 1234 rejected -18010012
    answer["data"]["accepted"].append(
        {"origin": 1, "number": "1Z2617V10397725789", "carrier": 100002, "email": None, "tag": str(ups.pk)}
    )
    httpserver.expect_request(f"{ST_BASE}/register", method="POST").respond_with_json(answer)
    # when they are registered
    results = SEVENTEENTRACK.tracking_register(seventeen, [china, bad, ups])
    # then one call carried all three, the key in `17token`, UPS as 100002 and the others left to detection
    (request,) = sent(httpserver)
    assert request.headers["17token"] == SEVENTEEN_KEY
    assert request.get_json() == [
        {"number": "RR123456789CN", "tag": str(china.pk)},
        {"number": "1234", "tag": str(bad.pk)},
        {"number": "1Z2617V10397725789", "carrier": 100002, "tag": str(ups.pk)},
    ]
    # and the answer is read per number (the fixture's tags are not ours: matched by number)
    assert results[china.pk] == Registration(ok=True)
    assert results[ups.pk] == Registration(ok=True)
    assert results[bad.pk] == Registration(
        ok=False, error="17TRACK refused 1234: The format of '1234' is invalid. (code -18010012)"
    )
    assert SEVENTEENTRACK.register_batch_size == 40


def test_seventeentrack_already_registered_counts_as_registered(seventeen, store, httpserver):
    shipment = parcel(store, "RR123456789CN")
    httpserver.expect_request(f"{ST_BASE}/register").respond_with_json(
        outbound("17track/v2.2_register_already_registered.derived.response.json")
    )
    assert SEVENTEENTRACK.tracking_register(seventeen, [shipment]) == {shipment.pk: Registration(ok=True)}


def test_seventeentrack_quota_exhausted_is_retried_later(seventeen, store, httpserver):
    shipment = parcel(store, "RR123456789CN")
    httpserver.expect_request(f"{ST_BASE}/register").respond_with_json(
        outbound("17track/v2.2_register_quota_exhausted.derived.response.json")
    )
    (result,) = SEVENTEENTRACK.tracking_register(seventeen, [shipment]).values()
    assert not result.ok and result.retry
    assert "Quota exhausted" in result.error


def test_seventeentrack_batches_more_than_40_numbers_into_two_calls(seventeen, store, httpserver):
    # given 45 parcels and a 17TRACK that accepts whatever it is sent (register fixture's accepted shape)
    shipments = [parcel(store, f"RR{n:09d}CN") for n in range(45)]
    template = outbound("17track/v2.2_register.response.json")["data"]["accepted"][0]

    def accept_all(request: Request) -> Response:
        accepted = [{**template, "number": item["number"], "tag": item["tag"]} for item in request.get_json()]
        return Response(json.dumps({"code": 0, "data": {"accepted": accepted, "rejected": []}}), 200)

    httpserver.expect_request(f"{ST_BASE}/register", method="POST").respond_with_handler(accept_all)
    # when the runner hands them over at once
    results = SEVENTEENTRACK.tracking_register(seventeen, shipments)
    # then 17TRACK got 40 and then 5, and every one is registered
    assert [len(request.get_json()) for request in sent(httpserver)] == [40, 5]
    assert set(results) == {s.pk for s in shipments} and all(r.ok for r in results.values())


def test_seventeentrack_a_number_missing_from_the_answer_is_retried(seventeen, store, httpserver):
    shipment = parcel(store, "RR123456789CN")
    httpserver.expect_request(f"{ST_BASE}/register").respond_with_json(
        copy.deepcopy(outbound("17track/v2.2_envelope_and_errors.json")["envelope"])
    )
    (result,) = SEVENTEENTRACK.tracking_register(seventeen, [shipment]).values()
    assert not result.ok and result.retry


def test_seventeentrack_a_429_is_retried(seventeen, store, httpserver, waits):
    shipment = parcel(store, "RR123456789CN")
    httpserver.expect_ordered_request(f"{ST_BASE}/register").respond_with_data(
        "", status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_ordered_request(f"{ST_BASE}/register").respond_with_json(
        outbound("17track/v2.2_register.response.json")
    )
    (result,) = SEVENTEENTRACK.tracking_register(seventeen, [shipment]).values()
    assert waits == [2.0] and result.ok


def test_seventeentrack_setup_reads_the_quota_and_makes_the_key_the_webhook_secret(seventeen, httpserver):
    # 17TRACK signs its pushes with the API key: setup hands it back as the secret to verify them with
    httpserver.expect_request(f"{ST_BASE}/getquota", method="POST").respond_with_json(
        outbound("17track/v2.2_getquota.derived.response.json")
    )
    assert SEVENTEENTRACK.setup(seventeen) == SetupResult(secret=SEVENTEEN_KEY)
    assert sent(httpserver)[0].headers["17token"] == SEVENTEEN_KEY
    assert [field.target for field in SEVENTEENTRACK.fields] == ["api_token"]


@pytest.mark.parametrize("status", [200, 401])
def test_seventeentrack_setup_with_a_refused_key_raises_unauthorized(seventeen, httpserver, waits, status):
    # the docs say 401; the invalid-key envelope is also read from a 200
    httpserver.expect_request(f"{ST_BASE}/getquota").respond_with_json(
        outbound("17track/v2.2_error_invalid_key.derived.response.json"), status=status
    )
    with pytest.raises(Unauthorized):
        SEVENTEENTRACK.setup(seventeen)
    assert len(httpserver.log) == 1


def test_seventeentrack_a_refused_key_while_registering_reaches_the_runner(seventeen, store, httpserver):
    shipment = parcel(store, "RR123456789CN")
    httpserver.expect_request(f"{ST_BASE}/register").respond_with_json(
        outbound("17track/v2.2_error_invalid_key.derived.response.json")
    )
    with pytest.raises(Unauthorized):
        SEVENTEENTRACK.tracking_register(seventeen, [shipment])


# --- EasyPost ----------------------------------------------------------------------------------------


def test_easypost_creates_a_tracker_and_keeps_its_id(easypost, store, httpserver):
    # given a USPS parcel (the recording's test code)
    shipment = parcel(store, "EZ1000000001", "usps")
    httpserver.expect_request(f"{EP_BASE}/trackers", method="POST").respond_with_json(
        outbound("easypost/trackers_create.response.json"), status=200
    )
    # when it is registered
    results = EASYPOST.tracking_register(easypost, [shipment])
    # then EasyPost got the docs' body, the key as Basic user, and the tracker id is kept
    (request,) = sent(httpserver)
    assert request.get_json() == outbound("easypost/trackers_create_docs.request.json")
    assert request.authorization.username == EASYPOST_KEY and request.authorization.password == ""
    assert results == {shipment.pk: Registration(ok=True, external_id="trk_e7e8f143f3eb40d38be9562e3767c36a")}
    assert EASYPOST.register_batch_size == 1


def test_easypost_registering_the_same_code_twice_is_harmless(easypost, store, httpserver):
    # given EasyPost answers a second create for the same code with the existing tracker
    shipment = parcel(store, "EZ1000000001", "")
    httpserver.expect_request(f"{EP_BASE}/trackers", method="POST").respond_with_json(
        outbound("easypost/trackers_create.response.json")
    )
    first = EASYPOST.tracking_register(easypost, [shipment])
    second = EASYPOST.tracking_register(easypost, [shipment])
    # then both are the same registration; an unknown carrier is left to EasyPost
    assert first == second == {shipment.pk: Registration(ok=True, external_id="trk_e7e8f143f3eb40d38be9562e3767c36a")}
    assert sent(httpserver)[0].get_json() == outbound("easypost/trackers_create.request.json")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("error_parameter_required", "Missing required parameter. (PARAMETER.REQUIRED): shipment cannot be blank"),
        (
            "error_alternative_format",
            "The requested resource could not be found. (NOT_FOUND): No eligible insurance found with provided "
            "tracking code.",
        ),
    ],
)
def test_easypost_errors_in_either_format_are_that_shipments_error(easypost, store, httpserver, name, expected):
    shipment = parcel(store, "EZ1000000001", "usps")
    status = outbound(f"easypost/{name}.headers.json")["response"]["status"]
    httpserver.expect_request(f"{EP_BASE}/trackers").respond_with_json(
        outbound(f"easypost/{name}.response.json"), status=status
    )
    (result,) = EASYPOST.tracking_register(easypost, [shipment]).values()
    assert result == Registration(ok=False, error=f"EasyPost refused EZ1000000001: {expected}")


def test_easypost_setup_checks_the_key_with_one_tracker(easypost, httpserver):
    httpserver.expect_request(f"{EP_BASE}/trackers", method="GET", query_string={"page_size": "1"}).respond_with_json(
        {"trackers": [outbound("easypost/trackers_create.response.json")], "has_more": True}
    )
    assert EASYPOST.setup(easypost) == SetupResult()
    assert sent(httpserver)[0].authorization.username == EASYPOST_KEY


def test_easypost_setup_with_a_refused_key_raises_unauthorized(easypost, httpserver, waits):
    body = {"error": {"code": "APIKEY.INACTIVE", "message": "This api key is no longer active.", "errors": []}}
    httpserver.expect_request(f"{EP_BASE}/trackers").respond_with_json(body, status=401)
    with pytest.raises(Unauthorized):
        EASYPOST.setup(easypost)


# --- Shared --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("remote", [AFTERSHIP, SEVENTEENTRACK, EASYPOST], ids=lambda r: r.source)
def test_a_shipment_without_a_number_is_not_sent(remote, connect, store, httpserver):
    connection = connect(remote.source, WEBHOOK_SECRET, api_token=AFTERSHIP_KEY)
    shipment = parcel(store, "")
    (result,) = remote.tracking_register(connection, [shipment]).values()
    assert not result.ok and "no tracking number" in result.error
    assert httpserver.log == []


@pytest.mark.parametrize("remote", [AFTERSHIP, SEVENTEENTRACK, EASYPOST], ids=lambda r: r.source)
def test_a_connection_without_a_key_is_refused_before_any_call(remote, connect, httpserver):
    connection = connect(remote.source, WEBHOOK_SECRET)
    with pytest.raises(Unauthorized):
        remote.setup(connection)
    assert httpserver.log == []


# --- Test events, through our real endpoint ------------------------------------------------------------


@pytest.mark.parametrize("remote", [AFTERSHIP, SEVENTEENTRACK, EASYPOST], ids=lambda r: r.source)
def test_a_test_event_passes_the_signature_is_understood_and_touches_no_shipment(remote, connect, store, post_webhook):
    # given a store with a real order and parcel, connected with its secret (17TRACK: the key, as setup leaves it)
    secret = SEVENTEEN_KEY if remote is SEVENTEENTRACK else WEBHOOK_SECRET
    connection = connect(remote.source, secret, api_token=SEVENTEEN_KEY if remote is SEVENTEENTRACK else "k")
    real = parcel(store, "1Z2617V10397725789", "ups")
    # when the test event is posted to /webhooks/<source>/<store>/, twice
    headers, body = remote.test_event(connection)
    headers = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    first, second = (post_webhook(remote.source, body, headers) for _ in range(2))
    # then the signature passed, the delivery was read, and it was set aside as a test
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "ignored"
    assert first.json()["summary"] == (
        "Test event for AFTERGLOWTEST1: the signature and the format are right. No shipment was touched."
    )
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    event = InboundEvent.objects.get(store=store, source=remote.source)
    assert (event.outcome, event.object_id, event.deliveries) == (Outcome.IGNORED, "AFTERGLOWTEST1", 2)
    assert not InboundEvent.objects.filter(outcome=Outcome.REJECTED).exists()
    # and no shipment was created or changed
    assert list(Shipment.objects.filter(store=store)) == [real]
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("remote", [AFTERSHIP, SEVENTEENTRACK, EASYPOST], ids=lambda r: r.source)
def test_a_test_event_signed_with_another_secret_is_rejected(remote, connect, store, post_webhook):
    # the signature really is the connection's: a connection with a different secret refuses the same event
    signer = Connection(store=store, source=remote.source, secret="another-secret", api_token="another-secret")
    connect(remote.source, WEBHOOK_SECRET, api_token=WEBHOOK_SECRET)
    headers, body = remote.test_event(signer)
    headers = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    assert post_webhook(remote.source, body, headers).status_code == 401


def test_test_events_name_no_order_and_carry_the_fixture_shapes(aftership, seventeen, easypost):
    # AfterShip: the fixture's keys; no order id or number an order could be found by
    _, body = AFTERSHIP.test_event(aftership)
    payload, fixture = json.loads(body), outbound("../aftership/aftership_tracking_update_trimmed.json")
    assert set(payload) == set(fixture) and set(payload["msg"]) <= set(fixture["msg"]) | {"id"}
    assert not payload["msg"].get("order_id") and not payload["msg"].get("order_number")
    # 17TRACK and EasyPost: the fixture's top-level keys
    _, body = SEVENTEENTRACK.test_event(seventeen)
    assert set(json.loads(body)) == set(outbound("../17track/17track_tracking_updated_delivered.json"))
    _, body = EASYPOST.test_event(easypost)
    assert set(json.loads(body)) == set(outbound("../easypost/easypost_event_tracker_updated.json"))


def test_a_17track_push_before_setup_gave_the_connection_its_secret_is_refused_not_crashed(
    connect, store, post_webhook
):
    # given a 17TRACK connection saved with its key, whose setup has not run yet (no webhook secret)
    connection = connect("17track", None, api_token=SEVENTEEN_KEY)
    headers, body = SEVENTEENTRACK.test_event(connection)
    headers = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    # when a push arrives, then it is refused as unsigned for this connection (and 17TRACK retries it later)
    assert post_webhook("17track", body, headers).status_code == 401

"""EasyPost tracker events through the real endpoint, signed as EasyPost signs them."""

import copy
import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, date, datetime

import pytest

from apps.integrations.models import InboundEvent, Outcome
from apps.integrations.signatures import matches_easypost
from apps.integrations.sources.easypost import DETAIL_MAP, STATUS_MAP, carrier_code, map_status
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from tests.integrations.conftest import fixture_bytes, fixture_json
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
FIXTURE = "easypost/easypost_event_tracker_updated.json"
TEST_MODE_TRACKER = "easypost/easypost_tracker_EZ1000000001_test_mode.json"
VECTOR = next(
    v for v in fixture_json("signatures/signature_test_vectors.json")["vectors"] if v["name"] == "easypost_event_body"
)
SECRET = VECTOR["secret"]  # "sécret": the published vector's secret, NFKD-normalised when signing


def signature(body: bytes, secret: str = SECRET) -> str:
    key = unicodedata.normalize("NFKD", secret).encode()
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


@pytest.fixture
def easypost(connect, post_webhook):
    connect("easypost", SECRET)

    def send(body: bytes, *, header: str | None = None, secret: str = SECRET):
        return post_webhook("easypost", body, {"X-Hmac-Signature": header or signature(body, secret)})

    return send


def detail(at: str, status: str, status_detail: str, message: str, city: str | None = None) -> dict:
    return {
        "object": "TrackingDetail", "message": message, "description": "", "status": status,
        "status_detail": status_detail, "datetime": at, "source": "USPS", "carrier_code": "",
        "tracking_location": {"object": "TrackingLocation", "city": city, "state": None, "country": "US", "zip": None},
    }  # fmt: skip


def event(number: str, details: list[dict], *, event_id: str, est: str | None = None, description="tracker.updated"):
    tracker = copy.deepcopy(fixture_json(TEST_MODE_TRACKER))
    last = details[-1]
    tracker.update(
        tracking_code=number, status=last["status"], status_detail=last["status_detail"], tracking_details=details,
        est_delivery_date=est, mode="production", updated_at=last["datetime"],
    )  # fmt: skip
    wrapper = {"object": "Event", "id": event_id, "description": description, "mode": "production", "result": tracker}
    return json.dumps(wrapper).encode()


EARLY = [
    detail("2024-09-02T14:00:00Z", "pre_transit", "label_created", "Shipping Label Created"),
    detail("2024-09-03T02:10:00Z", "in_transit", "arrived_at_facility", "Arrived at USPS Facility", "HOUSTON"),
]
LATE = [
    *EARLY,
    detail("2024-09-05T13:00:00Z", "out_for_delivery", "out_for_delivery", "Out for Delivery", "CHARLESTON"),
    detail("2024-09-05T19:42:00Z", "delivered", "arrived_at_destination", "Delivered", "CHARLESTON"),
]


def shipment_in(store, number: str, carrier: str = "usps") -> Shipment:
    return ShipmentFactory(order=OrderFactory(store=store), tracking_number=number, carrier=carrier)


def test_the_official_event_body_with_its_published_signature_moves_the_shipment_once(easypost, store):
    # given the FedEx shipment the official fixture tracks (tracking code "1")
    shipment = shipment_in(store, "1", carrier="fedex")
    body = fixture_bytes(FIXTURE)
    assert not body.endswith(b"\n")  # the exact signed bytes
    # when EasyPost delivers it with the published header, and then again
    first = easypost(body, header=VECTOR["expected"])
    shipment.refresh_from_db()
    modified = shipment.modified_at
    second = easypost(body, header=VECTOR["expected"])
    # then its seven tracking details are seven events and the shipment is in transit
    assert first.status_code == 200, first.json()
    assert second.json()["status"] == "duplicate"
    shipment.refresh_from_db()
    assert shipment.modified_at == modified
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 7
    assert (shipment.status, shipment.raw_status, shipment.status_source) == (
        ShipmentStatus.IN_TRANSIT,
        "in_transit:arrived_at_facility",
        "easypost",
    )
    assert shipment.last_event_at == datetime(2024, 8, 2, 18, 50, tzinfo=UTC)
    assert shipment.estimated_delivery == date(2024, 8, 5)
    label = shipment.events.get(raw_status="pre_transit:label_created")
    assert (label.status, label.country, label.postal_code, label.message) == (
        ShipmentStatus.INFO_RECEIVED,
        "US",
        "32837",
        "Shipment information sent to FedEx",
    )
    assert shipment.events.filter(city="EDISON", region="NJ").exists()
    inbound = InboundEvent.objects.get(store=store)
    assert (inbound.delivery_id, inbound.topic, inbound.deliveries) == ("evt_1", "tracker.updated", 2)


def test_the_test_mode_tracker_wrapped_in_a_created_event_applies(easypost, store):
    # given the USPS test-mode shipment
    shipment = shipment_in(store, "EZ1000000001")
    tracker = fixture_json(TEST_MODE_TRACKER)
    body = json.dumps({"object": "Event", "id": "evt_test_1", "description": "tracker.created", "result": tracker})
    # when it arrives twice
    easypost(body.encode())
    easypost(body.encode())
    # then its two details are two events: the label exists
    shipment.refresh_from_db()
    assert (shipment.status, shipment.raw_status) == (ShipmentStatus.INFO_RECEIVED, "pre_transit:status_update")
    assert shipment.events.count() == 2
    assert shipment.estimated_delivery == date(2025, 3, 6)
    assert shipment.events.filter(city="HOUSTON", region="TX", postal_code="77063").exists()


def test_the_published_signature_vector_verifies_only_with_the_normalised_secret():
    body = fixture_bytes(FIXTURE)
    assert matches_easypost(secrets=[SECRET], body=body, signature=VECTOR["expected"])
    assert matches_easypost(secrets=[unicodedata.normalize("NFC", SECRET)], body=body, signature=VECTOR["expected"])
    assert not matches_easypost(secrets=[SECRET], body=body + b"\n", signature=VECTOR["expected"])
    assert not matches_easypost(secrets=["secret"], body=body, signature=VECTOR["expected"])


def test_an_unknown_shipment_fails_visibly(easypost, store):
    response = easypost(fixture_bytes(FIXTURE), header=VECTOR["expected"])
    assert response.status_code == 422
    failed = InboundEvent.objects.get(store=store)
    assert failed.outcome == Outcome.FAILED and "unknown" in failed.error
    assert not Shipment.objects.exists()


def test_a_wrong_signature_is_401_and_stores_nothing_but_the_log_line(easypost, store):
    shipment = shipment_in(store, "1", carrier="fedex")
    response = easypost(fixture_bytes(FIXTURE), secret="not-the-secret")
    assert response.status_code == 401
    assert not shipment.events.exists()
    rejected = InboundEvent.objects.get(store=store)
    assert (rejected.outcome, rejected.delivery_id) == (Outcome.REJECTED, "")


def test_malformed_json_is_400(easypost):
    response = easypost(b'{"object": "Event", "description": ')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_an_unknown_store_is_404(post_webhook):
    response = post_webhook(
        "easypost", fixture_bytes(FIXTURE), {"X-Hmac-Signature": VECTOR["expected"]}, store_slug="x"
    )
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_updates_posted_newest_first_or_oldest_first_end_in_the_same_state(easypost, store):
    one, two = shipment_in(store, "9400100000000000000001"), shipment_in(store, "9400100000000000000002")
    for shipment, order in ((one, ("early", "late")), (two, ("late", "early"))):
        number = shipment.tracking_number
        bodies = {
            "early": event(number, EARLY, event_id=f"evt_{number}_1", est="2024-09-06T00:00:00Z"),
            "late": event(number, LATE, event_id=f"evt_{number}_2", est="2024-09-05T00:00:00Z"),
        }
        for name in order:
            assert easypost(bodies[name]).status_code == 200
    one.refresh_from_db()
    two.refresh_from_db()
    state = (one.status, one.delivered_at, one.last_event_at, one.raw_status, one.estimated_delivery)
    assert state == (two.status, two.delivered_at, two.last_event_at, two.raw_status, two.estimated_delivery)
    assert state == (
        ShipmentStatus.DELIVERED,
        datetime(2024, 9, 5, 19, 42, tzinfo=UTC),
        datetime(2024, 9, 5, 19, 42, tzinfo=UTC),
        "delivered:arrived_at_destination",
        date(2024, 9, 5),
    )
    assert one.events.count() == two.events.count() == 4


def test_a_late_older_event_never_moves_a_delivered_shipment_back(easypost, store):
    shipment = shipment_in(store, "9400100000000000000003")
    easypost(event(shipment.tracking_number, LATE, event_id="evt_delivered"))
    shipment.refresh_from_db()
    delivered_at = shipment.delivered_at
    stray = [detail("2024-09-04T08:00:00Z", "in_transit", "departed_facility", "Departed USPS Facility")]
    assert easypost(event(shipment.tracking_number, stray, event_id="evt_stray")).status_code == 200
    shipment.refresh_from_db()
    assert (shipment.status, shipment.delivered_at) == (ShipmentStatus.DELIVERED, delivered_at)
    assert shipment.events.count() == 5


def test_status_detail_sharpens_the_status_and_unknown_words_are_kept(easypost, store):
    shipment = shipment_in(store, "9400100000000000000004")
    details = [
        *EARLY,
        detail("2024-09-04T09:00:00Z", "in_transit", "weather_delay", "Delayed by weather"),
        detail("2024-09-04T12:00:00Z", "in_transit", "return", "Returning to sender"),
        detail("2024-09-04T15:00:00Z", "teleported", "beam", "Beamed up"),
    ]
    easypost(event(shipment.tracking_number, details, event_id="evt_sharp"))
    statuses = dict(shipment.events.values_list("message", "status"))
    assert statuses["Delayed by weather"] == ShipmentStatus.EXCEPTION
    assert statuses["Returning to sender"] == ShipmentStatus.RETURNED
    beamed = shipment.events.get(message="Beamed up")
    assert (beamed.status, beamed.raw_status) == (ShipmentStatus.UNKNOWN, "teleported:beam")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RETURNED  # the unknown word hides nothing


def test_other_events_are_ignored(easypost, store):
    body = json.dumps({"object": "Event", "id": "evt_batch", "description": "batch.created", "result": {}}).encode()
    assert easypost(body).status_code == 200
    assert InboundEvent.objects.get(store=store).outcome == Outcome.IGNORED


def test_every_easypost_status_and_detail_maps_to_a_normalised_status():
    documented = {
        "unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered", "available_for_pickup",
        "return_to_sender", "failure", "cancelled", "error",
    }  # fmt: skip
    assert set(STATUS_MAP) == documented
    assert set(STATUS_MAP.values()) | set(DETAIL_MAP.values()) <= set(ShipmentStatus.values)
    for raw, status in STATUS_MAP.items():
        assert map_status(raw) == status
        assert map_status(raw.upper(), "status_update") == status  # a plain detail changes nothing
    for detail_word, status in DETAIL_MAP.items():
        assert map_status("in_transit", detail_word) == status
        assert map_status("delivered", detail_word) == ShipmentStatus.DELIVERED  # settled fates stay
        assert map_status("return_to_sender", detail_word) == ShipmentStatus.RETURNED
    assert map_status("teleported") == ShipmentStatus.UNKNOWN


def test_easypost_carrier_names_map_to_our_codes():
    assert [carrier_code(n) for n in ("FedEx", "USPS", "UPS", "DHLExpress", "RoyalMail", "Purolator")] == [
        "fedex",
        "usps",
        "ups",
        "dhl",
        "royal_mail",
        "",
    ]

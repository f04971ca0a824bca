"""17TRACK pushes through the real endpoint, signed as 17TRACK signs them (SHA-256 of body + "/" + key)."""

import copy
import hashlib
import json
from datetime import UTC, datetime

import pytest

from apps.integrations.models import InboundEvent, Outcome
from apps.integrations.signatures import matches_17track
from apps.integrations.sources.seventeentrack import (
    STAGE_MAP,
    STATUS_MAP,
    SUB_STATUS_MAP,
    carrier_for,
    event_status,
    map_status,
)
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from tests.integrations.conftest import fixture_bytes, fixture_json
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
FIXTURE = "17track/17track_tracking_updated_delivered.json"
NUMBER = "1Z2617V10397725789"
VECTOR = next(v for v in fixture_json("signatures/signature_test_vectors.json")["vectors"] if "17track" in v["name"])
KEY = VECTOR["secret"]  # "abc123", the derived vector's key


def sign(body: bytes, key: str = KEY) -> str:
    return hashlib.sha256(body + b"/" + key.encode()).hexdigest()


@pytest.fixture
def seventeen(connect, post_webhook):
    connect("17track", KEY)

    def send(body: bytes, *, key: str = KEY):
        return post_webhook("17track", body, {"sign": sign(body, key)})

    return send


def shipment_in(store, number: str = NUMBER, carrier: str = "ups") -> Shipment:
    return ShipmentFactory(order=OrderFactory(store=store), tracking_number=number, carrier=carrier)


def delivered_payload(number: str) -> bytes:
    payload = fixture_json(FIXTURE)
    payload["data"]["number"] = number
    return json.dumps(payload).encode()


def in_transit_payload(number: str) -> bytes:
    """The same parcel two days earlier: the three oldest scans, 17TRACK saying in transit."""
    payload = fixture_json(FIXTURE)
    info = payload["data"]["track_info"]
    payload["data"]["number"] = number
    events = info["tracking"]["providers"][0]["events"][2:]
    info["tracking"]["providers"][0]["events"] = events
    info["latest_event"] = copy.deepcopy(events[0])
    info["latest_status"] = {"status": "InTransit", "sub_status": "InTransit_Other", "sub_status_descr": None}
    return json.dumps(payload).encode()


def test_the_published_push_delivers_the_known_shipment_once(seventeen, store):
    # given the UPS shipment the fixture tracks
    shipment = shipment_in(store)
    body = fixture_bytes(FIXTURE)
    # when 17TRACK pushes it, and then the same push again
    first = seventeen(body)
    shipment.refresh_from_db()
    modified = shipment.modified_at
    second = seventeen(body)
    # then its five scans are five events and the shipment is delivered at the delivery scan
    assert first.status_code == 200, first.json()
    assert second.json()["status"] == "duplicate"
    shipment.refresh_from_db()
    assert shipment.modified_at == modified
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 5
    delivered = datetime(2022, 4, 4, 23, 35, 22, tzinfo=UTC)
    assert (shipment.status, shipment.delivered_at, shipment.last_event_at, shipment.raw_status) == (
        ShipmentStatus.DELIVERED,
        delivered,
        delivered,
        "Delivered",
    )
    by_message = {e.message: e for e in shipment.events.all()}
    label = by_message["Shipper created a label, UPS has not received the package yet."]
    assert (label.status, label.raw_status, label.city, label.country) == (
        ShipmentStatus.INFO_RECEIVED,
        "InfoReceived",
        "",
        "US",
    )
    scan = by_message["Arrived at Facility"]  # a plain carrier scan: neither stage nor sub-status
    assert (scan.status, scan.raw_status, scan.city, scan.region) == (ShipmentStatus.IN_TRANSIT, "", "Anderson", "CA")
    assert by_message["Out For Delivery Today"].status == ShipmentStatus.OUT_FOR_DELIVERY
    inbound = InboundEvent.objects.get(store=store)
    assert (inbound.topic, inbound.deliveries, inbound.object_id) == ("TRACKING_UPDATED", 2, NUMBER)
    assert len(inbound.delivery_id) == 64  # no id in the push: the body's digest


def test_the_derived_signature_vector_verifies():
    body = fixture_bytes(FIXTURE)
    assert not body.endswith(b"\n")
    assert matches_17track(secrets=[KEY], body=body, signature=VECTOR["expected"])
    assert matches_17track(secrets=[KEY], body=body, signature=VECTOR["expected"].upper())
    assert not matches_17track(secrets=["other"], body=body, signature=VECTOR["expected"])
    assert sign(body) == VECTOR["expected"]


def test_the_derived_vector_is_accepted_by_the_endpoint(connect, post_webhook, store):
    shipment_in(store)
    connect("17track", KEY)
    response = post_webhook("17track", fixture_bytes(FIXTURE), {"sign": VECTOR["expected"]})
    assert response.status_code == 200, response.json()


def test_an_unknown_shipment_fails_visibly(seventeen, store):
    response = seventeen(fixture_bytes(FIXTURE))
    assert response.status_code == 422
    failed = InboundEvent.objects.get(store=store)
    assert failed.outcome == Outcome.FAILED and NUMBER in failed.error and "unknown" in failed.error
    assert not Shipment.objects.exists()


def test_a_wrong_signature_is_401_and_stores_nothing_but_the_log_line(seventeen, store):
    shipment = shipment_in(store)
    response = seventeen(fixture_bytes(FIXTURE), key="not-the-key")
    assert response.status_code == 401
    assert not shipment.events.exists()
    rejected = InboundEvent.objects.get(store=store)
    assert (rejected.outcome, rejected.delivery_id) == (Outcome.REJECTED, "")


def test_malformed_json_is_400(seventeen):
    response = seventeen(b'{"event": "TRACKING_UPDATED", "data": {')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_an_unknown_store_is_404(post_webhook):
    response = post_webhook("17track", fixture_bytes(FIXTURE), {"sign": VECTOR["expected"]}, store_slug="nobody")
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_pushes_posted_newest_first_or_oldest_first_end_in_the_same_state(seventeen, store):
    one, two = shipment_in(store, "1Z2617V10397725701"), shipment_in(store, "1Z2617V10397725702")
    for shipment, order in ((one, ("early", "late")), (two, ("late", "early"))):
        bodies = {
            "early": in_transit_payload(shipment.tracking_number),
            "late": delivered_payload(shipment.tracking_number),
        }
        for name in order:
            assert seventeen(bodies[name]).status_code == 200
    one.refresh_from_db()
    two.refresh_from_db()
    state = (one.status, one.delivered_at, one.last_event_at, one.raw_status)
    assert state == (two.status, two.delivered_at, two.last_event_at, two.raw_status)
    delivered = datetime(2022, 4, 4, 23, 35, 22, tzinfo=UTC)
    assert state == (ShipmentStatus.DELIVERED, delivered, delivered, "Delivered")
    assert one.events.count() == two.events.count() == 5


def test_a_late_older_push_never_moves_a_delivered_shipment_back(seventeen, store):
    shipment = shipment_in(store, "1Z2617V10397725703")
    seventeen(delivered_payload(shipment.tracking_number))
    shipment.refresh_from_db()
    delivered_at = shipment.delivered_at
    # when an older push (in transit) arrives late
    assert seventeen(in_transit_payload(shipment.tracking_number)).status_code == 200
    shipment.refresh_from_db()
    assert (shipment.status, shipment.delivered_at) == (ShipmentStatus.DELIVERED, delivered_at)
    assert shipment.events.count() == 5


def test_a_parcel_going_back_to_its_sender_is_returned(seventeen, store):
    # given a push whose newest scan is plain but whose status says the parcel is being returned
    shipment = shipment_in(store, "1Z2617V10397725704")
    payload = json.loads(in_transit_payload(shipment.tracking_number))
    payload["data"]["track_info"]["latest_status"] = {
        "status": "Exception", "sub_status": "Exception_Returning", "sub_status_descr": "Return to sender",
    }  # fmt: skip
    body = json.dumps(payload).encode()
    seventeen(body)
    seventeen(body)
    # then the shipment shows returned, from one status event at the newest scan's time
    shipment.refresh_from_db()
    assert (shipment.status, shipment.raw_status) == (ShipmentStatus.RETURNED, "Exception_Returning")
    assert shipment.last_event_at == datetime(2022, 4, 2, 9, 15, tzinfo=UTC)
    assert shipment.events.filter(status=ShipmentStatus.RETURNED).count() == 1


def test_stopped_tracking_is_ignored(seventeen, store):
    seventeen(json.dumps({"event": "TRACKING_STOPPED", "data": {"number": NUMBER, "carrier": 100002}}).encode())
    assert InboundEvent.objects.get(store=store).outcome == Outcome.IGNORED


def test_every_17track_status_sub_status_and_stage_maps_to_a_normalised_status():
    assert set(STATUS_MAP) == {
        "NotFound", "InfoReceived", "InTransit", "Expired", "AvailableForPickup", "OutForDelivery",
        "DeliveryFailure", "Delivered", "Exception",
    }  # fmt: skip
    assert set(STATUS_MAP.values()) | set(SUB_STATUS_MAP.values()) | set(STAGE_MAP.values()) <= set(
        ShipmentStatus.values
    )
    for raw, status in STATUS_MAP.items():
        assert map_status(raw) == status
    for raw, status in SUB_STATUS_MAP.items():
        assert raw.split("_")[0] in STATUS_MAP  # every sub-status belongs to a main status
        assert map_status(raw.split("_")[0], raw) == status
        assert event_status({"sub_status": raw, "stage": None}) == (status, raw)
    for raw, status in STAGE_MAP.items():
        assert event_status({"sub_status": None, "stage": raw}) == (status, raw)
    assert map_status("Exception", "Exception_Returned") == ShipmentStatus.RETURNED
    assert map_status("", "Delivered_Somewhere") == ShipmentStatus.DELIVERED  # a new sub-status names its main one
    assert map_status("Teleported") == ShipmentStatus.UNKNOWN
    assert event_status({"stage": "Teleported"}) == (ShipmentStatus.UNKNOWN, "Teleported")
    assert event_status({}) == (ShipmentStatus.IN_TRANSIT, "")


def test_carrier_codes_come_from_the_provider_then_the_key_then_the_number():
    providers = fixture_json(FIXTURE)["data"]["track_info"]["tracking"]["providers"]
    # the fixture's provider is UPS (100002); its `carrier` 3011 is China Post in 17TRACK's list
    assert carrier_for({"number": NUMBER, "carrier": 3011}, providers) == "ups"
    assert carrier_for({"number": NUMBER, "carrier": 3011}, []) == "ups"  # 3011 is not ours: the number says UPS
    assert carrier_for({"number": "X", "carrier": 21051}, []) == "usps"
    assert carrier_for({"number": "X", "carrier": 100003}, []) == "fedex"
    assert carrier_for({"number": "X", "carrier": 3011}, []) == ""

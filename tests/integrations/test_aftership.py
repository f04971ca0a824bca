"""AfterShip tracking webhooks through the real endpoint, signed as AfterShip signs them."""

import json
from datetime import UTC, date, datetime

import pytest

from apps.integrations.models import InboundEvent, Outcome
from apps.integrations.registry import adapter_for
from apps.integrations.services.inbound import inbound_replay
from apps.integrations.signatures import matches_base64_hmac
from apps.integrations.sources.aftership import STATUS_MAP, SUBTAG_MAP, country_code, map_status
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from tests.integrations.conftest import b64_hmac, fixture_bytes, fixture_json
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
SECRET = "aftership_test_webhook_secret"  # the derived vector's secret
FIXTURE = "aftership/aftership_tracking_update_trimmed.json"
FIXTURE_NUMBER = "0000000000000000"


@pytest.fixture
def aftership(connect, post_webhook):
    connect("aftership", SECRET)

    def send(body: bytes, *, secret: str = SECRET):
        headers = {"aftership-hmac-sha256": b64_hmac(secret, body), "As-Webhook-Version": "2026-07"}
        return post_webhook("aftership", body, headers)

    return send


def checkpoint(at: str, tag: str, subtag: str, message: str, **extra) -> dict:
    return {"checkpoint_time": at, "tag": tag, "subtag": subtag, "message": message, "slug": "dhl", **extra}


def update(number: str, checkpoints: list[dict], *, event_id: str, tag: str = "", subtag: str = "", **msg) -> bytes:
    last = checkpoints[-1] if checkpoints else {}
    body = {
        "event": "tracking_update",
        "event_id": event_id,
        "msg": {
            "tracking_number": number, "slug": "dhl", "tag": tag or last.get("tag", "Pending"),
            "subtag": subtag or last.get("subtag", "Pending_001"), "checkpoints": checkpoints, **msg,
        },
        "ts": 1714730000,
    }  # fmt: skip
    return json.dumps(body).encode()


EARLY = [
    checkpoint("2024-05-01T08:00:00+02:00", "InfoReceived", "InfoReceived_001", "Shipment information received"),
    checkpoint("2024-05-02T10:00:00+02:00", "InTransit", "InTransit_007", "Departure scan", city="Leipzig",
               country_iso3="DEU"),
]  # fmt: skip
LATE = [
    *EARLY,
    checkpoint("2024-05-03T07:30:00+02:00", "OutForDelivery", "OutForDelivery_001", "Out for delivery"),
    checkpoint("2024-05-03T14:05:00+02:00", "Delivered", "Delivered_001", "Delivered", city="Milano",
               country_region="ITA", zip="20121"),
]  # fmt: skip


def shipment_in(store, number: str, carrier: str = "dhl") -> Shipment:
    return ShipmentFactory(order=OrderFactory(store=store), tracking_number=number, carrier=carrier)


def test_the_published_sample_moves_the_known_shipment_once(aftership, store):
    # given the shipment the sample is about
    shipment = shipment_in(store, FIXTURE_NUMBER, carrier="usps")
    body = fixture_bytes(FIXTURE)
    # when AfterShip delivers it, and then the same delivery again
    first = aftership(body)
    shipment.refresh_from_db()
    modified = shipment.modified_at
    second = aftership(body)
    # then its one checkpoint is one event, with the raw subtag beside the mapped status
    assert first.status_code == 200, first.json()
    assert second.json()["status"] == "duplicate"
    shipment.refresh_from_db()
    assert (shipment.status, shipment.raw_status, shipment.status_source) == (
        ShipmentStatus.IN_TRANSIT,
        "InTransit_001",
        "aftership",
    )
    assert shipment.last_event_at == datetime(2021, 1, 14, 0, 52, tzinfo=UTC)  # no offset: read as UTC
    assert shipment.modified_at == modified
    event = TrackingEvent.objects.get(shipment=shipment)
    assert event.message == "Departed Shipping Partner Facility, USPS Awaiting Item"
    inbound = InboundEvent.objects.get(store=store)
    assert (inbound.delivery_id, inbound.deliveries, inbound.outcome) == (
        "94dadd60-ed26-46d0-aa52-3ced925a50ff",
        2,
        Outcome.PROCESSED,
    )
    assert inbound.object_id == FIXTURE_NUMBER


def test_an_unknown_shipment_of_a_known_order_is_created_for_that_order(aftership, store):
    # given no shipment yet, but the order the sample names ("order_number": "string")
    order = OrderFactory(store=store, number="string")
    # when the sample arrives twice
    aftership(fixture_bytes(FIXTURE))
    aftership(fixture_bytes(FIXTURE))
    # then the shipment exists once, on that order, with AfterShip's slug mapped to our carrier code
    shipment = Shipment.objects.get(store=store)
    assert (shipment.order, shipment.tracking_number, shipment.carrier) == (order, FIXTURE_NUMBER, "usps")
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert shipment.events.count() == 1


def test_an_unknown_shipment_fails_visibly_and_replays_once_it_exists(aftership, store):
    # given neither the shipment nor its order is known
    response = aftership(fixture_bytes(FIXTURE))
    # then the delivery is kept as failed, saying why
    assert response.status_code == 422
    failed = InboundEvent.objects.get(store=store)
    assert failed.outcome == Outcome.FAILED
    assert "unknown" in failed.error and FIXTURE_NUMBER in failed.error
    assert not Shipment.objects.exists()
    # when the shipment appears and a person replays the delivery
    shipment = shipment_in(store, FIXTURE_NUMBER, carrier="usps")
    replayed = inbound_replay(event=failed, adapter=adapter_for("aftership"))
    # then it applies
    assert replayed.outcome == Outcome.PROCESSED
    assert shipment.events.count() == 1


def test_the_derived_signature_vector_verifies():
    vector = next(
        v for v in fixture_json("signatures/signature_test_vectors.json")["vectors"] if "aftership" in v["name"]
    )
    body = fixture_bytes(FIXTURE)
    assert matches_base64_hmac(secrets=[vector["secret"]], body=body, signature=vector["expected"])
    assert not matches_base64_hmac(secrets=["other"], body=body, signature=vector["expected"])
    assert b64_hmac(SECRET, body) == vector["expected"]


def test_a_wrong_signature_is_401_and_stores_nothing_but_the_log_line(aftership, store):
    shipment = shipment_in(store, FIXTURE_NUMBER, carrier="usps")
    response = aftership(fixture_bytes(FIXTURE), secret="not-the-secret")
    assert response.status_code == 401
    assert not shipment.events.exists()
    rejected = InboundEvent.objects.get(store=store)
    assert (rejected.outcome, rejected.delivery_id) == (Outcome.REJECTED, "")


def test_malformed_json_is_400(aftership):
    response = aftership(b'{"event": "tracking_update", "msg": ')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert not InboundEvent.objects.exists()


def test_an_unknown_store_is_404(post_webhook):
    response = post_webhook("aftership", fixture_bytes(FIXTURE), {"aftership-hmac-sha256": "x"}, store_slug="nobody")
    assert response.status_code == 404
    assert not InboundEvent.objects.exists()


def test_updates_posted_newest_first_or_oldest_first_end_in_the_same_state(aftership, store):
    # given two shipments and two updates of each: the early one (in transit) and the late one (delivered)
    one, two = shipment_in(store, "JD014600006281230701"), shipment_in(store, "JD014600006281230702")
    # when one gets them in order and the other newest first
    for number, order in ((one.tracking_number, ("early", "late")), (two.tracking_number, ("late", "early"))):
        bodies = {
            "early": update(number, EARLY, event_id=f"{number}-early", expected_delivery="2024-05-04"),
            "late": update(number, LATE, event_id=f"{number}-late", expected_delivery="2024-05-03"),
        }
        for name in order:
            assert aftership(bodies[name]).status_code == 200
    # then both end delivered at the delivery scan, with the newest estimate
    one.refresh_from_db()
    two.refresh_from_db()
    state = (one.status, one.delivered_at, one.last_event_at, one.raw_status, one.estimated_delivery)
    assert state == (two.status, two.delivered_at, two.last_event_at, two.raw_status, two.estimated_delivery)
    assert state == (
        ShipmentStatus.DELIVERED,
        datetime(2024, 5, 3, 12, 5, tzinfo=UTC),
        datetime(2024, 5, 3, 12, 5, tzinfo=UTC),
        "Delivered_001",
        date(2024, 5, 3),
    )
    assert one.events.count() == two.events.count() == 4
    delivered = one.events.get(status=ShipmentStatus.DELIVERED)
    assert (delivered.city, delivered.postal_code, delivered.country) == ("Milano", "20121", "IT")
    assert one.events.get(raw_status="InTransit_007").country == "DE"


def test_a_late_older_event_never_moves_a_delivered_shipment_back(aftership, store):
    shipment = shipment_in(store, "JD014600006281230703")
    aftership(update(shipment.tracking_number, LATE, event_id="delivered"))
    shipment.refresh_from_db()
    delivered_at = shipment.delivered_at
    # when a scan from before the delivery arrives late
    stray = [checkpoint("2024-05-02T18:00:00+02:00", "InTransit", "InTransit_003", "Arrival scan")]
    assert aftership(update(shipment.tracking_number, stray, event_id="stray")).status_code == 200
    # then the shipment stays delivered
    shipment.refresh_from_db()
    assert (shipment.status, shipment.delivered_at) == (ShipmentStatus.DELIVERED, delivered_at)
    assert shipment.events.count() == 5


def test_returned_to_sender_is_returned_and_an_unknown_tag_is_unknown_with_its_word_kept(aftership, store):
    shipment = shipment_in(store, "JD014600006281230704")
    returned = [*EARLY, checkpoint("2024-05-06T09:00:00Z", "Exception", "Exception_011", "Returned to sender")]
    aftership(update(shipment.tracking_number, returned, event_id="returned"))
    shipment.refresh_from_db()
    assert (shipment.status, shipment.raw_status) == (ShipmentStatus.RETURNED, "Exception_011")
    # when a checkpoint carries a tag AfterShip has not published
    odd = [checkpoint("2024-05-07T09:00:00Z", "Teleported", "Teleported_001", "Beamed up")]
    aftership(update(shipment.tracking_number, odd, event_id="odd"))
    # then it is stored as unknown with its word, and it does not hide what is known
    event = shipment.events.get(message="Beamed up")
    assert (event.status, event.raw_status) == (ShipmentStatus.UNKNOWN, "Teleported_001")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RETURNED


def test_an_expired_tracking_without_its_own_checkpoint_shows_expired(aftership, store):
    # given a parcel in transit
    shipment = shipment_in(store, "JD014600006281230705")
    aftership(update(shipment.tracking_number, EARLY, event_id="transit"))
    # when AfterShip gives up on it: the tag says Expired, no checkpoint does
    body = update(shipment.tracking_number, EARLY, event_id="expired", tag="Expired", subtag="Expired_001")
    aftership(body)
    aftership(body)
    # then the shipment shows expired, from one summary event
    shipment.refresh_from_db()
    assert (shipment.status, shipment.raw_status) == (ShipmentStatus.EXPIRED, "Expired_001")
    assert shipment.events.filter(status=ShipmentStatus.EXPIRED).count() == 1


def test_an_unused_event_is_ignored(aftership, store):
    aftership(json.dumps({"event": "something_new", "event_id": "x1", "msg": {}}).encode())
    assert InboundEvent.objects.get(store=store).outcome == Outcome.IGNORED


def test_every_aftership_tag_and_notable_subtag_maps_to_a_normalised_status():
    tags = fixture_json("aftership/aftership_delivery_statuses.json")["tags"]
    assert set(STATUS_MAP) == set(tags)
    assert set(STATUS_MAP.values()) | set(SUBTAG_MAP.values()) <= set(ShipmentStatus.values)
    for tag, status in STATUS_MAP.items():
        assert map_status(tag) == status
        assert map_status(tag, f"{tag}_001") == status  # an ordinary subtag says what its tag says
        assert map_status("", f"{tag}_099") == status  # a subtag alone names its tag
    for subtag, status in SUBTAG_MAP.items():
        assert map_status("Exception", subtag) == status
    assert map_status("Exception", "Exception_011") == ShipmentStatus.RETURNED
    assert map_status("Teleported") == ShipmentStatus.UNKNOWN
    assert map_status(None) == ShipmentStatus.UNKNOWN


def test_country_codes_become_two_letters_where_easy():
    assert [country_code(c) for c in ("DEU", "usa", "IT", "XYZ", None)] == ["DE", "US", "IT", "", ""]

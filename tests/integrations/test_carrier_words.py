"""What carrier webhooks say about a pickup point and about each checkpoint reaches the buyer's page, in the
buyer's language: through the real endpoints, signed, every delivery posted twice."""

import html
import json

import pytest

from apps.shipments.models import ShipmentStatus, TrackingEvent
from tests.customers.factories import CustomerFactory
from tests.integrations.conftest import b64_hmac, fixture_bytes
from tests.integrations.test_easypost import FIXTURE as EASYPOST_FIXTURE
from tests.integrations.test_easypost import SECRET as EASYPOST_SECRET
from tests.integrations.test_easypost import signature as easypost_signature
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
SECRET = "aftership_test_webhook_secret"


@pytest.fixture
def aftership(connect, post_webhook):
    connect("aftership", SECRET)

    def send(body: bytes):
        return post_webhook("aftership", body, {"aftership-hmac-sha256": b64_hmac(SECRET, body)})

    return send


@pytest.fixture
def easypost(connect, post_webhook):
    connect("easypost", EASYPOST_SECRET)

    def send(body: bytes):
        return post_webhook("easypost", body, {"X-Hmac-Signature": easypost_signature(body)})

    return send


def buyer_shipment(store, number: str, language: str = "en", carrier: str = "dhl"):
    order = OrderFactory(store=store, customer=CustomerFactory(store=store, locale=language), locale=language)
    return ShipmentFactory(order=order, store=store, tracking_number=number, carrier=carrier)


def pickup_update(number: str, *, event_id: str, at: str, **msg) -> bytes:
    checkpoint = {
        "checkpoint_time": at, "tag": "AvailableForPickup", "subtag": "AvailableForPickup_001",
        "message": "Ready for collection at the post office", "slug": "dhl",
    }  # fmt: skip
    body = {
        "event": "tracking_update",
        "event_id": event_id,
        "msg": {"tracking_number": number, "slug": "dhl", "tag": "AvailableForPickup",
                "subtag": "AvailableForPickup_001", "checkpoints": [checkpoint], **msg},
        "ts": 1714730000,
    }  # fmt: skip
    return json.dumps(body).encode()


def page(client, shipment, language: str) -> str:
    response = client.get(shipment.order.get_tracking_url(), {"lang": language})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_aftership_names_the_pickup_point_and_the_buyer_reads_it(client, aftership, store):
    # given a parcel AfterShip says waits at a pickup point, with a note about opening hours
    shipment = buyer_shipment(store, "JJD0001", language="ru")
    body = pickup_update(
        "JJD0001", event_id="pickup-1", at="2030-05-03T09:00:00+02:00",
        pickup_location="DHL Packstation 112, Karl-Liebknecht-Str. 9, Leipzig", pickup_note="Open 24/7",
    )  # fmt: skip
    # when the delivery arrives twice
    assert aftership(body).status_code == 200
    assert aftership(body).json()["status"] == "duplicate"
    # then the shipment knows where, and the Russian page says it
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.AVAILABLE_FOR_PICKUP
    assert shipment.pickup_location == "DHL Packstation 112, Karl-Liebknecht-Str. 9, Leipzig (Open 24/7)"
    text = page(client, shipment, "ru")
    assert "Забрать посылку можно здесь: DHL Packstation 112, Karl-Liebknecht-Str. 9, Leipzig (Open 24/7)." in text
    assert "Посылка ждёт в пункте выдачи." in text  # the checkpoint, in Russian; AfterShip's English one tap away
    assert "Ready for collection at the post office" in text.split('<details class="event-original">')[1]


def test_an_older_aftership_delivery_never_rewrites_a_newer_pickup_point(aftership, store):
    shipment = buyer_shipment(store, "JJD0002")
    newer = pickup_update("JJD0002", event_id="new", at="2030-05-04T09:00:00+02:00", pickup_location="Kiosk B")
    older = pickup_update("JJD0002", event_id="old", at="2030-05-02T09:00:00+02:00", pickup_location="Kiosk A")
    for body in (newer, newer, older, older):
        assert aftership(body).status_code == 200
    shipment.refresh_from_db()
    assert shipment.pickup_location == "Kiosk B"


def test_a_newer_aftership_delivery_without_a_pickup_point_clears_the_old_one(aftership, store):
    shipment = buyer_shipment(store, "JJD0003")
    aftership(pickup_update("JJD0003", event_id="a", at="2030-05-03T09:00:00+02:00", pickup_location="Kiosk A"))
    cleared = pickup_update("JJD0003", event_id="b", at="2030-05-04T09:00:00+02:00", pickup_location=None)
    aftership(cleared)
    aftership(cleared)
    shipment.refresh_from_db()
    assert shipment.pickup_location == ""


def test_the_published_aftership_sample_reads_in_korean_with_the_carriers_words_beside_it(client, aftership, store):
    shipment = buyer_shipment(store, "0000000000000000", language="ko", carrier="usps")
    body = fixture_bytes("aftership/aftership_tracking_update_trimmed.json")
    aftership(body)
    aftership(body)
    event = TrackingEvent.objects.get(shipment=shipment)
    assert (event.source, event.raw_status) == ("aftership", "InTransit_001")
    text = page(client, shipment, "ko")
    assert '<span class="event-message">택배가 배송 중이에요.</span>' in text
    assert '<span lang="">Departed Shipping Partner Facility, USPS Awaiting Item</span>' in text


def test_easypost_details_read_in_italian_and_a_detail_that_says_nothing_more_reads_as_its_status(
    client, easypost, store
):
    # given the shipment of EasyPost's published tracker.updated event (FedEx, in transit)
    body = fixture_bytes(EASYPOST_FIXTURE)
    number = json.loads(body)["result"]["tracking_code"]
    shipment = buyer_shipment(store, number, language="it", carrier="fedex")
    easypost(body)
    easypost(body)
    text = page(client, shipment, "it")
    # arrived_at_facility / departed_facility / label_created / unknown ("On the way")
    assert "Il pacco è arrivato in un centro di smistamento." in text
    assert "Il pacco è partito da un centro di smistamento." in text
    assert "L'etichetta di spedizione è stata creata: il corriere ritirerà presto il pacco." in text
    assert '<span class="event-message">Il pacco è in viaggio.</span>' in text
    assert '<span lang="">Arrived at FedEx location</span>' in text

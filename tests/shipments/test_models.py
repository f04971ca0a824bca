import pytest
from django.db import IntegrityError, transaction

from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory

pytestmark = pytest.mark.django_db


def test_the_normalised_statuses_are_the_agreed_set():
    assert set(ShipmentStatus.values) == {
        "pending",
        "info_received",
        "in_transit",
        "out_for_delivery",
        "available_for_pickup",
        "attempt_failed",
        "delivered",
        "exception",
        "returned",
        "expired",
        "unknown",
    }


def test_a_shipment_status_outside_the_set_is_refused():
    shipment = ShipmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Shipment.objects.filter(pk=shipment.pk).update(status="lost_in_space")


def test_an_event_status_outside_the_set_is_refused_while_the_raw_status_is_free_text():
    event = TrackingEventFactory(raw_status="Zugestellt / whatever the carrier said")
    with pytest.raises(IntegrityError), transaction.atomic():
        TrackingEvent.objects.filter(pk=event.pk).update(status="zugestellt")


def test_a_tracking_number_is_one_shipment_per_store_and_carrier():
    first = ShipmentFactory(carrier="ups", tracking_number="1Z999AA10123456784")
    with pytest.raises(IntegrityError), transaction.atomic():
        ShipmentFactory(
            order__store=first.store, store=first.store, carrier="ups", tracking_number="1Z999AA10123456784"
        )


def test_the_same_event_twice_is_refused():
    event = TrackingEventFactory(dedupe_key="evt-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        TrackingEventFactory(shipment=event.shipment, dedupe_key="evt-1")


def test_two_long_event_ids_alike_at_the_start_stay_two_events():
    from datetime import UTC, datetime

    from apps.shipments.inputs import EventIn

    moment = datetime(2026, 6, 1, tzinfo=UTC)
    first, second = (
        EventIn(
            occurred_at=moment, status="in_transit", raw_status="x", source="aftership", external_id="x" * 70 + suffix
        )
        for suffix in ("1", "2")
    )
    assert first.dedupe_key != second.dedupe_key
    assert len(first.dedupe_key) <= 64
    assert EventIn(
        occurred_at=moment, status="in_transit", raw_status="x", source="aftership", external_id="e-1"
    ).dedupe_key == ("aftership:e-1")

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from apps.shipments.inputs import EventIn
from apps.shipments.models import ShipmentStatus as S
from apps.shipments.services import shipment_record_events
from apps.shipments.status import resolve_status
from tests.shipments.factories import ShipmentFactory

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


JOURNEY = [(at(0), S.INFO_RECEIVED), (at(5), S.IN_TRANSIT), (at(30), S.OUT_FOR_DELIVERY), (at(34), S.DELIVERED)]


def test_the_newest_event_decides_whatever_order_they_arrive_in():
    for permutation in itertools.permutations(JOURNEY):
        assert resolve_status(permutation) == (S.DELIVERED, at(34), at(34))


def test_delivered_stays_when_a_stray_scan_follows():
    status, delivered_at, last = resolve_status([*JOURNEY, (at(40), S.IN_TRANSIT)])
    assert (status, delivered_at, last) == (S.DELIVERED, at(34), at(40))


def test_a_return_after_delivery_moves_it_to_returned():
    status, delivered_at, _ = resolve_status([*JOURNEY, (at(100), S.RETURNED)])
    assert (status, delivered_at) == (S.RETURNED, None)


def test_an_unmapped_status_never_hides_a_known_one():
    assert resolve_status([(at(0), S.IN_TRANSIT), (at(1), S.UNKNOWN)])[0] == S.IN_TRANSIT
    assert resolve_status([(at(0), S.UNKNOWN)])[0] == S.UNKNOWN


def test_no_events_means_pending():
    assert resolve_status([]) == (S.PENDING, None, None)


def test_same_timestamp_ties_break_by_progress_not_arrival():
    tie = [(at(1), S.OUT_FOR_DELIVERY), (at(1), S.IN_TRANSIT)]
    assert resolve_status(tie)[0] == resolve_status(list(reversed(tie)))[0] == S.OUT_FOR_DELIVERY


def events(pairs):
    return [EventIn(occurred_at=when, status=status, raw_status=status, source="test") for when, status in pairs]


@pytest.mark.django_db
def test_events_posted_newest_first_and_oldest_first_end_in_the_same_state():
    forwards, backwards = ShipmentFactory(), ShipmentFactory()
    for event in events(JOURNEY):
        shipment_record_events(shipment=forwards, incoming=[event])
    for event in reversed(events(JOURNEY)):
        shipment_record_events(shipment=backwards, incoming=[event])
    forwards.refresh_from_db()
    backwards.refresh_from_db()
    state = lambda s: (s.status, s.delivered_at, s.last_event_at, s.events.count())  # noqa: E731
    assert state(forwards) == state(backwards) == (S.DELIVERED, at(34), at(34), 4)


@pytest.mark.django_db
def test_recording_the_same_events_twice_adds_nothing_and_announces_nothing(django_capture_on_commit_callbacks):
    shipment = ShipmentFactory()
    with django_capture_on_commit_callbacks() as first:
        assert shipment_record_events(shipment=shipment, incoming=events(JOURNEY)) == 4
    with django_capture_on_commit_callbacks() as second:
        assert shipment_record_events(shipment=shipment, incoming=events(JOURNEY)) == 0
    assert len(first) == 2  # one status change, and the new events (the tracking page's cache listens)
    assert second == []
    assert shipment.events.count() == 4


@pytest.mark.django_db
def test_a_late_older_event_does_not_move_a_shipment_backwards():
    shipment = ShipmentFactory()
    shipment_record_events(shipment=shipment, incoming=events([(at(30), S.OUT_FOR_DELIVERY)]))
    shipment_record_events(shipment=shipment, incoming=events([(at(5), S.IN_TRANSIT)]))
    shipment.refresh_from_db()
    assert shipment.status == S.OUT_FOR_DELIVERY
    assert shipment.events.count() == 2

"""New shipments' numbers reach the store's tracking service once, in batches, retried with backoff."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.integrations.calls import CallError, RateLimited
from apps.integrations.models import ConnectionState, RegistrationState, TrackingRegistration
from apps.integrations.remotes import Registration
from apps.integrations.services import tracking_registrations
from apps.integrations.services.tracking_registrations import MAX_ATTEMPTS, registrations_send, registrations_sweep
from apps.shipments.inputs import ShipmentIn
from apps.shipments.services import shipment_upsert
from tests.integrations import fake_remote
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carrier(monkeypatch):
    return fake_remote.install(monkeypatch, "aftership", kind="tracking", batch=2)


@pytest.fixture
def sends(monkeypatch):
    stores: list[int] = []

    class Task:
        def delay(self, store_id):
            stores.append(store_id)

    monkeypatch.setattr(tracking_registrations, "_send_task", lambda: Task())
    return stores


@pytest.fixture
def tracking(connect):
    return connect("aftership", api_token="as-key", state=ConnectionState.CONNECTED)


def ship(store, number, **kwargs):
    order = OrderFactory(store=store)
    return shipment_upsert(order=order, data=ShipmentIn(tracking_number=number, carrier="ups", **kwargs))[0]


def test_a_new_shipment_is_registered_with_the_tracking_service(
    store, carrier, sends, tracking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shipment = ship(store, "1Z999AA10123456784")

    row = TrackingRegistration.objects.get(shipment=shipment)
    assert (row.state, row.source) == (RegistrationState.PENDING, "aftership")
    assert sends == [store.pk]

    assert registrations_send(store_id=store.pk) == 1
    assert registrations_send(store_id=store.pk) == 0  # a second run registers nothing again
    row.refresh_from_db()
    assert row.state == RegistrationState.REGISTERED and row.external_id == f"t-{shipment.pk}"
    assert carrier.registered == [["1Z999AA10123456784"]]


def test_numbers_go_in_batches_of_the_service_size(store, carrier, sends, tracking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            ship(store, f"1Z99900000000000{n:02d}")

    assert registrations_send(store_id=store.pk) == 5
    assert [len(batch) for batch in carrier.registered] == [2, 2, 1]


def test_history_and_delivered_parcels_are_not_registered(
    store, carrier, sends, tracking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ship(store, "1ZHISTORY000000001", historical=True)
    ShipmentFactory(store=store, status="delivered", tracking_number="1ZDELIVERED0000001")

    registrations_sweep()
    registrations_sweep()

    assert not TrackingRegistration.objects.exists()


def test_without_a_tracking_connection_the_shipment_waits_and_goes_once_one_is_connected(
    store, carrier, sends, connect, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shipment = ship(store, "1Z999AA10000000001")
    row = TrackingRegistration.objects.get(shipment=shipment)
    assert row.state == RegistrationState.NO_CONNECTION and sends == []

    connect("aftership", api_token="as-key", state=ConnectionState.CONNECTED)
    registrations_sweep()
    registrations_sweep()

    row.refresh_from_db()
    assert row.state == RegistrationState.PENDING and sends == [store.pk, store.pk]
    registrations_send(store_id=store.pk)
    row.refresh_from_db()
    assert row.state == RegistrationState.REGISTERED


def test_a_shipment_the_signal_missed_is_found_by_the_sweep(store, carrier, sends, tracking):
    shipment = ShipmentFactory(store=store, tracking_number="1ZMISSED0000000001")

    registrations_sweep()
    registrations_sweep()

    assert TrackingRegistration.objects.filter(shipment=shipment, state=RegistrationState.PENDING).count() == 1
    registrations_send(store_id=store.pk)
    assert carrier.registered == [["1ZMISSED0000000001"]]


def test_a_number_the_service_rejects_fails_with_its_reason(store, carrier, sends, tracking):
    shipment = ShipmentFactory(store=store, tracking_number="BADNUMBER")
    carrier.outcome["BADNUMBER"] = Registration(ok=False, error="Invalid tracking number.")
    registrations_sweep()

    registrations_send(store_id=store.pk)

    row = TrackingRegistration.objects.get(shipment=shipment)
    assert (row.state, row.error) == (RegistrationState.FAILED, "Invalid tracking number.")


def test_a_rate_limit_postpones_the_batch_without_counting_an_attempt(store, carrier, sends, tracking):
    shipment = ShipmentFactory(store=store, tracking_number="1ZLIMIT00000000001")
    registrations_sweep()
    carrier.failures = [RateLimited("slow down", status=429, retry_after=90)]

    assert registrations_send(store_id=store.pk) == 0

    row = TrackingRegistration.objects.get(shipment=shipment)
    assert row.state == RegistrationState.PENDING and row.attempts == 0
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=80)
    assert registrations_send(store_id=store.pk) == 0  # not due yet
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert registrations_send(store_id=store.pk) == 1


def test_a_failing_service_is_retried_with_backoff_then_given_up(store, carrier, sends, tracking):
    shipment = ShipmentFactory(store=store, tracking_number="1ZDOWN000000000001")
    registrations_sweep()
    row = TrackingRegistration.objects.get(shipment=shipment)
    waits = []
    for _ in range(MAX_ATTEMPTS):
        carrier.failures = [CallError("https://api.aftership.com/trackings answered HTTP 500.", status=500)]
        with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
            registrations_send(store_id=store.pk)
            previous = row.next_attempt_at
            row.refresh_from_db()
            if row.state == RegistrationState.PENDING:
                waits.append((row.next_attempt_at - previous).total_seconds())

    assert row.state == RegistrationState.FAILED and "HTTP 500" in row.error
    assert len(waits) == MAX_ATTEMPTS - 1 and waits == sorted(waits)  # the waits grow
    tracking.refresh_from_db()
    assert tracking.state == ConnectionState.FAILING

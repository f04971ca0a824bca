"""Registering new shipments' tracking numbers with the store's tracking service, so its webhooks come.

A shipment with a tracking number gets a `TrackingRegistration` row when it appears (or when the sweeper finds
it): `pending` when the store has a tracking connection, `no_connection` otherwise (the connections page counts
those). The sender takes due pending rows in batches of the service's size, with `skip_locked` so two workers
never register one number twice, and records each outcome: registered ("already exists" included), failed
after `MAX_ATTEMPTS`, or pending again with an exponential backoff.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.shipments.models import Shipment, ShipmentStatus

from ..calls import CallError, CircuitOpen, RateLimited
from ..models import Connection, RegistrationState, TrackingRegistration
from ..registry import remote_for
from ..selectors import connection_able_to
from .connections import connection_record_error, connection_record_ok

MAX_ATTEMPTS = 8
SWEEP_DAYS = 30
FINISHED = (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED, ShipmentStatus.EXPIRED)


def tracking_connection(store_id: int) -> Connection | None:
    """The store's tracking service we register numbers with (the first one connected, if several)."""
    return connection_able_to(store_id=store_id, capability="tracking_register")


def registration_create(*, shipment_id: int) -> TrackingRegistration | None:
    """The registration row of a new shipment (once: a second call finds the first)."""
    shipment = Shipment.objects.filter(pk=shipment_id).exclude(tracking_number="").first()
    if shipment is None or shipment.is_history or shipment.status in FINISHED:
        return None
    connection = tracking_connection(shipment.store_id)
    registration, created = TrackingRegistration.objects.get_or_create(
        shipment=shipment,
        defaults={
            "store_id": shipment.store_id,
            "source": connection.source if connection else "",
            "state": RegistrationState.PENDING if connection else RegistrationState.NO_CONNECTION,
            "next_attempt_at": timezone.now(),
        },
    )
    if created and connection:
        transaction.on_commit(lambda: _send_task().delay(shipment.store_id))
    return registration


def _send_task():
    from ..tasks import registrations_send_task

    return registrations_send_task


def registrations_sweep(*, now=None) -> int:
    """Beat: rows for recent shipments that have none (a number added later, a missed signal), rows waiting
    for a connection the store now has, and a send for every store with due rows."""
    now = now or timezone.now()
    missing = (
        Shipment.objects.filter(created_at__gte=now - timedelta(days=SWEEP_DAYS), is_history=False)
        .exclude(tracking_number="")
        .exclude(status__in=FINISHED)
        .filter(~Exists(TrackingRegistration.objects.filter(shipment=OuterRef("pk"))))
        .values_list("pk", flat=True)[:5000]
    )
    for shipment_id in list(missing):
        registration_create(shipment_id=shipment_id)
    for store_id in set(
        TrackingRegistration.objects.filter(state=RegistrationState.NO_CONNECTION).values_list("store_id", flat=True)
    ):
        connection = tracking_connection(store_id)
        if connection is not None:
            TrackingRegistration.objects.filter(store_id=store_id, state=RegistrationState.NO_CONNECTION).update(
                state=RegistrationState.PENDING, source=connection.source, next_attempt_at=now
            )
    due_stores = set(
        TrackingRegistration.objects.filter(state=RegistrationState.PENDING, next_attempt_at__lte=now).values_list(
            "store_id", flat=True
        )
    )
    for store_id in due_stores:
        _send_task().delay(store_id)
    return len(due_stores)


def registrations_send(*, store_id: int, batches: int = 10) -> int:
    """Register up to `batches` batches of the store's due numbers. Returns how many were registered."""
    connection = tracking_connection(store_id)
    if connection is None:
        return 0
    remote = remote_for(connection.source)
    registered = 0
    for _ in range(batches):
        with transaction.atomic():
            batch = list(
                TrackingRegistration.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("shipment", "shipment__order")
                .filter(store_id=store_id, state=RegistrationState.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at", "pk")[: max(remote.register_batch_size, 1)]
            )
            if not batch:
                break
            # Claimed for a while: a worker that dies mid-call leaves them due again later, not lost.
            TrackingRegistration.objects.filter(pk__in=[r.pk for r in batch]).update(
                next_attempt_at=timezone.now() + timedelta(minutes=10), source=connection.source
            )
        try:
            outcomes = remote.tracking_register(connection, [r.shipment for r in batch])
        except (RateLimited, CircuitOpen) as exc:
            _retry_later(batch, str(exc), seconds=exc.retry_after or 60.0, count_attempt=False)
            break
        except CallError as exc:
            connection_record_error(connection=connection, message=str(exc))
            _retry_later(batch, str(exc))
            break
        connection_record_ok(connection=connection)
        registered += _record(batch, outcomes)
    return registered


def _record(batch: list[TrackingRegistration], outcomes) -> int:
    now = timezone.now()
    registered = 0
    for registration in batch:
        outcome = outcomes.get(registration.shipment_id)
        if outcome is not None and outcome.ok:
            TrackingRegistration.objects.filter(pk=registration.pk).update(
                state=RegistrationState.REGISTERED,
                registered_at=now,
                external_id=outcome.external_id[:100],
                error="",
                attempts=registration.attempts + 1,
                next_attempt_at=None,
            )
            registered += 1
        elif outcome is not None and not outcome.retry:
            TrackingRegistration.objects.filter(pk=registration.pk).update(
                state=RegistrationState.FAILED, error=outcome.error[:500], attempts=registration.attempts + 1
            )
        else:
            _retry_later([registration], outcome.error if outcome else "No answer for this number.")
    return registered


def _retry_later(batch, error: str, *, seconds: float | None = None, count_attempt: bool = True) -> None:
    for registration in batch:
        attempts = registration.attempts + (1 if count_attempt else 0)
        if attempts >= MAX_ATTEMPTS:
            TrackingRegistration.objects.filter(pk=registration.pk).update(
                state=RegistrationState.FAILED, error=error[:500], attempts=attempts
            )
            continue
        wait = seconds if seconds is not None else min(60 * 2**attempts, 6 * 3600) * random.uniform(0.75, 1.25)
        TrackingRegistration.objects.filter(pk=registration.pk).update(
            attempts=attempts, error=error[:500], next_attempt_at=timezone.now() + timedelta(seconds=wait)
        )

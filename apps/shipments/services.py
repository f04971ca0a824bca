"""Every write to shipments and their tracking events."""

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from apps.core.events import announce_after_commit
from apps.core.upsert import lock_or_create
from apps.orders.models import Order

from . import events
from .carriers import CARRIERS, detect_carrier, preferred_carriers
from .inputs import EventIn, PickupIn, ShipmentIn
from .learning import PREDICTED_STATUSES, prediction_fields
from .models import Shipment, ShipmentStatus, TrackingEvent
from .status import resolve_status


@transaction.atomic
def shipment_upsert(*, order: Order, data: ShipmentIn) -> tuple[Shipment, bool]:
    """A shipment of an order, found by external id or carrier + tracking number; fills what is missing."""
    if not data.external_id and not data.tracking_number:
        raise ValueError("A shipment needs an external id or a tracking number to be found again.")
    carrier_code = data.carrier or detect_carrier(data.tracking_number, prefer=preferred_carriers(order.store)) or ""
    carrier = CARRIERS.get(carrier_code)
    # By external id when we know it (or have nothing else); otherwise by number, so a parcel first seen
    # by a carrier webhook gets its store id attached instead of becoming a second shipment.
    known_by_id = data.external_id and Shipment.objects.filter(store=order.store, external_id=data.external_id).exists()
    if known_by_id or not data.tracking_number:
        lookup = {"store": order.store, "external_id": data.external_id}
    else:
        # The same number under a carrier we had not recognised yet is the same parcel, not a new one.
        known = (
            Shipment.objects.filter(store=order.store, tracking_number=data.tracking_number)
            .filter(models.Q(carrier=carrier_code) | models.Q(carrier="") | models.Q(order=order))
            .values_list("carrier", flat=True)
            .first()
        )
        lookup = {
            "store": order.store,
            "carrier": carrier_code if known is None else known,
            "tracking_number": data.tracking_number,
        }
    history = data.historical or order.is_history
    shipment, created = lock_or_create(
        Shipment, lookup=lookup, defaults={"order": order, "status": ShipmentStatus.PENDING, "is_history": history}
    )
    values: dict[str, Any] = {
        "tracking_number": data.tracking_number or shipment.tracking_number,
        "carrier": carrier_code or shipment.carrier,
        "carrier_name": data.carrier_name or (carrier.name if carrier else "") or shipment.carrier_name,
        "tracking_url": data.tracking_url
        or (carrier.url_for(data.tracking_number) if carrier and data.tracking_number else "")
        or shipment.tracking_url,
        "shipped_at": shipment.shipped_at or data.shipped_at or timezone.now(),
        "estimated_delivery": data.estimated_delivery or shipment.estimated_delivery,
    }
    if data.external_id:
        values["external_id"] = data.external_id
    predicts = (created or values["carrier"] != shipment.carrier) and not shipment.is_history
    if predicts and not values["estimated_delivery"]:
        # No carrier estimate: our own, from the store's past deliveries (one query).
        values |= prediction_fields(
            store_id=order.store_id, order_id=order.pk, carrier=values["carrier"], shipped_at=values["shipped_at"]
        )
    changed = [name for name, value in values.items() if getattr(shipment, name) != value]
    for name in changed:
        setattr(shipment, name, values[name])
    if changed:
        shipment.save(update_fields=[*changed, "modified_at"])
    if created and not shipment.is_history:
        announce_after_commit(events.shipment_created, Shipment, shipment_id=shipment.pk)
    return shipment, created


@transaction.atomic
def shipment_record_events(*, shipment: Shipment, incoming: list[EventIn], pickup: PickupIn | None = None) -> int:
    """Store new carrier events (duplicates ignored) and move the shipment to what they say.

    Returns how many events were new. A late, older event never moves the shipment backwards. `pickup` is
    what the source says now about the pickup point (None: it says nothing); the caller hands it only
    with news at least as fresh as what the shipment shows.
    """
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    before = set(shipment.events.values_list("dedupe_key", flat=True))
    fresh = {event.dedupe_key: event for event in incoming if event.dedupe_key not in before}
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                store_id=shipment.store_id, shipment=shipment, dedupe_key=key, occurred_at=e.occurred_at,
                status=e.status, raw_status=e.raw_status[:100], source=e.source, message=e.message[:500],
                city=e.city[:120], region=e.region[:120], postal_code=e.postal_code[:20], country=e.country[:2],
            )
            for key, e in fresh.items()
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    # An estimate counts only from news at least as fresh as what we have: a late batch never rewinds it.
    newest_known = shipment.last_event_at
    estimate = next(
        (
            e.estimated_delivery
            for e in sorted(incoming, key=lambda e: e.occurred_at, reverse=True)
            if e.estimated_delivery and (newest_known is None or e.occurred_at >= newest_known)
        ),
        None,
    )
    _apply_events(shipment, estimate, pickup)
    if fresh:  # a late, older event changes the timeline without changing the shipment row
        announce_after_commit(events.events_added, Shipment, shipment_id=shipment.pk, order_id=shipment.order_id)
    return len(fresh)


def _apply_events(shipment: Shipment, estimate, pickup: PickupIn | None = None) -> None:
    rows = list(
        shipment.events.values_list("occurred_at", "status", "raw_status", "source", "country").order_by("occurred_at")
    )
    status, delivered_at, last_event_at = resolve_status((at, s) for at, s, *_ in rows)
    newest = next((row for row in reversed(rows) if row[1] == status), None)
    values = {
        "status": status,
        "delivered_at": delivered_at,
        "last_event_at": last_event_at,
        "raw_status": newest[2] if newest else shipment.raw_status,
        "status_source": newest[3] if newest else shipment.status_source,
    }
    if estimate:
        values["estimated_delivery"] = estimate
    if pickup is not None:
        values["pickup_location"] = pickup.location
        values["pickup_deadline"] = pickup.deadline
    predicts = status != shipment.status and status in PREDICTED_STATUSES and not shipment.is_history
    if predicts and not (estimate or shipment.estimated_delivery):
        # Our own delivery day, again from what the parcel has done so far (one query, on a change of status).
        values |= prediction_fields(
            store_id=shipment.store_id,
            order_id=shipment.order_id,
            carrier=shipment.carrier,
            shipped_at=shipment.shipped_at,
            origin=next((row[4] for row in rows if row[4]), ""),
        )
    previous = shipment.status
    changed = [name for name, value in values.items() if getattr(shipment, name) != value]
    if not changed:
        return
    for name in changed:
        setattr(shipment, name, values[name])
    shipment.save(update_fields=[*changed, "modified_at"])
    if status != previous and not shipment.is_history:
        announce_after_commit(
            events.shipment_status_changed, Shipment, shipment_id=shipment.pk, previous=previous, status=status
        )

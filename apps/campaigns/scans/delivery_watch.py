"""Shipments that stopped moving (no carrier event for N days) or are in trouble are flagged for the
merchant; when the apology flow is on, the buyer gets one apology (with a coupon while the step's monthly
budget lasts: see coupon_issue)."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus
from apps.stores.models import Store

from ..models import FlowKind, Message
from ..services import Planned
from .base import Scan, ScanResult, batches, register
from .steps import live_steps, schedule

QUIET_DAYS = 5  # no carrier news for this long while on the road counts as stuck
MOVING = (ShipmentStatus.INFO_RECEIVED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY)


def stuck(store: Store, now: datetime):
    quiet_since = now - timedelta(days=QUIET_DAYS)
    return Shipment.objects.filter(store=store).filter(
        Q(status__in=ATTENTION_STATUSES) | Q(status__in=MOVING, last_event_at__lt=quiet_since)
    )


def flag(store: Store, now: datetime) -> int:
    """Flag what is stuck and clear the flag of what moved again."""
    flagged = stuck(store, now).filter(delay_flagged_at__isnull=True).update(delay_flagged_at=now, modified_at=now)
    Shipment.objects.filter(store=store, delay_flagged_at__isnull=False).exclude(
        pk__in=stuck(store, now).values("pk")
    ).update(delay_flagged_at=None, modified_at=now)
    return flagged


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult(candidates=flag(store, now))
    for step in live_steps(store, FlowKind.DELIVERY_APOLOGY):
        shipments = (
            stuck(store, now)
            .exclude(order__email="")
            .filter(
                ~Exists(Message.objects.filter(step__flow__kind=FlowKind.DELIVERY_APOLOGY, shipment=OuterRef("pk")))
            )
        )
        for rows in batches(shipments, "order_id", "order__email", "order__customer_id"):
            result.messages += schedule(
                [
                    Planned(
                        step=step,
                        subject_key=f"shipment:{pk}",
                        email=email,
                        customer_id=customer_id,
                        order_id=order_id,
                        shipment_id=pk,
                        scheduled_for=now,
                        why="the parcel looks stuck",
                    )
                    for pk, order_id, email, customer_id in rows
                ]
            )
    return result


register(Scan("delivery_watch", scan, every_minutes=60))

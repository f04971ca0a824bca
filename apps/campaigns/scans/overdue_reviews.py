"""Orders delivered N days ago (the step's delay, default 7) with no NPS answer yet get the survey,
then one reminder. When delivery is never confirmed, N days after the carrier's expected date, or
after shipping plus the store's usual transit time. Never while a shipment is in trouble."""

from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import Exists, OuterRef, Q

from apps.orders.models import Order, OrderStatus
from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus
from apps.stores.models import Store

from ..models import FlowKind, Message, MessageStatus
from ..services import Planned
from .base import Scan, ScanResult, batches, register
from .steps import live_steps, schedule

LOOKBACK = timedelta(days=30)  # orders delivered longer ago than delay + this are not surveyed
USUAL_TRANSIT = timedelta(days=10)  # when a carrier never says "delivered" nor gives an estimate
WAITING = (
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.AVAILABLE_FOR_PICKUP,
    ShipmentStatus.INFO_RECEIVED,
    ShipmentStatus.PENDING,
    ShipmentStatus.UNKNOWN,
    ShipmentStatus.EXPIRED,
)


def arrived_by(store: Store, cutoff: datetime, oldest: datetime) -> Q:
    """Shipments of the order that count as arrived by `cutoff`: confirmed, or presumed."""
    confirmed = Q(status=ShipmentStatus.DELIVERED, delivered_at__lte=cutoff, delivered_at__gt=oldest)
    presumed_by_estimate = Q(
        status__in=WAITING, estimated_delivery__lte=cutoff.date(), estimated_delivery__gt=oldest.date()
    )
    presumed_by_transit = Q(
        status__in=WAITING,
        estimated_delivery__isnull=True,
        shipped_at__lte=cutoff - USUAL_TRANSIT,
        shipped_at__gt=oldest - USUAL_TRANSIT,
    )
    return confirmed | presumed_by_estimate | presumed_by_transit


def candidates(store: Store, step, now: datetime, survey_step=None):
    cutoff = now - timedelta(minutes=step.delay_minutes)
    oldest = cutoff - LOOKBACK
    nps_response = apps.get_model("feedback", "NpsResponse")
    shipments = Shipment.objects.filter(order=OuterRef("pk"))
    orders = (
        Order.objects.filter(store=store)
        .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
        .exclude(email="")
        .filter(Exists(shipments.filter(arrived_by(store, cutoff, oldest))))
        .filter(~Exists(shipments.filter(status__in=ATTENTION_STATUSES)))
        .filter(~Exists(shipments.exclude(arrived_by(store, cutoff, oldest - LOOKBACK))))
        .filter(~Exists(nps_response.objects.filter(order=OuterRef("pk"))))
        .filter(~Exists(Message.objects.filter(step=step, order=OuterRef("pk"))))
    )
    if survey_step is not None:  # the reminder follows a survey that went out
        orders = orders.filter(
            Exists(Message.objects.filter(step=survey_step, order=OuterRef("pk"), status=MessageStatus.SENT))
        )
    return orders


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult()
    steps = list(live_steps(store, FlowKind.NPS_SURVEY))
    for index, step in enumerate(steps):
        survey = steps[0] if index > 0 else None
        for rows in batches(candidates(store, step, now, survey), "email", "customer_id"):
            result.candidates += len(rows)
            result.messages += schedule(
                [
                    Planned(
                        step=step,
                        subject_key=f"order:{pk}",
                        email=email,
                        customer_id=customer_id,
                        order_id=pk,
                        scheduled_for=now,
                        why="delivered, no NPS answer yet",
                    )
                    for pk, email, customer_id in rows
                ]
            )
    return result


register(Scan("overdue_reviews", scan, every_minutes=60))

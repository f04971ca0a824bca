"""Orders delivered N days ago (the step's delay, default 7) with no NPS answer yet get the survey,
then one reminder. When delivery is never confirmed, N days after the carrier's expected date, or
after shipping plus the store's usual transit time. Never about an order cancelled or refunded, never
while a parcel is in trouble or was returned, only for deliveries in the present of the flow
(flows/nps_survey.py), and only within each step's send window."""

from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import CharField, DateTimeField, Exists, F, OuterRef, Q, Value

from apps.orders.models import Order, OrderStatus
from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus
from apps.stores.models import Store

from ..flows import definition_for, nps_survey
from ..models import FlowKind, Message, MessageStatus
from ..rules import policy_for
from ..selectors import RESURVEY_STEP_KEY
from ..services.messages import Planned
from . import set_based
from .base import Scan, ScanResult, batches, register
from .sql_text import text_of
from .steps import live_flow, live_steps, schedule

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


def arrived_by(cutoff: datetime, oldest: datetime) -> Q:
    """Shipments of the order that count as arrived in (oldest, cutoff]: confirmed, or presumed."""
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


def candidates(store: Store, step, now: datetime, *, flow, policy, survey_step=None):
    cutoff = now - timedelta(minutes=step.delay_minutes)
    # The delivery happened while the flow was live, and recently enough for this step to be useful.
    oldest = max(cutoff - definition_for(FlowKind.NPS_SURVEY).window(step), flow.live_since)
    nps_response = apps.get_model("feedback", "NpsResponse")
    shipments = Shipment.objects.filter(order=OuterRef("pk"))
    # A parcel we first heard of long after it was delivered (an import) is history.
    max_age = timedelta(hours=policy.history_max_age_hours)
    reported_late = Q(delivered_at__isnull=False, created_at__gt=F("delivered_at") + max_age)
    orders = (
        Order.objects.filter(store=store, is_history=False)
        .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
        .exclude(email="")
        .filter(Exists(shipments.filter(arrived_by(cutoff, oldest))))
        .filter(~Exists(shipments.filter(status__in=ATTENTION_STATUSES)))
        .filter(~Exists(shipments.filter(Q(is_history=True) | reported_late)))
        .filter(~Exists(shipments.exclude(arrived_by(cutoff, oldest - timedelta(days=30)))))
        .filter(~Exists(nps_response.objects.filter(order=OuterRef("pk"))))
        .filter(~Exists(Message.objects.filter(step=step, order=OuterRef("pk"))))
    )
    if survey_step is not None:  # the reminder follows a survey that went out
        orders = orders.filter(
            Exists(Message.objects.filter(step=survey_step, order=OuterRef("pk"), status=MessageStatus.SENT))
        )
    return orders


WHY = "delivered, no NPS answer yet"


def ledger_row(now: datetime) -> set_based.LedgerRow:
    """What each candidate order becomes in the ledger, in SQL (the row-by-row path below says it in Python)."""
    return set_based.LedgerRow(
        subject_key=text_of(nps_survey.subject_key, order_id="pk"),
        email=F("email"),
        customer_id=F("customer_id"),
        order_id=F("pk"),
        scheduled_for=Value(now, output_field=DateTimeField()),
        why=Value(WHY, output_field=CharField()),
    )


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult()
    flow = live_flow(store, FlowKind.NPS_SURVEY)
    if flow is None:
        return result
    policy = policy_for(store)
    steps = [step for step in live_steps(store, FlowKind.NPS_SURVEY) if step.key != RESURVEY_STEP_KEY]
    for index, step in enumerate(steps):
        survey = steps[0] if index > 0 else None
        found = candidates(store, step, now, flow=flow, policy=policy, survey_step=survey)
        if set_based.set_based():
            # The SELECT leaves out orders this step planned already: what it yields is what it inserts.
            inserted = set_based.insert(found, [set_based.StepPlan(step, ledger_row(now))])
            result.add(ScanResult(candidates=len(inserted), messages=len(inserted)))
            continue
        for rows in batches(found, "email", "customer_id"):
            result.candidates += len(rows)
            result.messages += schedule(
                [
                    Planned(
                        step=step,
                        subject_key=nps_survey.subject_key(order_id=pk),
                        email=email,
                        customer_id=customer_id,
                        order_id=pk,
                        scheduled_for=now,
                        why=WHY,
                    )
                    for pk, email, customer_id in rows
                ]
            )
    return result


register(Scan("overdue_reviews", scan, every_minutes=60))

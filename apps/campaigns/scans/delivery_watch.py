"""Parcels that stopped moving (no carrier news for N days while on the road) or have a problem are
flagged for the merchant. When the apology flow is on, the buyer of a recent parcel that is still on
its way gets one apology (flows/delivery_apology.py): never for a parcel delivered, returned or expired,
never for trouble that began before the flow was on or that we heard of long after it began."""

from datetime import datetime, timedelta

from django.db.models import CharField, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Value

from apps.shipments.models import ATTENTION_STATUSES, Shipment
from apps.stores.models import Store

from ..flows import definition_for, delivery_apology
from ..flows.delivery_apology import MOVING, QUIET_DAYS, RECENT, TROUBLED
from ..models import FlowKind, Message
from ..rules import policy_for
from ..services.messages import Planned
from . import set_based
from .base import Scan, ScanResult, batches, register
from .sql_text import text_of
from .steps import live_flow, live_steps, schedule

WHY = "the parcel looks stuck"


def stuck(store: Store, now: datetime):
    quiet_since = now - timedelta(days=QUIET_DAYS)
    return Shipment.objects.filter(store=store).filter(
        Q(status__in=ATTENTION_STATUSES) | Q(status__in=MOVING, last_event_at__lt=quiet_since)
    )


def flag(store: Store, now: datetime) -> int:
    """Flag what is stuck and clear the flag of what moved again (the merchant's attention list)."""
    flagged = stuck(store, now).filter(delay_flagged_at__isnull=True).update(delay_flagged_at=now, modified_at=now)
    Shipment.objects.filter(store=store, delay_flagged_at__isnull=False).exclude(
        pk__in=stuck(store, now).values("pk")
    ).update(delay_flagged_at=None, modified_at=now)
    return flagged


def apology_candidates(store: Store, step, now: datetime, *, flow, policy):
    """Parcels still on their way that got stuck, or hit a problem, in the present of the flow and
    within the apology's send window. The moment of the trouble: the problem's carrier event, or the
    last news plus the quiet days."""
    window = definition_for(FlowKind.DELIVERY_APOLOGY).window(step)
    max_age = timedelta(hours=policy.history_max_age_hours)
    trouble_at = ExpressionWrapper(F("last_event_at") + timedelta(days=QUIET_DAYS), output_field=DateTimeField())
    quiet = Q(status__in=MOVING, last_event_at__lt=now - timedelta(days=QUIET_DAYS))
    problem = Q(status__in=TROUBLED)
    return (
        Shipment.objects.filter(store=store, is_history=False, order__is_history=False)
        .filter(Q(shipped_at__gte=now - RECENT) | Q(shipped_at__isnull=True, created_at__gte=now - RECENT))
        .annotate(trouble_at=trouble_at)
        .filter(
            (quiet & Q(trouble_at__gte=max(flow.live_since, now - window)))
            | (problem & Q(last_event_at__gte=max(flow.live_since, now - window)))
        )
        .filter(
            (quiet & Q(created_at__lte=F("trouble_at") + max_age))
            | (problem & Q(created_at__lte=F("last_event_at") + max_age))
        )
        .exclude(order__email="")
        .filter(~Exists(Message.objects.filter(step__flow__kind=FlowKind.DELIVERY_APOLOGY, shipment=OuterRef("pk"))))
    )


def ledger_row(now: datetime) -> set_based.LedgerRow:
    """What each parcel to apologise for becomes in the ledger, in SQL (the row-by-row path says it in Python)."""
    return set_based.LedgerRow(
        subject_key=text_of(delivery_apology.subject_key, shipment_id="pk"),
        email=F("order__email"),
        customer_id=F("order__customer_id"),
        order_id=F("order_id"),
        shipment_id=F("pk"),
        scheduled_for=Value(now, output_field=DateTimeField()),
        why=Value(WHY, output_field=CharField()),
    )


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult(candidates=flag(store, now))
    flow = live_flow(store, FlowKind.DELIVERY_APOLOGY)
    if flow is None:
        return result
    policy = policy_for(store)
    for step in live_steps(store, FlowKind.DELIVERY_APOLOGY):
        shipments = apology_candidates(store, step, now, flow=flow, policy=policy)
        if set_based.set_based():
            # One statement per step, in turn: a parcel gets one apology, whichever step planned it first.
            result.messages += len(set_based.insert(shipments, [set_based.StepPlan(step, ledger_row(now))]))
            continue
        for rows in batches(shipments, "order_id", "order__email", "order__customer_id"):
            result.messages += schedule(
                [
                    Planned(
                        step=step,
                        subject_key=delivery_apology.subject_key(shipment_id=pk),
                        email=email,
                        customer_id=customer_id,
                        order_id=order_id,
                        shipment_id=pk,
                        scheduled_for=now,
                        why=WHY,
                    )
                    for pk, order_id, email, customer_id in rows
                ]
            )
    return result


register(Scan("delivery_watch", scan, every_minutes=60))

"""Customers past their lapse moment (last order + max(store threshold, twice their own rhythm)) enter
the win-back series: offer, values, farewell. An order ends it (re-checked at every send); the farewell
ends marketing for customers who never engaged."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef

from apps.customers.models import Customer
from apps.stores.models import Store

from ..models import FlowKind, Message
from ..services import Planned
from .base import Scan, ScanResult, batches, register
from .steps import live_steps, schedule

LOOKBACK = timedelta(days=60)  # lapsed longer ago than this before the flow existed: not chased


def candidates(store: Store, first_step, now: datetime):
    this_lapse = Message.objects.filter(
        step=first_step, customer=OuterRef("pk"), created_at__gte=OuterRef("last_order_at")
    )
    return Customer.objects.filter(
        store=store,
        lapse_due_at__lte=now,
        lapse_due_at__gt=now - LOOKBACK,
        marketing_consent=True,
        suppressed_at__isnull=True,
    ).filter(~Exists(this_lapse))


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult()
    steps = list(live_steps(store, FlowKind.WIN_BACK))
    if not steps:
        return result
    for rows in batches(candidates(store, steps[0], now), "email", "last_order_at", "rfm_segment"):
        result.candidates += len(rows)
        planned = []
        for pk, email, last_order_at, segment in rows:
            lapse = f"lapse:{pk}:{last_order_at:%Y%m%d}"
            for step in steps:
                planned.append(
                    Planned(
                        step=step,
                        subject_key=lapse,
                        email=email,
                        customer_id=pk,
                        scheduled_for=now + timedelta(minutes=step.delay_minutes),
                        why=f"no order since {last_order_at:%Y-%m-%d} ({segment or 'unscored'})",
                    )
                )
        result.messages += schedule(planned)
    return result


register(Scan("lapsed_customers", scan, daily=True, local_hour=11))

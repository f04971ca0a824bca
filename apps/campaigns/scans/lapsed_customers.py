"""Customers past their lapse moment (last order + max(store threshold, twice their own rhythm)) enter
the win-back series (flows/win_back.py): the offer written for who they are, then values, then the
farewell. Only lapses in the present of the flow and no older than the store's look-back; an order
ends it (re-checked at every send); the farewell ends marketing for customers who never engaged."""

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef

from apps.customers.models import Customer
from apps.stores.models import Store

from ..flows import win_back
from ..models import FlowKind, Message
from ..rules import policy_for
from ..services import Planned
from .base import Scan, ScanResult, batches, register
from .steps import live_flow, live_steps, schedule


def candidates(store: Store, first_steps, now: datetime, *, flow, policy):
    this_lapse = Message.objects.filter(
        step__in=first_steps, customer=OuterRef("pk"), created_at__gte=OuterRef("last_order_at")
    )
    oldest = max(now - timedelta(days=policy.lapse_lookback_days), flow.live_since)
    return Customer.objects.filter(
        store=store,
        lapse_due_at__lte=now,
        lapse_due_at__gte=oldest,
        # a customer we first heard of after they had lapsed (an import) is history
        created_at__lte=F("lapse_due_at") + timedelta(hours=policy.history_max_age_hours),
        marketing_consent=True,
        suppressed_at__isnull=True,
    ).filter(~Exists(this_lapse))


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult()
    flow = live_flow(store, FlowKind.WIN_BACK)
    steps = list(live_steps(store, FlowKind.WIN_BACK))
    if flow is None or not steps:
        return result
    first_steps = [step for step in steps if step.delay_minutes == steps[0].delay_minutes]
    found = candidates(store, first_steps, now, flow=flow, policy=policy_for(store))
    fields = ("email", "last_order_at", "rfm_segment", "rfm_top_percent", "orders_count")
    for rows in batches(found, *fields):
        result.candidates += len(rows)
        planned = []
        for pk, email, last_order_at, segment, top_percent, orders_count in rows:
            who = win_back.audience(top_percent=top_percent, segment=segment, orders_count=orders_count)
            lapse = win_back.subject_key(customer_id=pk, last_order_at=last_order_at)
            why = f"no order since {last_order_at:%Y-%m-%d} ({segment or 'unscored'}, {win_back.AUDIENCES[who]})"
            for step in steps:
                if not win_back.step_is_for(step, who):
                    continue
                planned.append(
                    Planned(
                        step=step,
                        subject_key=lapse,
                        email=email,
                        customer_id=pk,
                        scheduled_for=now + timedelta(minutes=step.delay_minutes),
                        why=why,
                    )
                )
        result.messages += schedule(planned)
    return result


register(Scan("lapsed_customers", scan, daily=True, local_hour=11))

"""Customers past their lapse moment (last order + max(store threshold, twice their own rhythm)) enter
the win-back series (flows/win_back.py): the offer written for who they are, then values, then the
farewell. Only lapses in the present of the flow and no older than the store's look-back; an order
ends it (re-checked at every send); the farewell ends marketing for customers who never engaged."""

from datetime import datetime, timedelta

from django.db.models import CharField, DateTimeField, Exists, F, OuterRef, Value
from django.db.models.functions import Coalesce, NullIf

from apps.customers.models import Customer
from apps.stores.models import Store

from ..flows import win_back
from ..models import FlowKind, Message
from ..rules import policy_for
from ..services.messages import Planned
from . import set_based
from .base import Scan, ScanResult, batches, register
from .sql_text import text_of
from .steps import live_flow, live_steps, schedule

UNSCORED = "unscored"


def candidates(store: Store, first_steps, now: datetime, *, flow, policy):
    this_lapse = Message.objects.filter(
        step__in=first_steps, customer=OuterRef("pk"), created_at__gte=OuterRef("last_order_at")
    )
    oldest = max(now - timedelta(days=policy.lapse_lookback_days), flow.live_since)
    return Customer.objects.filter(
        store=store,
        last_order_at__isnull=False,
        lapse_due_at__lte=now,
        lapse_due_at__gte=oldest,
        # a customer we first heard of after they had lapsed (an import) is history
        created_at__lte=F("lapse_due_at") + timedelta(hours=policy.history_max_age_hours),
        marketing_consent=True,
        suppressed_at__isnull=True,
    ).filter(~Exists(this_lapse))


def why(*, last_order_at, segment, audience) -> str:
    return f"no order since {last_order_at:%Y-%m-%d} ({segment}, {audience})"


def ledger_row(step, now: datetime) -> set_based.LedgerRow:
    """What each lapsed customer becomes in the ledger for `step`, in SQL (the row-by-row path says it in Python)."""
    audience = win_back.audience_case(labels=win_back.AUDIENCES)
    segment = Coalesce(NullIf(F("rfm_segment"), Value("")), Value(UNSCORED), output_field=CharField())
    return set_based.LedgerRow(
        subject_key=text_of(win_back.subject_key, customer_id="pk", last_order_at="last_order_at"),
        email=F("email"),
        customer_id=F("pk"),
        scheduled_for=Value(now + timedelta(minutes=step.delay_minutes), output_field=DateTimeField()),
        why=text_of(why, last_order_at="last_order_at", segment=segment, audience=audience),
    )


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult()
    flow = live_flow(store, FlowKind.WIN_BACK)
    steps = list(live_steps(store, FlowKind.WIN_BACK))
    if flow is None or not steps:
        return result
    first_steps = [step for step in steps if step.delay_minutes == steps[0].delay_minutes]
    found = candidates(store, first_steps, now, flow=flow, policy=policy_for(store))
    if set_based.set_based():
        # Every step in one statement: each sees the ledger as it was before this run (a first step planned
        # now would otherwise hide its customers from the steps after it).
        plans = []
        for step in steps:
            wanted = (step.conditions or {}).get("audience")  # win_back.step_is_for, as a condition
            only = win_back.audience_q(wanted) if wanted else None
            plans.append(set_based.StepPlan(step, ledger_row(step, now), only))
        inserted = set_based.insert(found, plans)
        # Candidates: the lapses that entered the series (one subject key per customer and lapse).
        return ScanResult(candidates=len({key for _pk, key in inserted}), messages=len(inserted))
    fields = ("email", "last_order_at", "rfm_segment", "rfm_top_percent", "orders_count")
    for rows in batches(found, *fields):
        result.candidates += len(rows)
        planned = []
        for pk, email, last_order_at, segment, top_percent, orders_count in rows:
            who = win_back.audience(top_percent=top_percent, segment=segment, orders_count=orders_count)
            lapse = win_back.subject_key(customer_id=pk, last_order_at=last_order_at)
            reason = why(last_order_at=last_order_at, segment=segment or UNSCORED, audience=win_back.AUDIENCES[who])
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
                        why=reason,
                    )
                )
        result.messages += schedule(planned)
    return result


register(Scan("lapsed_customers", scan, daily=True, local_hour=11))

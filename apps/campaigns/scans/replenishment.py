"""A reminder a few days before a consumable should run out, predicted from the product's interval
(the merchant's, or learned from repeat purchases); never about a cancelled or refunded order or one
imported as history, only for run-outs in the present of the flow and within the step's send window,
and skipped when the customer already reordered (flows/replenishment.py)."""

from datetime import datetime

from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)

from apps.orders.intervals import MIN_OBSERVATIONS, intervals_learn
from apps.orders.models import OrderLine, OrderStatus
from apps.stores.models import Store

from ..flows import definition_for, present_q, replenishment
from ..flows.replenishment import LEAD_DAYS
from ..models import FlowKind, Message
from ..rules import policy_for
from ..services.messages import Planned
from . import set_based
from .base import Scan, ScanResult, batches, register
from .sql_text import text_of
from .steps import live_flow, live_steps, schedule

WITHDRAWN = [OrderStatus.CANCELLED, OrderStatus.REFUNDED]


class Days(Func):
    """A whole number of days as a duration, per row (Django multiplies durations by constants only)."""

    output_field = DurationField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="make_interval(days => %(expressions)s)", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):  # durations are microseconds there
        return self.as_sql(compiler, connection, template="((%(expressions)s) * 86400000000)", **extra_context)


def interval_days(product: str = "product__") -> Case:
    """`apps.orders.intervals.interval_days` of the row's product, in SQL: the merchant's interval when set,
    else the learned one once it rests on enough repeats (test_scan_sql_agrees holds the two together)."""
    return Case(
        When(Q(**{f"{product}replenishment_days__gt": 0}), then=F(f"{product}replenishment_days")),
        When(
            Q(**{f"{product}learned_interval_days__gt": 0, f"{product}learned_observations__gte": MIN_OBSERVATIONS}),
            then=F(f"{product}learned_interval_days"),
        ),
        default=None,
        output_field=IntegerField(),
    )


def candidates(store: Store, now: datetime, *, step, flow, policy):
    """Lines of products in stock whose reminder moment (placed + the product's days - lead) lies in the step's
    window before now, in the present of the flow (after it went live, not long before we heard of the order),
    not reordered since and not planned by this step yet."""
    window = definition_for(FlowKind.REPLENISHMENT).window(step)
    later = OrderLine.objects.filter(
        product=OuterRef("product_id"),
        order__customer_id=OuterRef("order__customer_id"),
        order__placed_at__gt=OuterRef("order__placed_at"),
    ).exclude(order__status=OrderStatus.CANCELLED)
    lines = (
        OrderLine.objects.filter(
            store=store,
            product__isnull=False,
            product__in_stock=True,
            order__customer__isnull=False,
            order__customer__marketing_consent=True,
            order__customer__suppressed_at__isnull=True,
        )
        .exclude(order__status__in=WITHDRAWN)
        .annotate(lasts_days=interval_days())
        .filter(lasts_days__gt=LEAD_DAYS)
        .annotate(
            remind_at=ExpressionWrapper(  # flows/replenishment.run_out_reminder_at
                F("order__placed_at") + Days(F("lasts_days") - LEAD_DAYS),
                output_field=DateTimeField(),
            ),
            customer_id=F("order__customer_id"),
            email=F("order__customer__email"),
            reminder_key=text_of(
                replenishment.subject_key,
                customer_id="order__customer_id",
                product_id="product_id",
                order_id="order_id",
            ),
        )
        .filter(remind_at__lte=now, remind_at__gte=now - window)
        .filter(
            present_q(
                flow=flow, policy=policy, moment="remind_at", known="order__created_at", history=["order__is_history"]
            )
        )
        .filter(~Exists(later))
        .filter(~Exists(Message.objects.filter(step=step, subject_key=OuterRef("reminder_key"))))
    )
    return lines


def why(*, product_name, days) -> str:
    return f"{product_name} lasts about {days} days"


def ledger_row(now: datetime) -> set_based.LedgerRow:
    """What each candidate line becomes in the ledger, in SQL (the row-by-row path below says it in Python)."""
    return set_based.LedgerRow(
        subject_key=F("reminder_key"),
        email=F("email"),
        customer_id=F("customer_id"),
        order_id=F("order_id"),
        product_id=F("product_id"),
        scheduled_for=Value(now, output_field=DateTimeField()),
        why=text_of(why, product_name="product__name", days="lasts_days"),
    )


def scan(store: Store, now: datetime) -> ScanResult:
    intervals_learn(store=store)
    result = ScanResult()
    flow = live_flow(store, FlowKind.REPLENISHMENT)
    steps = list(live_steps(store, FlowKind.REPLENISHMENT))
    if flow is None or not steps:
        return result
    policy = policy_for(store)
    for step in steps:
        found = candidates(store, now, step=step, flow=flow, policy=policy)
        if set_based.set_based():
            # The SELECT leaves out reminders this step planned already: what it yields is what it inserts
            # (two lines of one product in one order are one reminder).
            inserted = set_based.insert(found, [set_based.StepPlan(step, ledger_row(now))])
            result.add(ScanResult(candidates=len(inserted), messages=len(inserted)))
            continue
        for rows in batches(found, "order_id", "customer_id", "email", "product_id", "product__name", "lasts_days"):
            result.candidates += len(rows)
            result.messages += schedule(
                [
                    Planned(
                        step=step,
                        subject_key=replenishment.subject_key(
                            customer_id=customer_id, product_id=product_id, order_id=order_id
                        ),
                        email=email,
                        customer_id=customer_id,
                        order_id=order_id,
                        product_id=product_id,
                        scheduled_for=now,
                        why=why(product_name=name, days=days),
                    )
                    for _pk, order_id, customer_id, email, product_id, name, days in rows
                ]
            )
    return result


register(Scan("replenishment", scan, daily=True, local_hour=10))

"""A reminder a few days before a consumable should run out, predicted from the product's interval
(the merchant's, or learned from repeat purchases); never about a cancelled or refunded order or one
imported as history, only for run-outs in the present of the flow and within the step's send window,
and skipped when the customer already reordered (flows/replenishment.py)."""

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef

from apps.orders.intervals import interval_days, intervals_learn
from apps.orders.models import OrderLine, OrderStatus, Product
from apps.stores.models import Store

from ..flows import definition_for, replenishment
from ..flows.replenishment import LEAD_DAYS
from ..models import FlowKind
from ..rules import policy_for
from ..services import Planned
from .base import Scan, ScanResult, batches, register
from .steps import live_flow, live_steps, schedule

WITHDRAWN = [OrderStatus.CANCELLED, OrderStatus.REFUNDED]


def candidates(store: Store, product: Product, days: int, now: datetime, *, step, flow, policy):
    """Lines whose reminder moment (placed + days - lead) lies in the step's window before now, after
    the flow went live, and not long before we heard of the order."""
    ahead = timedelta(days=days - LEAD_DAYS)
    window = definition_for(FlowKind.REPLENISHMENT).window(step)
    due_until = now - ahead
    earliest = max(due_until - window, flow.live_since - ahead)
    max_age = timedelta(hours=policy.history_max_age_hours)
    later = OrderLine.objects.filter(
        product=product,
        order__customer_id=OuterRef("order__customer_id"),
        order__placed_at__gt=OuterRef("order__placed_at"),
    ).exclude(order__status=OrderStatus.CANCELLED)
    return (
        OrderLine.objects.filter(
            store=store,
            product=product,
            order__customer__isnull=False,
            order__is_history=False,
            order__placed_at__lte=due_until,
            order__placed_at__gte=earliest,
            order__created_at__lte=F("order__placed_at") + ahead + max_age,
            order__customer__marketing_consent=True,
            order__customer__suppressed_at__isnull=True,
        )
        .exclude(order__status__in=WITHDRAWN)
        .filter(~Exists(later))
        .annotate(customer_id=F("order__customer_id"), email=F("order__customer__email"))
    )


def scan(store: Store, now: datetime) -> ScanResult:
    intervals_learn(store=store)
    result = ScanResult()
    flow = live_flow(store, FlowKind.REPLENISHMENT)
    steps = list(live_steps(store, FlowKind.REPLENISHMENT))
    if flow is None or not steps:
        return result
    policy = policy_for(store)
    for product in Product.objects.filter(store=store, in_stock=True):
        days = interval_days(product)
        if not days or days <= LEAD_DAYS:
            continue
        for step in steps:
            found = candidates(store, product, days, now, step=step, flow=flow, policy=policy)
            for rows in batches(found, "order_id", "customer_id", "email"):
                result.candidates += len(rows)
                result.messages += schedule(
                    [
                        Planned(
                            step=step,
                            subject_key=replenishment.subject_key(
                                customer_id=customer_id, product_id=product.pk, order_id=order_id
                            ),
                            email=email,
                            customer_id=customer_id,
                            order_id=order_id,
                            product_id=product.pk,
                            scheduled_for=now,
                            why=f"{product.name} lasts about {days} days",
                        )
                        for _pk, order_id, customer_id, email in rows
                    ]
                )
    return result


register(Scan("replenishment", scan, daily=True, local_hour=10))

"""Replenishment: a few days before a consumable should run out, predicted from the product's interval;
planned by the `replenishment` scan, never about a cancelled or refunded order, stopped by a reorder."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Q

from apps.orders.intervals import interval_days
from apps.orders.models import OrderLine, OrderStatus, Product

from ..models import FlowKind
from .base import DAY, MAX_TRIGGERS, FlowDefinition, StepSpec, Trigger, order_withdrawn, ordered_since_trigger

LEAD_DAYS = 3  # remind this many days before the predicted run-out


def subject_key(*, customer_id: int, product_id: int, order_id: int) -> str:
    return f"replenish:{customer_id}:{product_id}:{order_id}"


def run_out_reminder_at(placed_at, days: int):
    return placed_at + timedelta(days=days - LEAD_DAYS)


def triggers(store, since, until):
    """The reminders due between `since` and `until`: lines whose product's interval puts their run-out there.
    Each product asks for the orders placed in the window moved back by its interval, so the newest orders of
    a busy store (whose bags are still full) do not crowd out the ones that matter."""
    intervals = {}
    for product in Product.objects.filter(store=store):
        days = interval_days(product)
        if days and days > LEAD_DAYS:
            intervals[product.pk] = days
    if not intervals:
        return []
    # One condition per interval, not per product: a catalogue of thousands shares a handful of intervals.
    products_by_days = defaultdict(list)
    for product_id, days in intervals.items():
        products_by_days[days].append(product_id)
    placed_when_due = Q()
    for days, product_ids in products_by_days.items():
        ahead = timedelta(days=days - LEAD_DAYS)
        placed_when_due |= Q(
            product_id__in=product_ids, order__placed_at__gte=since - ahead, order__placed_at__lt=until - ahead
        )
    # All of them at once too, so the orders' (store, placed_at) index reads them newest first.
    longest, shortest = (
        timedelta(days=days - LEAD_DAYS) for days in (max(intervals.values()), min(intervals.values()))
    )
    placed_any_when = Q(
        order__store=store, order__placed_at__gte=since - longest, order__placed_at__lt=until - shortest
    )
    lines = (
        OrderLine.objects.filter(placed_when_due, placed_any_when, store=store, order__customer__isnull=False)
        .exclude(order__status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
        .select_related("product", "order__customer")
        .order_by("-order__placed_at")
    )
    found = []
    for line in lines[: MAX_TRIGGERS * 5]:
        days = intervals[line.product_id]
        order = line.order
        at = run_out_reminder_at(order.placed_at, days)
        if since <= at < until:
            key = subject_key(customer_id=order.customer_id, product_id=line.product_id, order_id=order.pk)
            found.append(
                Trigger(
                    at,
                    order.customer.email,
                    f"{line.product.name} ({order.number})",
                    key,
                    f"{line.product.name} lasts about {days} days",
                    is_history=order.is_history,
                    customer=order.customer,
                    order=order,
                )
            )
    found.sort(key=lambda trigger: trigger.at, reverse=True)  # the most recent, as the other flows replay
    return found[:MAX_TRIGGERS]


DEFINITION = FlowDefinition(
    kind=FlowKind.REPLENISHMENT,
    name="Replenishment reminder",
    priority=50,
    steps=(StepSpec("running-low", send_window_minutes=7 * DAY, conditions={"exit_on_order": True}),),
    trigger="a product a buyer bought is about to run out",
    blocks=("recommendations",),
    category="wants_offers",
    scan="replenishment",
    exits=(order_withdrawn, ordered_since_trigger),
    simulate=triggers,
)

"""Replenishment: a few days before a consumable should run out, predicted from the product's interval;
planned by the `replenishment` scan, never about a cancelled or refunded order, stopped by a reorder."""

from datetime import timedelta

from apps.orders.intervals import interval_days
from apps.orders.models import OrderLine, OrderStatus

from ..models import FlowKind
from .base import DAY, MAX_TRIGGERS, FlowDefinition, StepSpec, Trigger, order_withdrawn, ordered_since_trigger

LEAD_DAYS = 3  # remind this many days before the predicted run-out


def subject_key(*, customer_id: int, product_id: int, order_id: int) -> str:
    return f"replenish:{customer_id}:{product_id}:{order_id}"


def run_out_reminder_at(placed_at, days: int):
    return placed_at + timedelta(days=days - LEAD_DAYS)


def triggers(store, since, until):
    lines = (
        OrderLine.objects.filter(store=store, product__isnull=False, order__customer__isnull=False)
        .filter(order__placed_at__gte=since - timedelta(days=400), order__placed_at__lt=until)
        .exclude(order__status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
        .select_related("product", "order__customer")
        .order_by("-order__placed_at")
    )
    found = []
    for line in lines[: MAX_TRIGGERS * 5]:
        days = interval_days(line.product)
        if not days or days <= LEAD_DAYS:
            continue
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

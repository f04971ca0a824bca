"""A reminder a few days before a consumable should run out, predicted from the product's interval
(the merchant's, or learned from repeat purchases); skipped when the customer already reordered."""

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef

from apps.orders.intervals import interval_days, intervals_learn
from apps.orders.models import OrderLine, OrderStatus, Product
from apps.stores.models import Store

from ..models import FlowKind
from ..services import Planned
from .base import Scan, ScanResult, batches, register
from .steps import live_steps, schedule

LEAD_DAYS = 3  # remind this many days before the predicted run-out
LATE_DAYS = 14  # a reminder that would be this late is not sent at all


def candidates(store: Store, product: Product, days: int, now: datetime):
    due_until = now - timedelta(days=days - LEAD_DAYS)
    later = OrderLine.objects.filter(
        product=product,
        order__customer_id=OuterRef("order__customer_id"),
        order__placed_at__gt=OuterRef("order__placed_at"),
    ).exclude(order__status=OrderStatus.CANCELLED)
    return (
        OrderLine.objects.filter(
            store=store, product=product, order__customer__isnull=False,
            order__placed_at__lte=due_until, order__placed_at__gt=due_until - timedelta(days=LATE_DAYS),
            order__customer__marketing_consent=True, order__customer__suppressed_at__isnull=True,
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .filter(~Exists(later))
        .annotate(customer_id=F("order__customer_id"), email=F("order__customer__email"))
    )  # fmt: skip


def scan(store: Store, now: datetime) -> ScanResult:
    intervals_learn(store=store)
    result = ScanResult()
    steps = list(live_steps(store, FlowKind.REPLENISHMENT))
    if not steps:
        return result
    for product in Product.objects.filter(store=store, in_stock=True):
        days = interval_days(product)
        if not days or days <= LEAD_DAYS:
            continue
        for step in steps:
            for rows in batches(candidates(store, product, days, now), "order_id", "customer_id", "email"):
                result.candidates += len(rows)
                result.messages += schedule([
                    Planned(step=step, subject_key=f"replenish:{customer_id}:{product.pk}:{order_id}", email=email,
                            customer_id=customer_id, order_id=order_id, product_id=product.pk, scheduled_for=now,
                            why=f"{product.name} lasts about {days} days")
                    for _pk, order_id, customer_id, email in rows
                ])  # fmt: skip
    return result


register(Scan("replenishment", scan, daily=True, local_hour=10))

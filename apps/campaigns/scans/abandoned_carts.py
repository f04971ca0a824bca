"""Carts left with an email and lines, idle past each step's delay, not converted and not followed by
an order from the same email. Exits are checked again when each email is sent."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef

from apps.orders.models import Cart, CartLine, Order, OrderStatus
from apps.stores.models import Store

from ..models import FlowKind, Message
from ..services import Planned
from .base import Scan, ScanResult, batches, register
from .steps import live_steps, schedule

# A cart idle this much longer than a step's delay is too old to chase (e.g. on the first run).
LOOKBACK = timedelta(days=7)


def candidates(store: Store, step, now: datetime):
    delay = timedelta(minutes=step.delay_minutes)
    return (
        Cart.objects.filter(
            store=store,
            converted_order__isnull=True,
            updated_at__lte=now - delay,
            updated_at__gt=now - delay - LOOKBACK,
        )
        .exclude(email="")
        .filter(Exists(CartLine.objects.filter(cart=OuterRef("pk"))))
        .filter(~Exists(Message.objects.filter(step=step, cart=OuterRef("pk"))))
        .filter(
            ~Exists(
                Order.objects.filter(
                    store=store, email=OuterRef("email"), placed_at__gte=OuterRef("updated_at")
                ).exclude(status=OrderStatus.CANCELLED)
            )
        )
    )


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult()
    for step in live_steps(store, FlowKind.ABANDONED_CART):
        delay = timedelta(minutes=step.delay_minutes)
        for rows in batches(candidates(store, step, now), "email", "customer_id", "updated_at"):
            result.candidates += len(rows)
            result.messages += schedule(
                [
                    Planned(
                        step=step,
                        subject_key=f"cart:{pk}",
                        email=email,
                        customer_id=customer_id,
                        cart_id=pk,
                        scheduled_for=updated_at + delay,
                        why=f"cart idle since {updated_at:%Y-%m-%d %H:%M}",
                    )
                    for pk, email, customer_id, updated_at in rows
                ]
            )
    return result


register(Scan("abandoned_carts", scan, every_minutes=5))

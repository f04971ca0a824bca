"""Carts left with an email and lines, idle past each step's delay and still within its send window,
not converted and not followed by an order from the same buyer (by address or customer). The flow's
definition (flows/abandoned_cart.py) says what is the present and re-checks the exits at send time."""

from datetime import datetime, timedelta

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef

from apps.orders.models import Cart, CartLine, Order, OrderStatus
from apps.stores.models import Store

from ..flows import abandoned_cart, definition_for, present_q
from ..models import FlowKind, Message
from ..rules import policy_for
from ..services.messages import Planned
from . import set_based
from .base import Scan, ScanResult, batches, register
from .sql_text import text_of
from .steps import live_flow, live_steps, schedule


def why(*, updated_at) -> str:
    return f"cart idle since {updated_at:%Y-%m-%d %H:%M}"


def ledger_row(step) -> set_based.LedgerRow:
    """What each candidate cart becomes in the ledger, in SQL (the row-by-row path below says it in Python)."""
    delay = timedelta(minutes=step.delay_minutes)
    return set_based.LedgerRow(
        subject_key=text_of(abandoned_cart.subject_key, cart_id="pk"),
        email=F("email"),
        customer_id=F("customer_id"),
        cart_id=F("pk"),
        scheduled_for=ExpressionWrapper(F("updated_at") + delay, output_field=DateTimeField()),
        why=text_of(why, updated_at="updated_at"),
    )


def candidates(store: Store, step, now: datetime, *, flow, policy):
    delay = timedelta(minutes=step.delay_minutes)
    window = definition_for(FlowKind.ABANDONED_CART).window(step)
    ordered_since = Order.objects.filter(store=store, placed_at__gt=OuterRef("updated_at")).exclude(
        status=OrderStatus.CANCELLED
    )
    return (
        Cart.objects.filter(
            store=store,
            converted_order__isnull=True,
            updated_at__lte=now - delay,
            updated_at__gte=now - delay - window,  # past the window the email would only be late
        )
        .filter(present_q(flow=flow, policy=policy, moment="updated_at", known="created_at", history=["is_history"]))
        .exclude(email="")
        .filter(Exists(CartLine.objects.filter(cart=OuterRef("pk"))))
        .filter(~Exists(Message.objects.filter(step=step, cart=OuterRef("pk"))))
        .filter(~Exists(ordered_since.filter(email=OuterRef("email"))))
        .filter(~Exists(ordered_since.filter(customer_id=OuterRef("customer_id"))))
    )


def scan(store: Store, now: datetime) -> ScanResult:
    result = ScanResult()
    flow = live_flow(store, FlowKind.ABANDONED_CART)
    if flow is None:
        return result
    policy = policy_for(store)
    for step in live_steps(store, FlowKind.ABANDONED_CART):
        found = candidates(store, step, now, flow=flow, policy=policy)
        if set_based.set_based():
            # The SELECT leaves out carts this step planned already: what it yields is what it inserts.
            inserted = set_based.insert(found, [set_based.StepPlan(step, ledger_row(step))])
            result.add(ScanResult(candidates=len(inserted), messages=len(inserted)))
            continue
        delay = timedelta(minutes=step.delay_minutes)
        for rows in batches(found, "email", "customer_id", "updated_at"):
            result.candidates += len(rows)
            result.messages += schedule(
                [
                    Planned(
                        step=step,
                        subject_key=abandoned_cart.subject_key(cart_id=pk),
                        email=email,
                        customer_id=customer_id,
                        cart_id=pk,
                        scheduled_for=updated_at + delay,
                        why=why(updated_at=updated_at),
                    )
                    for pk, email, customer_id, updated_at in rows
                ]
            )
    return result


register(Scan("abandoned_carts", scan, every_minutes=5))

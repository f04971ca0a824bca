"""Abandoned cart: 1 h, 24 h and 72 h (with a coupon) after the buyer left a checkout with an address and
lines; planned by the `abandoned_carts` scan; each email only while it is still useful, and never once
the buyer ordered."""

from django.db.models import Exists, OuterRef

from apps.orders.models import Cart, CartLine

from ..decisions import SKIP, Decision
from ..models import FlowKind, IncentiveKind
from .base import DAY, HOUR, MAX_TRIGGERS, FlowDefinition, StepSpec, Trigger

EXIT_ON_ORDER = {"exit_on_order": True}


def subject_key(*, cart_id: int) -> str:
    return f"cart:{cart_id}"


def cart_done(message, world, at):
    cart = message.cart
    if cart is None:
        return None
    if world.cart_converted_by(cart, at):
        return Decision(SKIP, "exit_on_order", "the cart became an order")
    if world.ordered_between(
        store_id=message.store_id, email=cart.email, customer_id=cart.customer_id, start=cart.updated_at, end=at
    ):
        return Decision(SKIP, "exit_on_order", "the buyer ordered after leaving the cart")
    return None


def triggers(store, since, until):
    carts = (
        Cart.objects.filter(store=store, updated_at__gte=since, updated_at__lt=until)
        .exclude(email="")
        .filter(Exists(CartLine.objects.filter(cart=OuterRef("pk"))))
        .select_related("customer")
        .order_by("-updated_at")
    )
    for cart in carts[:MAX_TRIGGERS]:
        yield Trigger(
            cart.updated_at,
            cart.email,
            f"cart {cart.external_id}",
            subject_key(cart_id=cart.pk),
            f"cart idle since {cart.updated_at:%Y-%m-%d %H:%M}",
            known_at=cart.created_at,
            is_history=cart.is_history,
            customer=cart.customer,
            cart=cart,
        )


DEFINITION = FlowDefinition(
    kind=FlowKind.ABANDONED_CART,
    name="Abandoned cart",
    priority=20,
    steps=(
        StepSpec("reminder-1h", delay_minutes=1 * HOUR, send_window_minutes=12 * HOUR, conditions=EXIT_ON_ORDER),
        StepSpec("help-24h", delay_minutes=24 * HOUR, send_window_minutes=DAY, conditions=EXIT_ON_ORDER),
        StepSpec(
            "coupon-72h",
            delay_minutes=72 * HOUR,
            send_window_minutes=2 * DAY,
            conditions=EXIT_ON_ORDER,
            incentive_kind=IncentiveKind.PERCENT,
            incentive_value=10,
            incentive_valid_days=3,
        ),
    ),
    trigger="a buyer leaves a checkout with their address and items in it",
    blocks=("cart_lines", "coupon"),
    category="wants_offers",
    scan="abandoned_carts",
    sequential=True,
    exits=(cart_done,),
    simulate=triggers,
)

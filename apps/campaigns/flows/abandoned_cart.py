"""Abandoned cart: 1 h, 24 h and 72 h (with a coupon) after the buyer left a checkout with an address and
lines; planned by the `abandoned_carts` scan; each email only while it is still useful, and never once
the buyer ordered.

The first two emails ask why the buyer left (one tap, confirmed on a page: see feedback.views.cart_reason);
a later step follows the answer as its settings say (`conditions["on_reason"]`): a free-shipping code for
"the shipping cost", no code for "just looking", or no email at all."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from apps.orders.models import Cart, CartLine

from ..decisions import SKIP, Decision
from ..models import FlowKind, IncentiveKind
from .base import DAY, HOUR, MAX_TRIGGERS, FlowDefinition, StepSpec, Trigger

EXIT_ON_ORDER = {"exit_on_order": True}
ON_REASON = "on_reason"  # the step's conditions key: {reason: action}


class ReasonAction:
    """What a step does for a buyer who gave a reason. Anything not listed goes as planned."""

    AS_PLANNED = ""
    FREE_SHIPPING = "free_shipping"
    NO_COUPON = "no_coupon"
    SKIP = "skip"

    CHOICES = (
        (AS_PLANNED, _("As planned")),
        (FREE_SHIPPING, _("Offer free shipping instead")),
        (NO_COUPON, _("Send it without a coupon")),
        (SKIP, _("Do not send it")),
    )
    VALUES = frozenset(value for value, _label in CHOICES)


# A new store's 72 h offer: free shipping to those it stopped, nothing to give away to the merely curious.
COUPON_STEP_ON_REASON = {"shipping_cost": ReasonAction.FREE_SHIPPING, "just_looking": ReasonAction.NO_COUPON}


def reason_action(step, cart) -> str:
    """What this step does for this cart, given the buyer's answer (none yet: as planned)."""
    if cart is None or not cart.leave_reason:
        return ReasonAction.AS_PLANNED
    action = ((step.conditions or {}).get(ON_REASON) or {}).get(cart.leave_reason, ReasonAction.AS_PLANNED)
    return action if action in ReasonAction.VALUES else ReasonAction.AS_PLANNED


def follows_answer(message, world, at):
    """A step the merchant set not to go to buyers who gave this answer (for example "just looking")."""
    if message.cart_id and reason_action(message.step, message.cart) == ReasonAction.SKIP:
        reason = message.cart.leave_reason.replace("_", " ")
        return Decision(SKIP, "cart_reason", f"the buyer told us why they left ({reason}); this step skips them")
    return None


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
            conditions={**EXIT_ON_ORDER, ON_REASON: COUPON_STEP_ON_REASON},
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
    exits=(cart_done, follows_answer),
    simulate=triggers,
)

"""Replay a flow over a store's recent past: who would have received which email, when, and why (or
why not). It sends nothing and writes nothing: the emails are unsaved Message objects in memory,
judged by the same send-time rules as dispatch (`rules.decide`).

Exits are judged at the moment each email would have gone out (an order placed after that moment did
not stop it), because `decide` looks at the world as it is now. Consent, pacing and quiet hours are
`decide`'s own; consent is read as it is today.
"""

import copy
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.orders.intervals import interval_days
from apps.orders.models import Cart, CartLine, Order, OrderLine, OrderStatus
from apps.shipments.models import ATTENTION_STATUSES, Shipment, TrackingEvent

from . import rules
from .models import TRANSACTIONAL_KINDS, Flow, FlowKind, FlowStep, Message, MessagingPolicy
from .selectors import RESURVEY_STEP_KEY

WINDOW = timedelta(days=30)
MAX_TRIGGERS = 300  # the most recent ones; the page says when there were more
REPLENISH_LEAD = timedelta(days=3)

SEND, SKIP, SUPPRESS, LATER, WAITING = "send", "skip", "suppress", "later", "waiting"
OUTCOME_LABELS = {
    SEND: "Would be sent",
    LATER: "Sent later",
    SKIP: "Skipped",
    SUPPRESS: "Suppressed",
    WAITING: "Not due yet",
}


@dataclass(frozen=True)
class Trigger:
    """Something that starts the flow for one buyer."""

    at: datetime
    email: str
    about: str
    subject_key: str
    why: str
    customer: object = None
    order: Order | None = None
    cart: Cart | None = None
    shipment: Shipment | None = None
    status: str = ""  # shipment updates: the status reached


@dataclass(frozen=True)
class SimulatedEmail:
    step: FlowStep
    trigger: Trigger
    send_at: datetime
    outcome: str
    rule: str
    reason: str

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass
class Simulation:
    flow: Flow
    since: datetime
    until: datetime
    emails: list[SimulatedEmail] = field(default_factory=list)
    truncated: bool = False
    note: str = ""

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(email.outcome for email in self.emails)
        return {label: counted.get(outcome, 0) for outcome, label in OUTCOME_LABELS.items()}

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """Why emails would not go out, most common first."""
        counted = Counter(e.reason for e in self.emails if e.outcome in (SKIP, SUPPRESS))
        return counted.most_common()


# --- Triggers per kind of flow --------------------------------------------------------------
def _orders(store, since, until):
    return Order.objects.filter(store=store, placed_at__gte=since, placed_at__lt=until).exclude(email="")


def _order_triggers(store, since, until):
    for order in (
        _orders(store, since, until)
        .select_related("customer")
        .prefetch_related("shipments")
        .order_by("-placed_at")[:MAX_TRIGGERS]
    ):
        yield Trigger(
            order.placed_at,
            order.email,
            f"order {order.number}",
            f"order:{order.pk}",
            f"order {order.number} placed",
            order.customer,
            order=order,
        )


def _shipments(store):
    return (
        Shipment.objects.filter(store=store)
        .exclude(order__email="")
        .select_related("order", "order__customer")
        .prefetch_related("order__shipments")
    )


def _shipment_trigger(shipment, at, why, subject_key, status=""):
    order = shipment.order
    return Trigger(
        at,
        order.email,
        f"order {order.number} · {shipment.tracking_number or 'shipment'}",
        subject_key,
        why,
        order.customer,
        order=order,
        shipment=shipment,
        status=status,
    )


def _shipment_created_triggers(store, since, until):
    shipments = _shipments(store).filter(created_at__gte=since, created_at__lt=until).order_by("-created_at")
    for s in shipments[:MAX_TRIGGERS]:
        yield _shipment_trigger(s, s.created_at, f"shipment {s.tracking_number} created", f"shipment:{s.pk}")


def _delivered_triggers(store, since, until):
    shipments = _shipments(store).filter(delivered_at__gte=since, delivered_at__lt=until).order_by("-delivered_at")
    for s in shipments[:MAX_TRIGGERS]:
        yield _shipment_trigger(s, s.delivered_at, "order delivered", f"order:{s.order_id}")


def _status_triggers(store, since, until):
    """The first carrier event of each status per shipment in the window (what shipment updates react to)."""
    events = (
        TrackingEvent.objects.filter(store=store, occurred_at__gte=since, occurred_at__lt=until)
        .exclude(shipment__order__email="")
        .select_related("shipment__order__customer")
        .order_by("occurred_at", "pk")
    )
    seen, found = set(), []
    for event in events[: MAX_TRIGGERS * 5]:
        if (event.shipment_id, event.status) in seen:
            continue
        seen.add((event.shipment_id, event.status))
        found.append(
            _shipment_trigger(
                event.shipment,
                event.occurred_at,
                f"shipment now {event.status}",
                f"shipment:{event.shipment_id}",
                status=event.status,
            )
        )
    return reversed(found)


def _flagged_triggers(store, since, until):
    shipments = _shipments(store).filter(delay_flagged_at__gte=since, delay_flagged_at__lt=until)
    for s in shipments.order_by("-delay_flagged_at")[:MAX_TRIGGERS]:
        yield _shipment_trigger(s, s.delay_flagged_at, "the parcel looks stuck", f"shipment:{s.pk}")


def _cart_triggers(store, since, until):
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
            f"cart:{cart.pk}",
            f"cart idle since {cart.updated_at:%Y-%m-%d %H:%M}",
            cart.customer,
            cart=cart,
        )


def _replenishment_triggers(store, since, until):
    lines = (
        OrderLine.objects.filter(store=store, product__isnull=False, order__customer__isnull=False)
        .filter(order__placed_at__gte=since - timedelta(days=400), order__placed_at__lt=until)
        .exclude(order__status=OrderStatus.CANCELLED)
        .select_related("product", "order__customer")
        .order_by("-order__placed_at")
    )
    found = []
    for line in lines[: MAX_TRIGGERS * 5]:
        days = interval_days(line.product)
        if not days or days <= REPLENISH_LEAD.days:
            continue
        at = line.order.placed_at + timedelta(days=days) - REPLENISH_LEAD
        if since <= at < until:
            order = line.order
            found.append(
                Trigger(
                    at,
                    order.customer.email,
                    f"{line.product.name} ({order.number})",
                    f"replenish:{order.customer_id}:{line.product_id}:{order.pk}",
                    f"{line.product.name} lasts about {days} days",
                    order.customer,
                    order=order,
                )
            )
    return found[:MAX_TRIGGERS]


def _lapse_triggers(store, since, until):
    """Customers whose lapse moment (see the lapsed-customers scan) fell in the window."""
    from apps.customers.models import Customer

    customers = Customer.objects.filter(store=store, lapse_due_at__gte=since, lapse_due_at__lt=until)
    for customer in customers.order_by("-lapse_due_at")[:MAX_TRIGGERS]:
        last = customer.last_order_at
        yield Trigger(
            customer.lapse_due_at,
            customer.email,
            f"customer {customer.full_name or customer.email}",
            f"lapse:{customer.pk}:{last:%Y%m%d}" if last else f"lapse:{customer.pk}",
            f"no order since {last:%Y-%m-%d}" if last else "no order yet",
            customer,
        )


TRIGGERS = {
    FlowKind.ORDER_CONFIRMATION: _order_triggers,
    FlowKind.SHIPMENT_CONFIRMATION: _shipment_created_triggers,
    FlowKind.SHIPMENT_UPDATE: _status_triggers,
    FlowKind.DELIVERED_FOLLOWUP: _delivered_triggers,
    FlowKind.NPS_SURVEY: _delivered_triggers,
    FlowKind.ABANDONED_CART: _cart_triggers,
    FlowKind.REPLENISHMENT: _replenishment_triggers,
    FlowKind.DELIVERY_APOLOGY: _flagged_triggers,
    FlowKind.WIN_BACK: _lapse_triggers,
}


# --- Judging one email ----------------------------------------------------------------------
class _Facts:
    """What the exits need, loaded once for every trigger: orders by buyer, NPS answers by order."""

    def __init__(self, store, triggers: list[Trigger]):
        emails = {t.email for t in triggers}
        self.orders_by_email: dict[str, list[Order]] = defaultdict(list)
        if emails:
            for order in Order.objects.filter(store=store, email__in=emails).exclude(status=OrderStatus.CANCELLED):
                self.orders_by_email[order.email].append(order)
        from apps.feedback.selectors import nps_answered_at_by_order

        self.answered = nps_answered_at_by_order(store=store, order_ids={t.order.pk for t in triggers if t.order})

    def ordered_between(self, email: str, start: datetime, end: datetime) -> Order | None:
        return next((o for o in self.orders_by_email.get(email, []) if start < o.placed_at <= end), None)


def _exit(step: FlowStep, trigger: Trigger, send_at: datetime, facts: _Facts) -> tuple[str, str] | None:
    kind, conditions = step.flow.kind, step.conditions or {}
    cart, order = trigger.cart, trigger.order
    if kind == FlowKind.ABANDONED_CART and cart is not None:
        if cart.converted_at and cart.converted_at <= send_at:
            return "exit_on_order", "the cart became an order before this email"
        if facts.ordered_between(cart.email, cart.updated_at, send_at):
            return "exit_on_order", "the buyer ordered after leaving the cart"
    elif conditions.get("exit_on_order") and facts.ordered_between(trigger.email, trigger.at, send_at):
        return "exit_on_order", "the buyer ordered before this email"
    if (
        order is not None
        and kind != FlowKind.ORDER_CONFIRMATION
        and order.cancelled_at
        and order.cancelled_at <= send_at
    ):
        return "order_cancelled", "the order was cancelled"
    if (
        conditions.get("skip_while_shipment_troubled")
        and order is not None
        and any(s.status in ATTENTION_STATUSES for s in order.shipments.all())
    ):
        return "shipment_troubled", "a shipment of the order is in trouble"
    if kind == FlowKind.NPS_SURVEY and order is not None:
        answered = facts.answered.get(order.pk)
        if answered and answered <= send_at:
            return "answered", "the buyer already answered"
    return None


def _customer_then(customer, send_at: datetime):
    """The customer as `decide` should see them at send time: a later suppression did not exist yet."""
    if customer is None or customer.suppressed_at is None or customer.suppressed_at <= send_at:
        return customer
    earlier = copy.copy(customer)
    earlier.suppressed_at = None
    return earlier


def _judge(store, step: FlowStep, trigger: Trigger, send_at: datetime, now: datetime, facts: _Facts):
    exit_reason = _exit(step, trigger, send_at, facts)
    if exit_reason:
        return SKIP, *exit_reason
    # The exits were judged above, at send time: `decide` gets the step without them.
    judged_step = copy.copy(step)
    judged_step.conditions = {}
    message = Message(
        store=store,
        step=judged_step,
        subject_key=trigger.subject_key,
        email=trigger.email,
        customer=_customer_then(trigger.customer, send_at),
        transactional=step.flow.kind in TRANSACTIONAL_KINDS,
        priority=step.flow.priority,
        scheduled_for=send_at,
    )
    message.created_at = trigger.at
    decision = rules.decide(message, now=min(send_at, now))
    if decision.action == rules.SUPPRESS:
        return SUPPRESS, decision.rule, decision.reason
    if decision.action == rules.SKIP:
        return SKIP, decision.rule, decision.reason
    if send_at > now:
        return WAITING, "scheduled", "not due yet"
    if decision.action == rules.DEFER:
        local = timezone.localtime(decision.until, store.tz)
        return LATER, decision.rule, f"{decision.reason}: at {local:%d %b %H:%M}"
    return SEND, decision.rule, decision.reason


def simulate(*, flow: Flow, now: datetime | None = None, window: timedelta = WINDOW) -> Simulation:
    """What the flow, switched on as it is configured now, would have done over the last 30 days."""
    now = now or timezone.now()
    since = now - window
    store = flow.store
    simulation = Simulation(flow=flow, since=since, until=now)
    # Read the store's policy without creating one: a simulation writes nothing.
    store._messaging_policy = MessagingPolicy.objects.filter(store=store).first() or MessagingPolicy(store=store)
    switched_on = copy.copy(flow)
    switched_on.enabled = True
    steps = []
    for step in FlowStep.objects.filter(flow=flow).exclude(key=RESURVEY_STEP_KEY).order_by("position", "id"):
        step.flow = switched_on
        step.store = store
        steps.append(step)
    find = TRIGGERS.get(flow.kind)
    if find is None:
        simulation.note = "This flow has no automatic trigger yet, so there is nothing to replay."
        return simulation
    triggers = list(find(store, since, now))
    simulation.truncated = len(triggers) >= MAX_TRIGGERS
    facts = _Facts(store, triggers)
    for trigger in triggers:
        for step in steps:
            if flow.kind == FlowKind.SHIPMENT_UPDATE and step.trigger_status != trigger.status:
                continue
            send_at = trigger.at + timedelta(minutes=step.delay_minutes)
            outcome, rule, reason = _judge(store, step, trigger, send_at, now, facts)
            simulation.emails.append(SimulatedEmail(step, trigger, send_at, outcome, rule, reason))
    simulation.emails.sort(key=lambda e: e.send_at, reverse=True)
    return simulation

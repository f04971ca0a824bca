"""Replay a flow over a store's recent past: who would have received which email, when, and why (or
why not). It sends nothing and writes nothing: the emails are unsaved Message objects in memory, judged
by the same rules as dispatch (`rules.decide`) and the same exits (the flow's definition), asked of a
`ReplayWorld` that answers as the world was at the moment each email would have gone out.

The flow is replayed as if switched on at the start of the window: triggers before that, imported as
history or reported long after they happened are history, as they are live. Consent is read as today.
"""

import copy
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import Q, prefetch_related_objects
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.orders.models import Order, OrderStatus
from apps.shipments.models import TrackingEvent

from . import rules
from .flows import definition_for, history_reason
from .flows.base import MAX_TRIGGERS, Trigger
from .flows.delivery_apology import MOVING, TROUBLED
from .flows.win_back import audience, step_is_for
from .flows.world import LiveWorld
from .models import TRANSACTIONAL_KINDS, Flow, FlowKind, FlowStep, Message, MessageStatus, MessagingPolicy
from .selectors import RESURVEY_STEP_KEY

WINDOW = timedelta(days=30)
EVENTS_READ_PER_QUERY = 1000

SEND, SKIP, SUPPRESS, LATER, WAITING = "send", "skip", "suppress", "later", "waiting"
OUTCOME_LABELS = {  # shown to the merchant, in their language
    SEND: gettext_lazy("Would be sent"),
    LATER: gettext_lazy("Sent later"),
    SKIP: gettext_lazy("Skipped"),
    SUPPRESS: gettext_lazy("Suppressed"),
    WAITING: gettext_lazy("Not due yet"),
}
GOES_OUT = (SEND, LATER, WAITING)


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
        return str(OUTCOME_LABELS[self.outcome])


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
        return {str(label): counted.get(outcome, 0) for outcome, label in OUTCOME_LABELS.items()}

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """Why emails would not go out, most common first."""
        counted = Counter(e.reason for e in self.emails if e.outcome in (SKIP, SUPPRESS))
        return counted.most_common()

    @property
    def going_out(self) -> int:
        return sum(1 for email in self.emails if email.outcome in GOES_OUT)


class ReplayWorld:
    """The facts exits need, as they were at a past moment, loaded once for every trigger."""

    def __init__(self, store, triggers: list[Trigger]):
        emails = {t.email for t in triggers if t.email}  # "" would be every order without an address
        customer_ids = {t.customer.pk for t in triggers if t.customer}
        self.orders_by_email: dict[str, list[Order]] = defaultdict(list)
        self.orders_by_customer: dict[int, list[Order]] = defaultdict(list)
        self._orders: list[Order] = []
        if emails or customer_ids:
            # The buyers' orders by address or by customer, as the live checks find them.
            self._orders = list(
                Order.objects.filter(Q(email__in=emails) | Q(customer_id__in=customer_ids), store=store).exclude(
                    status=OrderStatus.CANCELLED
                )
            )
            for order in self._orders:
                self.orders_by_email[order.email].append(order)
                if order.customer_id:
                    self.orders_by_customer[order.customer_id].append(order)
        # When each order was first given an NPS score (one query): the model the live World reads too
        # (flows/world.py), by name, since apps.feedback sits above the email engine.
        order_ids = [t.order.pk for t in triggers if t.order]
        answers = apps.get_model("feedback", "NpsResponse").objects.filter(store=store, order_id__in=order_ids)
        self.answered = dict(answers.values_list("order_id", "created_at")) if order_ids else {}
        self.events: dict[int, list[TrackingEvent]] = defaultdict(list)
        self._events_read: set[int] = set()
        self._read_events({t.shipment.pk for t in triggers if t.shipment})
        self._parcels_read = False
        self.sent: dict[tuple[int, str], tuple[str, datetime, int]] = {}  # (flow, subject) → the last step's fate

    def _read_events(self, shipment_ids: set[int]) -> None:
        """The parcels' carrier events, oldest first, a bounded number of parcels per query (a long list of
        ids leads PostgreSQL to guess many events each and read the whole table instead of its index)."""
        wanted = sorted(shipment_ids - self._events_read)
        for start in range(0, len(wanted), EVENTS_READ_PER_QUERY):
            chunk = TrackingEvent.objects.filter(shipment_id__in=wanted[start : start + EVENTS_READ_PER_QUERY])
            for event in chunk.order_by("shipment_id", "occurred_at", "pk"):
                self.events[event.shipment_id].append(event)
        self._events_read.update(wanted)

    def _read_buyers_parcels(self) -> None:
        """Every parcel of the buyers' orders and its events, read when a marketing email first asks about
        them (transactional mail never does)."""
        if self._parcels_read:
            return
        prefetch_related_objects(self._orders, "shipments")
        self._read_events({shipment.pk for order in self._orders for shipment in order.shipments.all()})
        self._parcels_read = True

    def _buyers_orders(self, email, customer_id) -> list[Order]:
        by_email = self.orders_by_email.get(email, [])
        return by_email + [o for o in self.orders_by_customer.get(customer_id, []) if o.email != email]

    def ordered_between(self, *, store_id, email, customer_id, start, end) -> bool:
        return any(start < order.placed_at <= end for order in self._buyers_orders(email, customer_id))

    def cart_converted_by(self, cart, at) -> bool:
        return bool(cart.converted_at and cart.converted_at <= at)

    def order_status_at(self, order, at) -> str:
        if order.cancelled_at and order.cancelled_at <= at:
            return OrderStatus.CANCELLED
        return OrderStatus.PAID if order.status == OrderStatus.CANCELLED else order.status

    def nps_answered_by(self, order, at) -> bool:
        answered = self.answered.get(order.pk)
        return bool(answered and answered <= at)

    def shipment_status_at(self, shipment, at) -> str:
        known = [event for event in self.events.get(shipment.pk, []) if event.occurred_at <= at]
        return known[-1].status if known else shipment.status

    def shipment_stuck_at(self, shipment, at) -> bool:
        return bool(shipment.delay_flagged_at and shipment.delay_flagged_at <= at)

    def previous_step(self, message):
        return self.sent.get((message.step.flow_id, message.subject_key))

    def paced_sends(self, message, since) -> list[datetime]:
        return LiveWorld().paced_sends(message, since)  # pacing counts what was really sent

    def buyer_has_troubled_parcel(self, *, store_id, email, customer_id, at) -> bool:
        self._read_buyers_parcels()
        for order in self._buyers_orders(email, customer_id):
            for shipment in order.shipments.all():
                status = self.shipment_status_at(shipment, at)
                if status in TROUBLED or (status in MOVING and self.shipment_stuck_at(shipment, at)):
                    return True
        return False


def _customer_then(customer, send_at: datetime):
    """The customer as `decide` should see them at send time: a later suppression did not exist yet."""
    if customer is None or customer.suppressed_at is None or customer.suppressed_at <= send_at:
        return customer
    earlier = copy.copy(customer)
    earlier.suppressed_at = None
    return earlier


def _judge(store, step: FlowStep, trigger: Trigger, send_at: datetime, now: datetime, world: ReplayWorld, window):
    message = Message(
        store=store,
        step=step,
        subject_key=trigger.subject_key,
        email=trigger.email,
        customer=_customer_then(trigger.customer, send_at),
        order=trigger.order,
        cart=trigger.cart,
        shipment=trigger.shipment,
        transactional=step.flow.kind in TRANSACTIONAL_KINDS,
        priority=step.flow.priority,
        scheduled_for=send_at,
        latest_at=send_at + window,
    )
    message.created_at = trigger.at
    decision = rules.decide(message, now=min(send_at, now), world=world)
    if decision.action == rules.SUPPRESS:
        return SUPPRESS, decision.rule, decision.reason, send_at
    if decision.action == rules.SKIP:
        return SKIP, decision.rule, decision.reason, send_at
    if send_at > now:
        return WAITING, "scheduled", _("not due yet"), send_at
    if decision.action == rules.DEFER:
        local = timezone.localtime(decision.until, store.tz)
        moment = formats.date_format(local, "d M H:i")  # the month in the merchant's language
        return (
            LATER,
            decision.rule,
            _("%(reason)s: at %(moment)s") % {"reason": decision.reason, "moment": moment},
            decision.until,
        )
    return SEND, decision.rule, decision.reason, send_at


def simulate(*, flow: Flow, now: datetime | None = None, window: timedelta = WINDOW) -> Simulation:
    """What the flow, switched on `window` ago as it is configured now, would have done since."""
    now = now or timezone.now()
    since = now - window
    store = flow.store
    simulation = Simulation(flow=flow, since=since, until=now)
    # Read the store's policy without creating one: a simulation writes nothing.
    policy = MessagingPolicy.objects.filter(store=store).first() or MessagingPolicy(store=store)
    store._messaging_policy = policy
    switched_on = copy.copy(flow)
    switched_on.enabled, switched_on.live_since = True, since
    definition = definition_for(flow.kind)
    steps = []
    for step in FlowStep.objects.filter(flow=flow, enabled=True).exclude(key=RESURVEY_STEP_KEY):
        step.flow, step.store = switched_on, store
        steps.append(step)
    steps.sort(key=lambda step: (step.position, step.pk))
    if definition.simulate is None:
        simulation.note = _("This flow has no automatic trigger yet, so there is nothing to replay.")
        return simulation
    triggers = list(definition.simulate(store, since, now))
    simulation.truncated = len(triggers) >= MAX_TRIGGERS
    world = ReplayWorld(store, triggers)
    for trigger in triggers:
        known_at = trigger.known_at or trigger.at
        history = history_reason(
            flow=switched_on, policy=policy, moment=trigger.at, known_at=known_at, is_history=trigger.is_history
        )
        if history:
            continue
        who = _audience(trigger) if flow.kind == FlowKind.WIN_BACK else None
        for step in steps:
            if flow.kind == FlowKind.SHIPMENT_UPDATE and step.trigger_status != trigger.status:
                continue
            if who and not step_is_for(step, who):
                continue
            send_at = trigger.at + timedelta(minutes=step.delay_minutes)
            outcome, rule, reason, went_at = _judge(store, step, trigger, send_at, now, world, definition.window(step))
            simulation.emails.append(SimulatedEmail(step, trigger, send_at, outcome, rule, reason))
            if definition.sequential and outcome != SKIP:
                status = MessageStatus.SENT if outcome in (SEND, LATER) else MessageStatus.SCHEDULED
                world.sent[(flow.pk, trigger.subject_key)] = (status, went_at, step.delay_minutes)
    simulation.emails.sort(key=lambda e: e.send_at, reverse=True)
    return simulation


def _audience(trigger: Trigger) -> str | None:
    customer = trigger.customer
    if customer is None:
        return None
    return audience(
        top_percent=customer.rfm_top_percent, segment=customer.rfm_segment, orders_count=customer.orders_count
    )


@dataclass(frozen=True)
class Backfill:
    now: int  # emails that would go out at once
    later: int  # emails planned for the coming days (a series going on)


def backfill_count(*, flow: Flow, days: int, now: datetime | None = None) -> Backfill:
    """What switching the flow on "also for the last `days` days" would send: the replay of those days,
    kept to the emails still within their send window at this moment."""
    now = now or timezone.now()
    definition = definition_for(flow.kind)
    if definition.scan is None or days <= 0:
        return Backfill(0, 0)  # an event flow reacts to what happens from now on: no past to catch up
    replay = simulate(flow=flow, now=now, window=timedelta(days=days))
    useful = [e for e in replay.emails if e.outcome in GOES_OUT and e.send_at + definition.window(e.step) >= now]
    later = sum(1 for email in useful if email.outcome == WAITING)
    return Backfill(now=len(useful) - later, later=later)

"""What a kind of flow is, said once: its default steps, what starts it, what counts as the present for it,
how long each email stays useful, and what stops an email at send time.

Receivers, scans, the send-time rules, the simulator, the demo seed and the beat schedules all read the
definitions in this package (`definition_for(kind)`); none keeps a copy.

Exits are written once against a `World`: `LiveWorld` answers from the database as it is now (dispatch),
the simulator's replay answers as the world was at the moment an email would have gone out.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.db.models import F, Q

from ..decisions import SKIP, Decision
from ..models import TRANSACTIONAL_KINDS

if TYPE_CHECKING:
    from apps.customers.models import Customer
    from apps.orders.models import Cart, Order
    from apps.shipments.models import Shipment

HOUR = 60
DAY = 24 * HOUR
MAX_TRIGGERS = 300  # the simulator replays the most recent ones; its page says when there were more


@dataclass(frozen=True)
class StepSpec:
    """A default step: its delay after the trigger, and how long after that it is still worth sending."""

    key: str
    delay_minutes: int = 0
    send_window_minutes: int = DAY
    trigger_status: str = ""
    conditions: dict = field(default_factory=dict)
    incentive_kind: str = ""
    incentive_value: int = 0
    incentive_valid_days: int = 7
    incentive_monthly_budget: int = 0


@dataclass(frozen=True)
class Trigger:
    """Something that started (or would have started) the flow for one buyer, for the simulator."""

    at: datetime
    email: str
    about: str
    subject_key: str
    why: str
    known_at: datetime | None = None  # when Afterglow learned of it (None: at `at`)
    is_history: bool = False
    customer: "Customer | None" = None
    order: "Order | None" = None
    cart: "Cart | None" = None
    shipment: "Shipment | None" = None
    status: str = ""  # shipment updates: the status reached


class World(Protocol):
    """The facts exits need, as of a moment."""

    def ordered_between(
        self, *, store_id: int, email: str, customer_id: int | None, start: datetime, end: datetime
    ) -> bool: ...

    def cart_converted_by(self, cart, at: datetime) -> bool: ...

    def order_status_at(self, order, at: datetime) -> str: ...

    def nps_answered_by(self, order, at: datetime) -> bool: ...

    def shipment_status_at(self, shipment, at: datetime) -> str: ...

    def shipment_stuck_at(self, shipment, at: datetime) -> bool: ...

    def buyer_has_troubled_parcel(
        self, *, store_id: int, email: str, customer_id: int | None, at: datetime
    ) -> bool: ...

    def paced_sends(self, message, since: datetime) -> list[datetime]: ...


Exit = Callable[[object, World, datetime], Decision | None]


@dataclass(frozen=True)
class FlowDefinition:
    kind: str
    name: str
    priority: int
    steps: tuple[StepSpec, ...]
    trigger: str  # what starts it, in the merchant's words
    blocks: tuple[str, ...] = ()  # layout blocks around the merchant's text
    category: str | None = None  # the preference-centre choice that switches it off for a buyer
    scan: str | None = None  # the scan that plans it; None: an event receiver does
    sequential: bool = False  # its steps follow one another for one subject, spaced by their delays
    exits: tuple[Exit, ...] = ()
    simulate: Callable[..., Iterable[Trigger]] | None = None

    @property
    def transactional(self) -> bool:
        return self.kind in TRANSACTIONAL_KINDS

    def default_step(self, key: str) -> StepSpec | None:
        return next((spec for spec in self.steps if spec.key == key), None)

    def window(self, step) -> timedelta:
        """How long after its planned moment this step's email is still useful."""
        if step.send_window_minutes:
            return timedelta(minutes=step.send_window_minutes)
        spec = self.default_step(step.key)
        return timedelta(minutes=spec.send_window_minutes if spec else DAY)


# --- The present ---------------------------------------------------------------------------------
def history_reason(*, flow, policy, moment: datetime, known_at: datetime, is_history: bool = False) -> str | None:
    """Why a trigger at `moment`, which Afterglow learned of at `known_at`, is history for this flow (no
    email), or None when it is the present. The same rule as `present_q`, for one trigger in Python."""
    if is_history:
        return "imported as history"
    if not flow.enabled or flow.live_since is None:
        return "the flow is off"
    if moment < flow.live_since:
        return f"it happened before the flow was switched on ({flow.live_since:%Y-%m-%d %H:%M} UTC)"
    if known_at - moment > timedelta(hours=policy.history_max_age_hours):
        return f"it was reported more than {policy.history_max_age_hours} h after it happened"
    return None


def present_q(*, flow, policy, moment: str, known: str, history: Iterable[str] = ()) -> Q:
    """`history_reason` as a filter for scans: `moment` and `known` name the trigger's moment and the
    moment we learned of it, `history` the flags of rows imported as history."""
    if not flow.enabled or flow.live_since is None:
        return Q(pk__in=[])
    max_age = timedelta(hours=policy.history_max_age_hours)
    q = Q(**{f"{moment}__gte": flow.live_since}) & Q(**{f"{known}__lte": F(moment) + max_age})
    for flag in history:
        q &= Q(**{flag: False})
    return q


# --- Exits every kind shares ---------------------------------------------------------------------
def order_withdrawn(message, world: World, at: datetime) -> Decision | None:
    """An email about an order that was cancelled (or, for marketing, refunded) is not sent."""
    order = message.order
    if order is None:
        return None
    status = world.order_status_at(order, at)
    if status == "cancelled":
        return Decision(SKIP, "order_cancelled", "the order was cancelled")
    if status == "refunded" and not message.transactional:
        return Decision(SKIP, "order_refunded", "the order was refunded")
    return None


def ordered_since_trigger(message, world: World, at: datetime) -> Decision | None:
    """Marketing that asks for an order stops once the buyer ordered."""
    if not (message.step.conditions or {}).get("exit_on_order"):
        return None
    if world.ordered_between(
        store_id=message.store_id,
        email=message.email,
        customer_id=message.customer_id,
        start=message.created_at,
        end=at,
    ):
        return Decision(SKIP, "exit_on_order", "the buyer ordered since this was planned")
    return None

"""Send-time decisions: re-checked under the message's claim, because the world moves between
scheduling and sending (the cart converted, the customer unsubscribed, the parcel got stuck)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.orders.models import Order, OrderStatus
from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus

from .models import FlowKind, Message, MessageStatus, MessagingPolicy

SEND, SKIP, SUPPRESS, DEFER = "send", "skip", "suppress", "defer"
PACED_STATUSES = (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.UNKNOWN)


@dataclass(frozen=True)
class Decision:
    action: str
    rule: str
    reason: str = ""
    until: datetime | None = None


def policy_for(store) -> MessagingPolicy:
    policy = getattr(store, "_messaging_policy", None)
    if policy is None:
        policy, _ = MessagingPolicy.objects.get_or_create(store=store)
        store._messaging_policy = policy
    return policy


def decide(message: Message, *, now: datetime | None = None) -> Decision:
    now = now or timezone.now()
    customer = message.customer
    kind = message.step.flow.kind
    conditions = message.step.conditions or {}
    if customer is not None and customer.suppressed_at is not None:
        return Decision(SUPPRESS, "suppression", f"address suppressed ({customer.suppression_reason})")
    if not message.step.flow.enabled or not message.step.enabled:
        return Decision(SKIP, "flow_disabled", "the flow or step was switched off")

    preference = _preference(customer, kind, message.transactional)
    if preference:
        return preference
    exit_decision = _exit_conditions(message, kind, conditions)
    if exit_decision:
        return exit_decision
    if message.transactional:
        return Decision(SEND, "transactional", "transactional mail")

    policy = policy_for(message.store)
    if policy.marketing_requires_consent and not (customer and customer.marketing_consent):
        return Decision(SKIP, "consent", "no marketing consent")
    paused_until = customer.marketing_paused_until if customer else None
    if paused_until and paused_until > now:
        return Decision(SKIP, "paused", f"marketing paused until {paused_until:%Y-%m-%d}")
    quiet = _quiet_hours(message, policy, now)
    if quiet:
        return quiet
    capped = _frequency_cap(message, policy, now)
    if capped:
        return capped
    return Decision(SEND, "marketing", "consent given, within pacing")


# Which preference-centre category a flow belongs to (transactional confirmations always go).
CATEGORY = {
    FlowKind.SHIPMENT_UPDATE: "wants_shipping_updates",
    FlowKind.DELIVERY_APOLOGY: "wants_shipping_updates",
    FlowKind.NPS_SURVEY: "wants_review_requests",
    FlowKind.DELIVERED_FOLLOWUP: "wants_review_requests",
    FlowKind.ABANDONED_CART: "wants_offers",
    FlowKind.REPLENISHMENT: "wants_offers",
    FlowKind.WIN_BACK: "wants_offers",
}


def _preference(customer, kind: str, transactional: bool) -> Decision | None:
    field = CATEGORY.get(kind)
    if customer is None or field is None or getattr(customer, field, True):
        return None
    return Decision(SKIP, "preferences", f"the customer turned off {field.removeprefix('wants_').replace('_', ' ')}")


def _exit_conditions(message: Message, kind: str, conditions: dict) -> Decision | None:
    if kind == FlowKind.ABANDONED_CART and message.cart_id:
        cart = message.cart
        if cart.converted_order_id:
            return Decision(SKIP, "exit_on_order", "the cart was converted into an order")
        ordered = Order.objects.filter(store_id=message.store_id, placed_at__gte=cart.updated_at).filter(
            Q(email=cart.email) | Q(customer_id=cart.customer_id) if cart.customer_id else Q(email=cart.email)
        )
        if ordered.exclude(status=OrderStatus.CANCELLED).exists():
            return Decision(SKIP, "exit_on_order", "the customer ordered after leaving the cart")
    elif conditions.get("exit_on_order") and message.customer_id:
        since = message.created_at
        if Order.objects.filter(customer_id=message.customer_id, placed_at__gte=since).exists():
            return Decision(SKIP, "exit_on_order", "the customer ordered since this was scheduled")
    if message.order_id and message.order.status == OrderStatus.CANCELLED and kind != FlowKind.ORDER_CONFIRMATION:
        return Decision(SKIP, "order_cancelled", "the order was cancelled")
    if conditions.get("skip_while_shipment_troubled") and message.order_id:
        troubled = Shipment.objects.filter(order_id=message.order_id, status__in=ATTENTION_STATUSES).exists()
        if troubled:
            return Decision(SKIP, "shipment_troubled", "a shipment of the order is in trouble")
    if kind == FlowKind.SHIPMENT_UPDATE and message.shipment_id:
        status = message.shipment.status
        wanted = message.step.trigger_status
        if (
            wanted
            and status != wanted
            and not (wanted != ShipmentStatus.DELIVERED and status == ShipmentStatus.DELIVERED)
        ):
            return Decision(SKIP, "status_moved_on", f"the shipment is now {status}")
        if wanted != ShipmentStatus.DELIVERED and status == ShipmentStatus.DELIVERED:
            return Decision(SKIP, "status_moved_on", "the shipment was delivered meanwhile")
    return None


def _local_tz(message: Message) -> ZoneInfo:
    name = (message.customer.time_zone if message.customer_id else "") or message.store.time_zone
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _quiet_hours(message: Message, policy: MessagingPolicy, now: datetime) -> Decision | None:
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start == end:
        return None
    local = now.astimezone(_local_tz(message))
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    morning = datetime.combine(local.date(), time(end), tzinfo=local.tzinfo)
    if morning <= local:
        morning = datetime.combine(local.date() + timedelta(days=1), time(end), tzinfo=local.tzinfo)
    return Decision(DEFER, "quiet_hours", f"quiet hours in {local.tzinfo}", until=morning.astimezone(timezone.UTC))


def _frequency_cap(message: Message, policy: MessagingPolicy, now: datetime) -> Decision | None:
    if not message.customer_id or not policy.frequency_cap_count:
        return None
    window = timedelta(hours=policy.frequency_cap_hours)
    # Emails another worker is handing to the ESP right now count as sent (they are, a moment later), and
    # so do those whose fate is unknown. The dispatcher takes this decision under the customer's row lock.
    recent = list(
        Message.objects.filter(customer_id=message.customer_id, transactional=False, status__in=PACED_STATUSES)
        .exclude(pk=message.pk)
        # A flow's own steps are already spaced by their delays: the cap keeps different flows apart.
        .exclude(step__flow_id=message.step.flow_id)
        .annotate(paced_at=Coalesce("sent_at", "claimed_at"))
        .filter(paced_at__gte=now - window)
        .order_by("paced_at")
        .values_list("paced_at", flat=True)
    )
    if len(recent) < policy.frequency_cap_count:
        return None
    # The next free slot: when the oldest send in the window leaves it.
    free_at = recent[len(recent) - policy.frequency_cap_count] + window
    return Decision(
        DEFER,
        "frequency_cap",
        f"{len(recent)} marketing email(s) in the last {policy.frequency_cap_hours} h",
        until=free_at,
    )

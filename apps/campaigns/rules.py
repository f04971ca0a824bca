"""Send-time decisions: re-checked under the message's claim, because the world moves between
scheduling and sending (the cart converted, the customer unsubscribed, the parcel got stuck).

What is particular to a kind of flow (its exits, its preference category, whether its steps follow one
another) comes from its definition in `flows/`; what every email shares is here: suppression, the send
window, consent, pacing. The simulator asks the same questions of a replayed world.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from .decisions import DEFER, SEND, SKIP, SUPPRESS, Decision
from .flows import definition_for
from .flows.world import LiveWorld
from .models import Message, MessageStatus, MessagingPolicy

__all__ = ["DEFER", "SEND", "SKIP", "SUPPRESS", "Decision", "decide", "policy_for"]

# A buyer with a parcel in trouble hears about that parcel, not offers: marketing waits this long, then
# looks again (until its send window closes).
TROUBLE_HOLD = timedelta(hours=12)


def policy_for(store) -> MessagingPolicy:
    policy = getattr(store, "_messaging_policy", None)
    if policy is None:
        policy, _ = MessagingPolicy.objects.get_or_create(store=store)
        store._messaging_policy = policy
    return policy


def decide(message: Message, *, now: datetime | None = None, world=None) -> Decision:
    now = now or timezone.now()
    decision = _decide(message, now, world or LiveWorld())
    if decision.action == DEFER and message.latest_at and decision.until > message.latest_at:
        return _too_late(message, f"{decision.reason}, and after that it would be too late")
    return decision


def _decide(message: Message, now: datetime, world) -> Decision:
    customer = message.customer
    step = message.step
    definition = definition_for(step.flow.kind)
    if customer is not None and customer.suppressed_at is not None:
        return Decision(SUPPRESS, "suppression", f"address suppressed ({customer.suppression_reason})")
    if not step.flow.enabled or not step.enabled:
        return Decision(SKIP, "flow_disabled", "the flow or step was switched off")
    if message.latest_at and now > message.latest_at:
        return _too_late(message, "its moment has passed")

    if definition.category and customer is not None and not getattr(customer, definition.category, True):
        topic = definition.category.removeprefix("wants_").replace("_", " ")
        return Decision(SKIP, "preferences", f"the customer turned off {topic}")
    for exit_rule in definition.exits:
        decision = exit_rule(message, world, now)
        if decision:
            return decision
    if definition.sequential:
        spaced = _spacing(message, world, now)
        if spaced:
            return spaced
    if message.transactional:
        return Decision(SEND, "transactional", "transactional mail")

    policy = policy_for(message.store)
    if policy.marketing_requires_consent and not (customer and customer.marketing_consent):
        return Decision(SKIP, "consent", "no marketing consent")
    paused_until = customer.marketing_paused_until if customer else None
    if paused_until and paused_until > now:
        return Decision(SKIP, "paused", f"marketing paused until {paused_until:%Y-%m-%d}")
    if world.buyer_has_troubled_parcel(
        store_id=message.store_id, email=message.email, customer_id=message.customer_id, at=now
    ):
        troubled = "a parcel of this buyer is late or has a problem"
        return Decision(DEFER, "shipment_troubled", troubled, until=now + TROUBLE_HOLD)
    quiet = _quiet_hours(message, policy, now)
    if quiet:
        return quiet
    capped = _frequency_cap(message, policy, now, world)
    if capped:
        return capped
    return Decision(SEND, "marketing", "consent given, within pacing")


def _too_late(message: Message, why: str) -> Decision:
    until = timezone.localtime(message.latest_at, message.store.tz)
    return Decision(SKIP, "send_window", f"too late: {why} (it was worth sending until {until:%Y-%m-%d %H:%M})")


def _spacing(message: Message, world, now: datetime) -> Decision | None:
    """Steps of one flow keep the spacing their delays give them, whatever held the earlier one back:
    the 72 h cart email never follows the 24 h one by seconds."""
    previous = world.previous_step(message)
    if previous is None:
        return None
    status, at, delay_minutes = previous
    gap = timedelta(minutes=max(0, message.step.delay_minutes - delay_minutes))
    if status in (MessageStatus.SCHEDULED, MessageStatus.SENDING):
        waiting = "the previous email of this flow has not gone out yet"
        return Decision(DEFER, "spacing", waiting, until=max(at, now) + gap)
    if status == MessageStatus.SENT and now < at + gap:
        return Decision(DEFER, "spacing", "keeps its distance from the previous email of this flow", until=at + gap)
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


def _frequency_cap(message: Message, policy: MessagingPolicy, now: datetime, world) -> Decision | None:
    """At most N marketing emails per window to one customer, from all flows together (steps of one flow
    included). Emails another worker is handing to the ESP right now count as sent (they are, a moment
    later), and so do those whose fate is unknown; the dispatcher decides under the customer's row lock."""
    if not message.customer_id or not policy.frequency_cap_count:
        return None
    window = timedelta(hours=policy.frequency_cap_hours)
    recent = world.paced_sends(message, now - window)
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

"""Messages in the ledger: planning emails (through `ledger`), their trace, cancelling a planned one, and blanking
an erased buyer's."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..flows import definition_for
from ..models import TRANSACTIONAL_KINDS, FlowStep, Message, MessageStatus
from .ledger import insert_messages


@dataclass(frozen=True)
class Planned:
    """One email to put in the ledger."""

    step: FlowStep
    subject_key: str
    email: str
    scheduled_for: datetime
    customer_id: int | None = None
    order_id: int | None = None
    cart_id: int | None = None
    shipment_id: int | None = None
    product_id: int | None = None
    why: str = ""


def messages_schedule(planned: list[Planned]) -> list[Message]:
    """Write ledger rows; a (step, subject) that already has one is left alone. Returns the new rows.

    A second scan, a second beat or a replayed webhook is a no-op, and it is safe when two run at once:
    the ledger's once-per-(step, subject) rule decides (campaigns.services.ledger).
    """
    if not planned:
        return []
    from ..abtest import in_holdout, variant_for

    now = timezone.now()
    variants: dict[int, list] = {}
    for p in planned:
        if p.step.pk not in variants:
            variants[p.step.pk] = list(p.step.variants.filter(retired=False).order_by("label"))
    rows = []
    for p in planned:
        if not p.email:
            continue
        row = Message(
            store_id=p.step.store_id,
            step=p.step,
            subject_key=p.subject_key,
            email=p.email,
            scheduled_for=p.scheduled_for,
            customer_id=p.customer_id,
            order_id=p.order_id,
            cart_id=p.cart_id,
            shipment_id=p.shipment_id,
            product_id=p.product_id,
            transactional=p.step.flow.kind in TRANSACTIONAL_KINDS,
            priority=p.step.flow.priority,
            variant=variant_for(p.step, p.subject_key, variants[p.step.pk]),
            latest_at=p.scheduled_for + definition_for(p.step.flow.kind).window(p.step),
            trace=[{"at": now.isoformat(), "action": "scheduled", "rule": "trigger", "reason": p.why}],
        )
        if in_holdout(p.step.flow, p.email):
            # Recorded like any other email, never sent: its buyer's orders measure what the flow adds.
            reason = f"in the holdout group ({p.step.flow.holdout_percent} % of buyers get none of this flow)"
            row.status, row.reason = MessageStatus.SKIPPED, reason
            row.trace.append({"at": now.isoformat(), "action": "skipped", "rule": "holdout", "reason": reason})
        rows.append(row)
    # Exactly the rows this call inserted (ledger.insert_messages: the same once-only rule as the set-based
    # scans, on a partitioned ledger too): a second scan, beat or replayed webhook inserts none.
    return insert_messages(rows)


def message_trace(message: Message, *, action: str, rule: str, reason: str = "", **extra) -> list:
    entry = {"at": timezone.now().isoformat(), "action": action, "rule": rule, "reason": reason, **extra}
    return [*message.trace, entry]


def messages_anonymise(*, store_id: int, customer_id: int, email: str, anonymous: str, now) -> int:
    """An erased buyer's emails keep their ledger rows (flow results stand) without address or content."""
    buyer = Q(customer_id=customer_id) | Q(customer__isnull=True, email=email)
    return Message.objects.filter(buyer, store_id=store_id).update(
        email=anonymous, body_html="", body_text="", modified_at=now
    )


# --- The message log: cancelling a planned email -------------------------------------------
CANCELLED_RULE = "cancelled"


class MessageNotCancellable(ValueError):
    """Only a planned (`scheduled`) email can be cancelled; `status` says where this one is instead."""

    def __init__(self, status: str):
        super().__init__(f"only a scheduled email can be cancelled; this one is {status}")
        self.status = status


@transaction.atomic
def message_cancel(*, message: Message, by: str) -> Message:
    """A planned email that should not go: `scheduled` → `skipped`, by rule "cancelled", with who did it in
    the reason and the trace. The ledger row stays (the step and subject keep their one row, so nothing
    plans it again). Taken under the row's lock, and only from `scheduled`: an email a worker has claimed,
    sent, or that was cancelled already raises MessageNotCancellable and nothing changes."""
    locked = Message.objects.select_for_update().filter(pk=message.pk).only("pk", "status", "trace").first()
    if locked is None or locked.status != MessageStatus.SCHEDULED:
        raise MessageNotCancellable(locked.status if locked else "gone")
    reason = f"cancelled by {by}"[:255] if by else "cancelled in the dashboard"
    trace = message_trace(locked, action=MessageStatus.SKIPPED.value, rule=CANCELLED_RULE, reason=reason)
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SCHEDULED).update(
        status=MessageStatus.SKIPPED, reason=reason, trace=trace, modified_at=timezone.now()
    )
    if not updated:  # SQLite has no row locks: the conditional update is the guard there
        raise MessageNotCancellable(Message.objects.filter(pk=message.pk).values_list("status", flat=True).first())
    message.refresh_from_db()
    return message


def message_bodies_purge(*, before: datetime, now: datetime) -> int:
    """Retention (core/retention.py): emails planned before `before` lose their rendered bodies; the ledger rows
    (and the figures they feed) stay."""
    return (
        Message.objects.filter(scheduled_for__lt=before)
        .exclude(body_html="", body_text="")
        .update(body_html="", body_text="", modified_at=now)
    )

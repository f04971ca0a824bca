"""One batch of marketing mail, from claim to ledger: the batch counterpart of dispatch.message_send.

1. Claim up to `size` due marketing rows in one statement (claim.claim_due): they are `sending` now.
2. Keep one email per recipient in a batch and give the others back: pacing counts emails being sent, so
   two of one buyer's emails decided side by side would count each other.
3. Decide every email (rules.decide, the same rules as a single send) under the recipients' row locks,
   taken in one statement; record holds, skips and suppressions at once.
4. Render the rest (templates compiled once per source: rendering.compile_merchant) and hand them to the
   ESP in as few calls as it allows, each full call posted while the next is rendered (transport.Sender).
5. Record each recipient's result on its own row: sent, retried with backoff, failed, or unknown.

A worker that dies anywhere after step 1 leaves its rows `sending`; the sweeper marks them `unknown`. A
redelivered or repeated task claims only rows still `scheduled`: nothing is sent twice.
"""

import logging
from collections import Counter

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.mailbox import InvalidMailbox
from apps.customers.models import Customer
from apps.stores.models import Store

from .. import dispatch, rules
from ..models import FlowStep, Message, MessageStatus
from ..rendering import TemplateError
from ..services.messages import message_trace
from . import transport
from .claim import claim_due, release
from .world import BatchWorld

logger = logging.getLogger(__name__)
DEFAULT_BATCH_SIZE = 500

SENT_FIELDS = ["status", "trace", "reason", "sent_at", "esp_message_id", "language", "subject", "body_html",
               "body_text", "modified_at"]  # fmt: skip
TRACE_FIELD = Message._meta.get_field("trace")


def batch_size() -> int:
    return max(1, getattr(settings, "CAMPAIGNS_SEND_BATCH_SIZE", DEFAULT_BATCH_SIZE))


def send_due_batch(*, size: int | None = None, now=None) -> Counter:
    """Claim and send one batch of due marketing mail. Returns how many ended in each outcome."""
    now = now or timezone.now()
    ids = claim_due(transactional=False, limit=size or batch_size(), now=now)
    if not ids:
        return Counter()
    return send_claimed(ids, now=now)


def send_claimed(ids: list[int], *, now) -> Counter:
    outcomes: Counter = Counter()
    messages, later = _one_per_recipient(load(ids))
    outcomes["released"] += release([message.pk for message in later])

    going = _decide_all(messages, now, outcomes)
    ready, sender = [], transport.Sender()
    for message, decision in going:
        prepared = _prepare(message, decision, outcomes)
        if prepared is not None:
            ready.append(prepared)
            sender.add(prepared[2])  # a full ESP batch leaves while the next is rendered
    _record(ready, sender.results(), outcomes)
    return outcomes


def load(ids: list[int]) -> list[Message]:
    """The claimed rows with everything deciding and rendering read, in a fixed number of queries. Rows of
    one store (or step) share one object, so what is cached on it (the messaging policy) is read once."""
    messages = list(
        Message.objects.filter(pk__in=ids, status=MessageStatus.SENDING)
        .select_related("customer", "order", "cart", "shipment", "product", "variant")
        .prefetch_related("order__lines", "cart__lines", "shipment__events")
        .order_by("priority", "scheduled_for", "pk")
    )
    # A batch holds a few stores and steps: read once each, not joined into every row.
    stores = Store.objects.in_bulk({message.store_id for message in messages})
    steps = FlowStep.objects.select_related("flow").in_bulk({message.step_id for message in messages})
    for message in messages:
        message.store, message.step = stores[message.store_id], steps[message.step_id]
    return messages


def _one_per_recipient(messages: list[Message]) -> tuple[list[Message], list[Message]]:
    kept, later, seen = [], [], set()
    for message in messages:
        recipient = (message.store_id, message.customer_id or message.email.lower())
        (later if recipient in seen else kept).append(message)
        seen.add(recipient)
    return kept, later


def _decide_all(messages: list[Message], now, outcomes: Counter) -> list[tuple[Message, rules.Decision]]:
    """rules.decide for each, under the recipients' locks (one statement, in id order so two workers never
    deadlock). A hold is recorded before the locks go, so the next worker sees it (as message_send does)."""
    going = []
    with transaction.atomic():
        customer_ids = sorted({message.customer_id for message in messages if message.customer_id})
        # The rows as locked, not as loaded: an unsubscribe or a suppression that came in since counts.
        locked = Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk").in_bulk()
        for message in messages:
            if message.customer_id in locked:
                message.customer = locked[message.customer_id]
        world = BatchWorld(messages, now=now)  # after the locks: an order the buyer placed meanwhile counts too
        held_back = []
        for message in messages:
            decision = rules.decide(message, now=now, world=world)
            if decision.action == rules.SEND:
                going.append((message, decision))
            else:
                held_back.append((message, decision))
        _record_held_back(held_back, outcomes)
    return going


HELD_BACK_STATUS = {rules.SUPPRESS: MessageStatus.SUPPRESSED, rules.SKIP: MessageStatus.SKIPPED}


def _record_held_back(held_back: list, outcomes: Counter) -> None:
    """Suppressions, skips and deferrals, as dispatch._finish and dispatch._defer record them one by one, in two
    batched statements (a batch sent at night in the buyers' zones defers most of its rows)."""
    finished, deferred = [], []
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    for message, decision in held_back:
        created = connection.ops.adapt_datetimefield_value(message.created_at)  # the partition key: dispatch.held
        if decision.action == rules.DEFER:
            trace = message_trace(message, action="deferred", rule=decision.rule, reason=decision.reason,
                                  until=decision.until.isoformat())  # fmt: skip
            until = connection.ops.adapt_datetimefield_value(decision.until)
            deferred.append([MessageStatus.SCHEDULED.value, until, _trace_value(trace), message.attempts - 1, at,
                             message.pk, created])  # fmt: skip
        else:
            status = HELD_BACK_STATUS[decision.action]
            trace = message_trace(message, action=status, rule=decision.rule, reason=decision.reason)
            finished.append([status.value, _trace_value(trace), decision.reason[:255], at, message.pk, created])
            outcomes[status] += 1
    if deferred:
        outcomes["deferred"] += len(deferred)
    for fields, params in ((["status", "scheduled_for", "trace", "attempts", "modified_at"], deferred),
                           (["status", "trace", "reason", "modified_at"], finished)):  # fmt: skip
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(_held_update_sql(fields), [[*row, MessageStatus.SENDING.value] for row in params])
                if 0 <= cursor.rowcount < len(params):  # rows the sweeper took meanwhile keep what it decided
                    outcomes["lost"] += len(params) - cursor.rowcount


def _trace_value(trace: list):
    return TRACE_FIELD.get_db_prep_value(trace, connection)


def _prepare(message: Message, decision, outcomes: Counter):
    """(message, decision, email, rendered), or None when it goes no further (held for its code, failed)."""
    # Only a step with an incentive can hold its email (and asking costs a transaction per email).
    hold = dispatch.coupon_hold(message) if message.step.incentive_kind else None
    if hold is not None:
        outcomes[dispatch.hold_for_coupon(message, hold).status] += 1
        return None
    try:
        email, rendered = dispatch.build_email(message)
    except TemplateError as exc:
        outcome = dispatch._finish(message, MessageStatus.FAILED, rule="template", reason=f"template error: {exc}")
    except InvalidMailbox as exc:
        reason = f"invalid address: {exc}"[:255]
        outcome = dispatch._finish(message, MessageStatus.FAILED, rule="invalid_address", reason=reason)
    else:
        return message, decision, email, rendered
    outcomes[outcome.status] += 1
    return None


def _record(ready: list, results: list[transport.Result], outcomes: Counter) -> None:
    sent = []
    for (message, decision, _email, rendered), result in zip(ready, results, strict=True):
        if result.kind == transport.SENT:
            sent.append((message, decision, rendered, result))
        elif result.kind == transport.REFUSED:
            outcome = dispatch._finish(message, MessageStatus.FAILED, rule="esp_refused", reason=result.detail)
            outcomes[outcome.status] += 1
        elif result.kind == transport.INVALID:
            outcome = dispatch._finish(message, MessageStatus.FAILED, rule="invalid_address", reason=result.detail)
            outcomes[outcome.status] += 1
        elif result.kind == transport.RETRY:
            outcomes[dispatch.retry_or_fail(message, status_code=result.status_code, detail=result.detail).status] += 1
        else:
            outcome = dispatch._finish(message, MessageStatus.UNKNOWN, rule="esp_timeout", reason=result.detail)
            outcomes[outcome.status] += 1
    _record_sent(sent, outcomes)


def _record_sent(sent: list, outcomes: Counter) -> None:
    """Every accepted email's row in one locked read and one batched statement, but only rows this worker still
    holds (`sending`): one the sweeper took meanwhile stays as it decided. (Django's bulk_update builds a
    CASE per field and row, which costs more than the sending; executemany sends one prepared UPDATE.)"""
    if not sent:
        return
    now = timezone.now()
    with transaction.atomic():
        held = set(
            Message.objects.select_for_update()
            .filter(pk__in=[message.pk for message, *_ in sent], status=MessageStatus.SENDING)
            .values_list("pk", flat=True)
        )
        rows, params = [], []
        at = connection.ops.adapt_datetimefield_value(now)
        for message, decision, rendered, result in sent:
            if message.pk not in held:
                outcomes["lost"] += 1
                continue
            trace = message_trace(message, action=MessageStatus.SENT, rule=decision.rule, reason=decision.reason)
            trace_value = _trace_value(trace)
            values = [MessageStatus.SENT.value, trace_value, decision.reason[:255], at, result.esp_message_id[:255]]
            values += [rendered["language"], rendered["subject"][:255], rendered["html"], rendered["text"], at]
            created = connection.ops.adapt_datetimefield_value(
                message.created_at
            )  # the partition key: see dispatch.held
            params.append([*values, message.pk, created, MessageStatus.SENDING.value])
            rows.append(message)
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(_sent_sql(), params)
    outcomes[MessageStatus.SENT] += len(rows)
    for message in rows:
        if (message.step.conditions or {}).get("ends_marketing_if_unengaged"):
            dispatch._sunset_if_unengaged(message)


def _sent_sql() -> str:
    return _held_update_sql(SENT_FIELDS)


def _held_update_sql(fields: list[str]) -> str:
    """One row's UPDATE while this worker holds it (`sending`), by id and partition key (dispatch.held)."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(Message._meta.get_field(name).column)} = %s" for name in fields)
    return f"UPDATE {quote(Message._meta.db_table)} SET {columns} WHERE id = %s AND created_at = %s AND status = %s"

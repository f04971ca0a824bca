"""Recording, applying and replaying inbound deliveries. Nothing inbound is lost: every signed delivery
that passed validation is a row before it is applied, and a failure leaves the row for a person to replay.

A delivery with a bad signature is kept only as much as a merchant needs to debug a wrong secret (see
docs/operations.md, "Rejected webhooks"): its useful headers, its size and SHA-256, the first
REJECTED_BODY_KEPT bytes, and at most REJECTED_PER_HOUR such rows per store and source an hour; the
deliveries over that are only counted on the newest row.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping

from apps.stores.models import Store

from ..adapters import Adapter, Applied, Delivery, PayloadError
from ..models import InboundEvent, Outcome
from ..parsing import CONTROL, UNSTORABLE, header_text

logger = logging.getLogger(__name__)


KEPT_HEADER_PREFIXES = ("x-", "aftership", "as-", "sign", "content-type", "user-agent")


MAX_STORED_BODY = 1024 * 1024


MAX_KEPT_HEADERS = 40


MAX_HEADER_VALUE = 1000


REJECTED_BODY_KEPT = 2048


REJECTED_PER_HOUR = 20


# What the caller of a webhook is told when applying failed on our side. The detail (exception and
# message) stays on the inbound log for staff; the source retries on the 500.
INTERNAL_FAILURE = (
    "The delivery could not be applied because of an error on our side. It is kept and will be applied when you retry."
)


def kept_headers(headers) -> dict[str, str]:
    """The headers worth keeping (signature, topic, ids, agent), as text any database stores, bounded."""
    kept = {}
    for name, value in headers.items():
        if len(kept) == MAX_KEPT_HEADERS:
            break
        if name.lower().startswith(KEPT_HEADER_PREFIXES):
            kept[CONTROL.sub("", str(name))[:100]] = CONTROL.sub("", str(value))[:MAX_HEADER_VALUE]
    return kept


def stored_text(body: bytes, limit: int) -> str:
    """At most `limit` bytes of the body as storable text: invalid UTF-8 and NUL become U+FFFD."""
    text = body[:limit].decode("utf-8", "replace").replace("\x00", "\ufffd")
    while len(text.encode()) > limit:  # a replacement character takes three bytes
        text = text[:-1]
    return text


def inbound_record_rejected(*, store: Store, source: str, headers, body: bytes, topic: str = "", error: str) -> None:
    """A delivery that failed its signature: logged within bounds, never applied and never deduplicated.

    Anyone can post to a webhook URL, so what is kept is bounded: the first REJECTED_BODY_KEPT bytes, the
    body's size and SHA-256 (to compare with the sender's own log), the useful headers (the signature it
    carried among them). Past REJECTED_PER_HOUR rows for this store and source in the last hour, a
    delivery only counts up `deliveries` on the newest row.
    """
    now = timezone.now()
    recent = InboundEvent.objects.filter(
        store=store, source=source, outcome=Outcome.REJECTED, received_at__gte=now - timedelta(hours=1)
    )
    if recent.count() >= REJECTED_PER_HOUR:
        newest = recent.order_by("-received_at", "-id").values_list("pk", flat=True)[:1]
        InboundEvent.objects.filter(pk__in=list(newest)).update(
            deliveries=F("deliveries") + 1, last_received_at=now, modified_at=now
        )
        return
    kept = min(len(body), REJECTED_BODY_KEPT)
    summary = f"Body of {len(body):,} bytes, SHA-256 {hashlib.sha256(body).hexdigest()}"
    summary += f"; the first {kept:,} bytes are kept." if kept < len(body) else "."
    InboundEvent.objects.create(
        store=store, source=source, topic=header_text(topic, 80), headers=kept_headers(headers),
        body=stored_text(body, REJECTED_BODY_KEPT), received_at=now, last_received_at=now,
        outcome=Outcome.REJECTED, http_status=401, summary=summary[:255], error=error,
    )  # fmt: skip


def inbound_record(*, store: Store, source: str, delivery: Delivery, headers, body: bytes) -> tuple[InboundEvent, bool]:
    """The row for this delivery; (row, True) when the same delivery was seen before."""
    now = timezone.now()
    topic, delivery_id = header_text(delivery.topic, 80), header_text(delivery.delivery_id, 128)
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                store=store, source=source, topic=topic, delivery_id=delivery_id, headers=kept_headers(headers),
                body=stored_text(body, MAX_STORED_BODY), received_at=now, last_received_at=now,
            )  # fmt: skip
            return event, False
    except IntegrityError:
        InboundEvent.objects.filter(store=store, source=source, delivery_id=delivery_id).update(
            deliveries=F("deliveries") + 1, last_received_at=now
        )
        return InboundEvent.objects.get(store=store, source=source, delivery_id=delivery_id), True


def inbound_apply(*, event: InboundEvent, adapter: Adapter, delivery: Delivery) -> InboundEvent:
    """Apply a recorded delivery in one transaction; record the outcome whatever happens.

    The returned row carries `answer`: what to tell the caller, without exception text. A PayloadError
    (an order or shipment not known yet) is a 422 the caller may see; anything else is our bug: a 500
    with a generic message, the detail kept on the row for staff.
    """
    try:
        with transaction.atomic():
            # Lock the row: two deliveries of the same id at once apply it once.
            locked = InboundEvent.objects.select_for_update().get(pk=event.pk)
            if locked.outcome in (Outcome.PROCESSED, Outcome.IGNORED) and locked.replays == event.replays:
                locked.answer = {}
                return locked
            applied: Applied = adapter.apply(store=event.store, delivery=delivery)
            _finish(locked, outcome=Outcome.IGNORED if applied.ignored else Outcome.PROCESSED, http_status=200,
                    summary=applied.summary, object_id=applied.object_id, error="")  # fmt: skip
            locked.answer = {}
            return locked
    except PayloadError as exc:
        event = _finish_outside(event, http_status=exc.status, error=str(exc))
        event.answer = {"error": exc.public, "fields": exc.fields}
        return event
    except Exception as exc:  # recorded for replay, and the source retries on the 500
        logger.exception("Applying inbound %s %s failed", event.source, event.pk)
        event = _finish_outside(event, http_status=500, error=f"{type(exc).__name__}: {exc}")
        event.answer = {"error": INTERNAL_FAILURE}
        return event


def _finish(event: InboundEvent, *, outcome: str, http_status: int, summary: str, object_id: str, error: str) -> None:
    event.outcome, event.http_status, event.summary = outcome, http_status, summary[:255]
    event.error = UNSTORABLE.sub("\ufffd", error)
    event.object_id = object_id[:128] or event.object_id
    event.processed_at = timezone.now()
    event.save(update_fields=["outcome", "http_status", "summary", "error", "object_id", "processed_at", "modified_at"])


def _finish_outside(event: InboundEvent, *, http_status: int, error: str) -> InboundEvent:
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event.pk)
        _finish(event, outcome=Outcome.FAILED, http_status=http_status, summary="", object_id="", error=error)
    return event


def inbound_replay(*, event: InboundEvent, adapter: Adapter) -> InboundEvent:
    """Apply a stored delivery again, as a person asked; its signature was checked when it arrived."""
    if event.outcome == Outcome.REJECTED:
        raise PayloadError("A delivery with a bad signature is never applied.")
    InboundEvent.objects.filter(pk=event.pk).update(replays=F("replays") + 1)
    event.refresh_from_db()
    try:
        delivery = adapter.read(headers=CaseInsensitiveMapping(event.headers), body=event.body.encode())
    except PayloadError as exc:
        return _finish_outside(event, http_status=exc.status, error=str(exc))
    InboundEvent.objects.filter(pk=event.pk).update(outcome=Outcome.RECEIVED)
    event.refresh_from_db()
    return inbound_apply(event=event, adapter=adapter, delivery=delivery)


def inbound_anonymise(*, store_id: int, email: str, object_ids: set[str], now) -> int:
    """An erased buyer's raw deliveries (webhooks and API calls about them, found by their address or by
    the ids of their orders, carts, parcels and customer record) lose body and headers at once rather than
    at the retention purge. The rows stay, so delivery counts and outcomes still add up."""
    about = Q(body__icontains=email) | Q(summary__icontains=email) | Q(error__icontains=email)
    if object_ids:
        about |= Q(object_id__in=object_ids)
    erased = Value("[erased]")
    return (
        InboundEvent.objects.filter(store_id=store_id)
        .filter(about)
        .update(
            body="",
            headers={},
            summary=Replace("summary", Value(email), erased),
            error=Replace("error", Value(email), erased),
            modified_at=now,
        )
    )


def inbound_payloads_purge(*, before: datetime, now: datetime) -> int:
    """Retention (core/retention.py): deliveries received before `before` lose body and headers; the rows stay."""
    return (
        InboundEvent.objects.filter(received_at__lt=before)
        .exclude(body="", headers={})
        .update(body="", headers={}, modified_at=now)
    )

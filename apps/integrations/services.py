"""Recording, applying and replaying inbound deliveries. Nothing inbound is lost: every delivery to a
known store is a row before it is applied, and a failure leaves the row for a person to replay."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping

from apps.stores.models import Store

from .adapters import Adapter, Applied, Delivery, PayloadError
from .models import InboundEvent, Outcome

logger = logging.getLogger(__name__)

KEPT_HEADER_PREFIXES = ("x-", "aftership", "as-", "sign", "content-type", "user-agent")
MAX_STORED_BODY = 1024 * 1024


def kept_headers(headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower().startswith(KEPT_HEADER_PREFIXES)}


def inbound_record_rejected(*, store: Store, source: str, headers, body: bytes, topic: str = "", error: str) -> None:
    """A delivery that failed its signature: kept for the log, but never applied and never deduplicated."""
    now = timezone.now()
    InboundEvent.objects.create(
        store=store, source=source, topic=topic[:80], headers=kept_headers(headers),
        body=body[:MAX_STORED_BODY].decode("utf-8", "replace"), received_at=now, last_received_at=now,
        outcome=Outcome.REJECTED, http_status=401, error=error,
    )  # fmt: skip


def inbound_record(*, store: Store, source: str, delivery: Delivery, headers, body: bytes) -> tuple[InboundEvent, bool]:
    """The row for this delivery; (row, True) when the same delivery was seen before."""
    now = timezone.now()
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                store=store, source=source, topic=delivery.topic[:80], delivery_id=delivery.delivery_id[:128],
                headers=kept_headers(headers), body=body[:MAX_STORED_BODY].decode("utf-8", "replace"),
                received_at=now, last_received_at=now,
            )  # fmt: skip
            return event, False
    except IntegrityError:
        InboundEvent.objects.filter(store=store, source=source, delivery_id=delivery.delivery_id[:128]).update(
            deliveries=F("deliveries") + 1, last_received_at=now
        )
        return InboundEvent.objects.get(store=store, source=source, delivery_id=delivery.delivery_id[:128]), True


def inbound_apply(*, event: InboundEvent, adapter: Adapter, delivery: Delivery) -> InboundEvent:
    """Apply a recorded delivery in one transaction; record the outcome whatever happens."""
    try:
        with transaction.atomic():
            # Lock the row: two deliveries of the same id at once apply it once.
            locked = InboundEvent.objects.select_for_update().get(pk=event.pk)
            if locked.outcome in (Outcome.PROCESSED, Outcome.IGNORED) and locked.replays == event.replays:
                return locked
            applied: Applied = adapter.apply(store=event.store, delivery=delivery)
            _finish(locked, outcome=Outcome.IGNORED if applied.ignored else Outcome.PROCESSED, http_status=200,
                    summary=applied.summary, object_id=applied.object_id, error="")  # fmt: skip
            return locked
    except PayloadError as exc:
        return _finish_outside(event, http_status=422, error=str(exc))
    except Exception as exc:  # recorded for replay, and the source retries on the 500
        logger.exception("Applying inbound %s %s failed", event.source, event.pk)
        return _finish_outside(event, http_status=500, error=f"{type(exc).__name__}: {exc}")


def _finish(event: InboundEvent, *, outcome: str, http_status: int, summary: str, object_id: str, error: str) -> None:
    event.outcome, event.http_status, event.summary, event.error = outcome, http_status, summary[:255], error
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
        return _finish_outside(event, http_status=400, error=str(exc))
    InboundEvent.objects.filter(pk=event.pk).update(outcome=Outcome.RECEIVED)
    event.refresh_from_db()
    return inbound_apply(event=event, adapter=adapter, delivery=delivery)


def feed_add(*, store: Store, url: str, refresh_hours: int = 24):
    """Add (or re-enable) a product feed and read it once, after commit."""
    from .models import ProductFeed
    from .tasks import feed_refresh_task

    with transaction.atomic():
        feed, _ = ProductFeed.objects.update_or_create(
            store=store, url=url, defaults={"refresh_hours": refresh_hours, "enabled": True}
        )
        feed_refresh_task.delay_on_commit(feed.pk)
    return feed

"""Importing a connected shop's history, page by page, resumably.

A sync walks the stages in `HistorySync.STAGES`. For each page: fetch it (outside any transaction: it is a
call out), then write its items and the cursor after them in one transaction. A worker killed between the
two loses nothing: the page is fetched again and re-applying it changes nothing (every write is an upsert).

One task runs a sync for at most `SLICE_SECONDS`, then queues the next slice, so no task nears Celery's time
limit and other stores' work interleaves. A shop that asks us to slow down (`RateLimited`, `CircuitOpen`)
puts the sync in `waiting` until `resume_at`; the sweeper (beat, every minute) requeues waiting syncs that are
due and running syncs whose heartbeat stopped (a killed worker).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..calls import CallError, CircuitOpen, RateLimited, Unauthorized
from ..models import Connection, HistorySync, SyncStatus
from ..registry import remote_for
from .connections import connection_record_error, connection_record_ok

logger = logging.getLogger(__name__)

SLICE_SECONDS = 60.0
STALE_AFTER = timedelta(minutes=3)  # no heartbeat for this long: the worker died
MAX_PAGE_FAILURES = 5
OPEN = (SyncStatus.QUEUED, SyncStatus.RUNNING, SyncStatus.WAITING)


def _run_task():
    from ..tasks import history_run_task

    return history_run_task


@transaction.atomic
def history_start(*, connection: Connection, days: int) -> HistorySync:
    """Queue an import of the last `days` days; an import already under way for the connection is returned."""
    open_sync = HistorySync.objects.filter(connection=connection, status__in=OPEN).first()
    if open_sync is not None:
        return open_sync
    sync = HistorySync.objects.create(
        store_id=connection.store_id,
        connection=connection,
        since=timezone.now() - timedelta(days=max(days, 1)),
        stage=HistorySync.STAGES[0],
    )
    transaction.on_commit(lambda: _run_task().delay(sync.pk))
    return sync


def _claim(sync_id: int) -> HistorySync | None:
    """Take the sync for this worker: queued, due after a wait, or left running by a worker that died.
    A sync another live worker holds is skipped (its heartbeat is fresh)."""
    now = timezone.now()
    with transaction.atomic():
        sync = HistorySync.objects.select_for_update(skip_locked=True).filter(pk=sync_id, status__in=OPEN).first()
        if sync is None:
            return None
        if sync.status == SyncStatus.RUNNING and sync.heartbeat_at and now - sync.heartbeat_at < STALE_AFTER:
            return None
        if sync.status == SyncStatus.WAITING and sync.resume_at and sync.resume_at > now:
            return None
        sync.status = SyncStatus.RUNNING
        sync.started_at = sync.started_at or now
        sync.heartbeat_at = now
        sync.resume_at = None
        sync.save(update_fields=["status", "started_at", "heartbeat_at", "resume_at", "modified_at"])
        return sync


def history_run(*, sync_id: int, slice_seconds: float = SLICE_SECONDS) -> HistorySync | None:
    """Import pages until the sync is done, the slice is used up (the next slice is queued) or the shop asks
    us to wait. Safe to call twice at once: the second call finds the sync taken and returns."""
    sync = _claim(sync_id)
    if sync is None:
        return None
    connection = sync.connection
    remote = remote_for(connection.source)
    if remote is None or remote.history_page is None or remote.history_apply is None or not connection.enabled:
        return _fail(sync, "The connection was removed or cannot import history.")
    deadline = time.monotonic() + slice_seconds
    failures = 0
    while True:  # at least one page per slice, however short: every run moves the import on
        try:
            page = remote.history_page(connection, sync.stage, sync.cursor, sync.since)
        except (RateLimited, CircuitOpen) as exc:
            return _wait(sync, seconds=exc.retry_after or 30.0, reason=str(exc))
        except Unauthorized as exc:
            connection_record_error(connection=connection, message=str(exc))
            return _fail(sync, str(exc))
        except CallError as exc:
            failures += 1
            if failures >= MAX_PAGE_FAILURES:
                connection_record_error(connection=connection, message=str(exc))
                return _fail(sync, str(exc))
            continue
        failures = 0
        connection_record_ok(connection=connection)
        sync = _apply_page(sync, remote, connection, page)
        if sync.status == SyncStatus.DONE:
            return sync
        if time.monotonic() >= deadline:
            break
    _pause_for_next_slice(sync)
    return sync


@transaction.atomic
def _apply_page(sync: HistorySync, remote, connection: Connection, page) -> HistorySync:
    """The page's rows and the cursor after them commit together."""
    sync = HistorySync.objects.select_for_update().get(pk=sync.pk)
    written = remote.history_apply(connection, sync.stage, page.items) if page.items else 0
    counts = dict(sync.counts)
    stage_counts = dict(counts.get(sync.stage, {}))
    stage_counts["done"] = int(stage_counts.get("done", 0)) + int(written)
    if page.total is not None:
        stage_counts["total"] = int(page.total)
    counts[sync.stage] = stage_counts
    sync.counts = counts
    sync.pages += 1
    sync.heartbeat_at = timezone.now()
    if page.next_cursor:
        sync.cursor = page.next_cursor
    else:
        stages = HistorySync.STAGES
        index = stages.index(sync.stage)
        if index + 1 < len(stages):
            sync.stage, sync.cursor = stages[index + 1], ""
        else:
            sync.status, sync.cursor, sync.finished_at = SyncStatus.DONE, "", timezone.now()
    sync.save()
    return sync


def _wait(sync: HistorySync, *, seconds: float, reason: str) -> HistorySync:
    resume_at = timezone.now() + timedelta(seconds=max(seconds, 1.0))
    HistorySync.objects.filter(pk=sync.pk, status=SyncStatus.RUNNING).update(
        status=SyncStatus.WAITING, resume_at=resume_at, failure=reason[:2000], modified_at=timezone.now()
    )
    transaction.on_commit(lambda: _run_task().apply_async((sync.pk,), eta=resume_at))
    sync.refresh_from_db()
    return sync


def _pause_for_next_slice(sync: HistorySync) -> None:
    """Hand the sync back as queued and queue the next slice, so other work gets a turn."""
    HistorySync.objects.filter(pk=sync.pk, status=SyncStatus.RUNNING).update(
        status=SyncStatus.QUEUED, modified_at=timezone.now()
    )
    transaction.on_commit(lambda: _run_task().delay(sync.pk))


def _fail(sync: HistorySync, reason: str) -> HistorySync:
    HistorySync.objects.filter(pk=sync.pk).update(
        status=SyncStatus.FAILED, failure=reason[:2000], finished_at=timezone.now(), modified_at=timezone.now()
    )
    sync.refresh_from_db()
    return sync


def history_resume_stalled(*, now=None) -> int:
    """Beat: queue the syncs that should be running but are not (a wait is over, or a worker died)."""
    now = now or timezone.now()
    due = list(
        HistorySync.objects.filter(status=SyncStatus.WAITING, resume_at__lte=now).values_list("pk", flat=True)
    ) + list(
        HistorySync.objects.filter(status=SyncStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER).values_list(
            "pk", flat=True
        )
    )
    queued = list(
        HistorySync.objects.filter(status=SyncStatus.QUEUED, modified_at__lt=now - STALE_AFTER).values_list(
            "pk", flat=True
        )
    )
    for sync_id in due + queued:
        _run_task().delay(sync_id)
    return len(due) + len(queued)


@transaction.atomic
def history_retry(*, sync: HistorySync) -> HistorySync:
    """A failed import started again where it stopped (the merchant fixed the credentials, say)."""
    sync = HistorySync.objects.select_for_update().get(pk=sync.pk)
    if sync.status != SyncStatus.FAILED:
        return sync
    if HistorySync.objects.filter(connection_id=sync.connection_id, status__in=OPEN).exists():
        return sync
    sync.status, sync.failure, sync.finished_at = SyncStatus.QUEUED, "", None
    sync.save(update_fields=["status", "failure", "finished_at", "modified_at"])
    transaction.on_commit(lambda: _run_task().delay(sync.pk))
    return sync

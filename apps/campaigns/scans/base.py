"""Running a scan: per store, recorded as a ScanRun, once per local day for daily scans."""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.stores.models import Store

from ..models import ScanRun

logger = logging.getLogger(__name__)
BATCH = 5_000
# A run older than the longest a task may live that never finished is dead (its worker or database went).
ABANDONED_AFTER = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


@dataclass
class ScanResult:
    candidates: int = 0
    messages: int = 0

    def add(self, other: "ScanResult") -> "ScanResult":
        self.candidates += other.candidates
        self.messages += other.messages
        return self


@dataclass(frozen=True)
class Scan:
    name: str
    run: Callable[[Store, datetime], ScanResult]
    daily: bool = False
    local_hour: int = 9  # daily scans run from this local hour of each store's day
    every_minutes: int = 60  # how often beat offers it (a daily scan still runs once per local day)

    @property
    def title(self) -> str:
        """The beat schedule's name (kept as it was when the schedules were listed by hand)."""
        return TITLES.get(self.name, f"Scan: {self.name.replace('_', ' ')}")


TITLES = {"rfm": "Scan: RFM scores"}


SCANS: dict[str, Scan] = {}


def register(scan: Scan) -> Scan:
    SCANS[scan.name] = scan
    return scan


def batches(queryset: QuerySet, *fields: str, size: int = BATCH) -> Iterator[list[tuple]]:
    """Rows of a candidate query in primary-key order, written a batch at a time, from one plain run of
    the query. Paging through it instead (keyset) re-ran a large anti-join per batch, minutes over a
    million orders; a server-side cursor forbids PostgreSQL's parallel plans, and on SQLite an open
    statement would hold back the commit of every batch. Holding the rows costs memory in proportion
    to the candidates: about 80 MB for the 400,000 of a first run over a million-customer store."""
    rows = list(queryset.order_by("pk").values_list("pk", *fields))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run_scan(
    name: str, *, store: Store | None = None, now: datetime | None = None, once_per_day: bool = False
) -> list[ScanRun]:
    """Run a scan for one store or all. With `once_per_day` (beat), a daily scan runs for a store only
    from its local hour and only once per local day; by hand it always runs (and plans nothing twice)."""
    scan = SCANS[name]
    now = now or timezone.now()
    runs = []
    for current in [store] if store else Store.objects.order_by("pk"):
        local = timezone.localtime(now, current.tz)
        local_day = local.date() if (scan.daily and once_per_day) else None
        if local_day and local.hour < scan.local_hour:
            continue
        run = _start(name, current, local_day, now)
        if run is None:
            continue  # already ran today for this store, or is running now
        counter = _QueryCounter()
        try:
            with connection.execute_wrapper(counter):
                result = scan.run(current, now)
        except Exception as exc:
            logger.exception("Scan %s failed for store %s", name, current.slug)
            _record_failure(run, f"{type(exc).__name__}: {exc}", queries=counter.count)
            raise
        ScanRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), candidates=result.candidates, messages_created=result.messages,
            queries=counter.count,
        )  # fmt: skip
        run.refresh_from_db()
        runs.append(run)
    return runs


def _start(name: str, store: Store, local_day, now: datetime) -> ScanRun | None:
    """Record the run; for a daily scan, claim the store's local day first. A run that failed, or that
    started longer ago than any task may live and never finished (its worker or database went away),
    gives the day up to the next attempt; a finished or live one keeps it."""
    try:
        with transaction.atomic():
            if local_day is not None:
                stale = timezone.now() - ABANDONED_AFTER
                given_up = (
                    ScanRun.objects.select_for_update()
                    .filter(name=name, store=store, local_day=local_day)
                    .filter(Q(error__gt="") | Q(finished_at__isnull=True, started_at__lt=stale))
                    .first()
                )
                if given_up is not None:
                    given_up.local_day = None  # frees the day; the row stays as the record of the failure
                    given_up.error = given_up.error or "stopped without finishing (worker or database lost)"
                    given_up.save(update_fields=["local_day", "error"])
            return ScanRun.objects.create(name=name, store=store, local_day=local_day, as_of=now,
                                          started_at=timezone.now())  # fmt: skip
    except IntegrityError:
        return None


def _record_failure(run: ScanRun, error: str, *, queries: int) -> None:
    """Write the error on the run. When the database itself went away (a restart, a killed connection),
    the connection is dead: open a new one for the record, and leave it to the raise if that fails too."""
    for attempt in range(2):
        try:
            ScanRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=error, queries=queries)
            return
        except DatabaseError:
            if attempt == 0 and not connection.in_atomic_block:
                connection.close()
            else:
                logger.exception("Could not record the failure of scan run %s", run.pk)
                return

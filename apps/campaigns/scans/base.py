"""Running a scan: per store, recorded as a ScanRun, once per local day for daily scans."""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.stores.models import Store

from ..models import ScanRun

logger = logging.getLogger(__name__)
BATCH = 5_000


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
    every_minutes: int = 60


SCANS: dict[str, Scan] = {}


def register(scan: Scan) -> Scan:
    SCANS[scan.name] = scan
    return scan


def batches(queryset: QuerySet, *fields: str, size: int = BATCH) -> Iterator[list[tuple]]:
    """Rows of a candidate query in primary-key order, a batch at a time (keyset, no OFFSET)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


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
        try:
            with transaction.atomic():
                run = ScanRun.objects.create(name=name, store=current, local_day=local_day, as_of=now,
                                             started_at=timezone.now())  # fmt: skip
        except IntegrityError:
            continue  # already ran today for this store
        counter = _QueryCounter()
        try:
            with connection.execute_wrapper(counter):
                result = scan.run(current, now)
        except Exception as exc:
            logger.exception("Scan %s failed for store %s", name, current.slug)
            ScanRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}",
                                                     queries=counter.count)  # fmt: skip
            raise
        ScanRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), candidates=result.candidates, messages_created=result.messages,
            queries=counter.count,
        )  # fmt: skip
        run.refresh_from_db()
        runs.append(run)
    return runs

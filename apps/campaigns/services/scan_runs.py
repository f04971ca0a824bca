"""Scan runs started by hand from the dashboard (queued once per store until the run ends)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.stores.models import Store


def scan_queued_key(*, name: str, store_id: int) -> str:
    """The cache mark of a scan queued by hand for a store, until its task ends (or the task time limit)."""
    return f"scan-queued:{store_id}:{name}"


def scan_run_queue(*, store: Store, name: str) -> bool:
    """Queue one run of the scan `name` for the store, on commit; the run itself happens in a worker.
    False, and nothing queued, when the scan is running for the store (an unfinished run younger than the
    task time limit) or is queued and not started yet."""
    from django.conf import settings
    from django.core.cache import cache

    from ..scans import SCANS
    from ..selectors import scan_run_in_progress
    from ..tasks import scan_by_hand_task

    if name not in SCANS:
        raise ValueError(f"no scan named {name!r}")
    limit = settings.CELERY_TASK_TIME_LIMIT
    if scan_run_in_progress(store=store, name=name, since=timezone.now() - timedelta(seconds=limit)):
        return False
    if not cache.add(scan_queued_key(name=name, store_id=store.pk), True, timeout=limit):
        return False
    store_id = store.pk
    transaction.on_commit(lambda: scan_by_hand_task.delay(name, store_id))
    return True

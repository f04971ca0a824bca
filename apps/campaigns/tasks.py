"""Thin Celery wrappers: ids in, a service call, nothing else. Sending is safe to repeat (it claims)."""

from celery import shared_task

from .dispatch import (
    QUEUE_MARKETING,
    QUEUE_TRANSACTIONAL,
    message_send,
    messages_due,
    messages_due_count,
    messages_sweep_stuck,
)


@shared_task(acks_late=True, ignore_result=True)
def message_send_task(message_id: int) -> str:
    return message_send(message_id=message_id).status


MAX_BATCH_TASKS_PER_TICK = 200


@shared_task(acks_late=True, ignore_result=True)
def send_batch_task() -> dict:
    """Claim and send one batch of due marketing mail (sending.batch). Redelivered or run twice, it claims
    only rows still `scheduled`: a batch is never sent twice."""
    from .sending.batch import send_due_batch

    return dict(send_due_batch())


@shared_task(ignore_result=True)
def dispatch_due_task() -> int:
    """Beat runs this every minute: each due order or shipping email becomes its own task on the transactional
    queue (it never waits behind a batch); due marketing mail becomes one batch task per batch on `marketing`."""
    due = messages_due()
    for message_id, transactional in due:
        if transactional:
            message_send_task.apply_async((message_id,), queue=QUEUE_TRANSACTIONAL)
    # Counted on its own: a rush of order emails filling `due` must not hold marketing back for the minute.
    queue_batches(messages_due_count(transactional=False))
    return len(due)


def queue_batches(count: int) -> int:
    """Enough batch tasks for `count` due marketing emails (each claims what is due when it runs)."""
    from .sending.batch import batch_size

    # Capped per tick: a task that finds nothing left to claim ends at once, and the next tick queues more.
    tasks = min(-(-count // batch_size()), MAX_BATCH_TASKS_PER_TICK)
    for _ in range(tasks):
        send_batch_task.apply_async(queue=QUEUE_MARKETING)
    return tasks


@shared_task(ignore_result=True)
def sweep_stuck_task() -> int:
    return messages_sweep_stuck()


def enqueue_now(messages) -> None:
    """Send freshly scheduled messages that are already due without waiting for the next beat tick."""
    from django.utils import timezone

    now = timezone.now()
    marketing = 0
    for message in messages:
        if message.scheduled_for > now:
            continue
        if message.transactional:
            message_send_task.apply_async((message.pk,), queue=QUEUE_TRANSACTIONAL)
        else:
            marketing += 1
    queue_batches(marketing)


@shared_task(ignore_result=True)
def ab_evaluate_task() -> int:
    from .services.variants import ab_evaluate_all

    return ab_evaluate_all()


@shared_task(ignore_result=True)
def scan_task(name: str) -> None:
    """Beat runs each scan on its cadence; each store is its own task, so no task runs long."""
    from apps.stores.models import Store

    for store_id in Store.objects.values_list("pk", flat=True):
        scan_store_task.delay(name, store_id)


@shared_task(ignore_result=True, acks_late=True)
def scan_store_task(name: str, store_id: int) -> int:
    from apps.stores.models import Store

    from .scans import run_scan

    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        return 0
    return sum(run.messages_created for run in run_scan(name, store=store, once_per_day=True))


@shared_task(ignore_result=True, acks_late=True)
def scan_by_hand_task(name: str, store_id: int) -> int:
    """A scan an owner started from the dashboard (services.scan_run_queue): it runs whatever the hour, as
    `manage.py run_scan NAME --store SLUG` does, and plans nothing twice. Its queued mark goes when it ends."""
    from django.core.cache import cache

    from apps.stores.models import Store

    from .scans import run_scan
    from .services.scan_runs import scan_queued_key

    try:
        store = Store.objects.filter(pk=store_id).first()
        if store is None:
            return 0
        return sum(run.messages_created for run in run_scan(name, store=store))
    finally:
        cache.delete(scan_queued_key(name=name, store_id=store_id))

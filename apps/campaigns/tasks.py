"""Thin Celery wrappers: ids in, a service call, nothing else. Sending is safe to repeat (it claims)."""

from celery import shared_task

from .dispatch import message_send, messages_due, messages_sweep_stuck, queue_for_flag


@shared_task(acks_late=True, ignore_result=True)
def message_send_task(message_id: int) -> str:
    return message_send(message_id=message_id).status


@shared_task(ignore_result=True)
def dispatch_due_task() -> int:
    """Beat runs this every minute: hand each due message to a worker on its queue."""
    due = messages_due()
    for message_id, transactional in due:
        message_send_task.apply_async((message_id,), queue=queue_for_flag(transactional))
    return len(due)


@shared_task(ignore_result=True)
def sweep_stuck_task() -> int:
    return messages_sweep_stuck()


def enqueue_now(messages) -> None:
    """Send freshly scheduled messages that are already due without waiting for the next beat tick."""
    from django.utils import timezone

    now = timezone.now()
    for message in messages:
        if message.scheduled_for <= now:
            message_send_task.apply_async((message.pk,), queue=queue_for_flag(message.transactional))


@shared_task(ignore_result=True)
def ab_evaluate_task() -> int:
    from .abtest import ab_evaluate_all

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
    from .services import scan_queued_key

    try:
        store = Store.objects.filter(pk=store_id).first()
        if store is None:
            return 0
        return sum(run.messages_created for run in run_scan(name, store=store))
    finally:
        cache.delete(scan_queued_key(name=name, store_id=store_id))

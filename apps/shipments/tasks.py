"""Thin Celery wrappers for shipments: the nightly relearning of delivery times."""

from celery import shared_task

from apps.stores.models import Store


@shared_task(ignore_result=True)
def transit_relearn_all_task() -> int:
    """Beat runs this nightly: one relearning task per store, so a large store holds up no other."""
    store_ids = list(Store.objects.values_list("pk", flat=True))
    for store_id in store_ids:
        transit_relearn_task.delay(store_id)
    return len(store_ids)


@shared_task(ignore_result=True)
def transit_relearn_task(store_id: int) -> int:
    """Relearn one store's transit times and update its travelling parcels' predictions (idempotent)."""
    from .learning import transit_relearn

    store = Store.objects.filter(pk=store_id).first()
    if store is None:  # deleted since the nightly task listed it
        return 0
    return transit_relearn(store=store).statistics

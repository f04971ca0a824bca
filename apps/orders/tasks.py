"""Thin Celery wrappers for the orders app."""

from celery import shared_task

from apps.stores.models import Store


@shared_task(ignore_result=True)
def best_sellers_refresh_task(store_id: int | None = None) -> int:
    """Beat runs this hourly for every store (and a cold cache asks for one), so no buyer's page and no
    email waits for the best-seller aggregate."""
    from .selectors import best_seller_ids

    store_ids = [store_id] if store_id else list(Store.objects.values_list("pk", flat=True))
    for pk in store_ids:
        best_seller_ids(store_id=pk, refresh=True)
    return len(store_ids)

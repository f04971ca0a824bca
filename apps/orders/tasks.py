"""Thin Celery wrappers for the orders app."""

from celery import shared_task


@shared_task(ignore_result=True)
def best_sellers_refresh_task() -> int:
    """Beat runs this hourly, so no buyer's page waits for the best-seller aggregate."""
    from apps.stores.models import Store

    from .selectors import best_seller_ids

    store_ids = list(Store.objects.values_list("pk", flat=True))
    for store_id in store_ids:
        best_seller_ids(store_id=store_id, refresh=True)
    return len(store_ids)

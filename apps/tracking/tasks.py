from celery import shared_task

from .page_views import page_views_flush


@shared_task
def page_views_flush_task() -> int:
    """Every minute: counted page views from the cache into the database (see page_views.py)."""
    return page_views_flush()

"""Thin Celery wrapper for the dashboard's daily figures."""

from celery import shared_task


@shared_task(ignore_result=True)
def rollups_refresh_task() -> int:
    """Beat runs this every few minutes: each store's recent and changed days are counted again."""
    from .refresh import rollups_refresh_all

    return rollups_refresh_all()

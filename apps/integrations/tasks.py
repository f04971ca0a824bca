from celery import shared_task

from .imports import import_run


@shared_task(acks_late=True)
def import_run_task(job_id: int) -> None:
    """Thin wrapper: the import claims its job, so a redelivered task does not run it twice at once."""
    import_run(job_id=job_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def feed_refresh_task(feed_id: int) -> None:
    from .feed_import import feed_refresh

    feed_refresh(feed_id=feed_id)


@shared_task
def feeds_refresh_due_task() -> int:
    """Beat runs this hourly; each due feed is fetched by its own task."""
    from .feed_import import feeds_due

    due = feeds_due()
    for feed_id in due:
        feed_refresh_task.delay(feed_id)
    return len(due)

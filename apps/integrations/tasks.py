from celery import shared_task

from .services.csv_imports import import_run


@shared_task(acks_late=True)
def import_run_task(job_id: int) -> None:
    """Thin wrapper: the import claims its job, so a redelivered task does not run it twice at once."""
    import_run(job_id=job_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def feed_refresh_task(feed_id: int) -> None:
    from .services.product_feeds import feed_refresh

    feed_refresh(feed_id=feed_id)


@shared_task
def feeds_refresh_due_task() -> int:
    """Beat runs this hourly; each due feed is fetched by its own task."""
    from .services.product_feeds import feeds_due

    due = feeds_due()
    for feed_id in due:
        feed_refresh_task.delay(feed_id)
    return len(due)


# --- Calling out: shops and tracking services (queue "integrations", see CELERY_TASK_ROUTES) -----------


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=20)
def connection_setup_task(self, connection_id: int) -> None:
    from .services.connections import SetupBusy, connection_setup

    try:
        connection_setup(connection_id=connection_id)
    except SetupBusy as exc:  # the other setup finishes first; this one then runs with the newest values
        raise self.retry(countdown=15) from exc


@shared_task(acks_late=True, ignore_result=True)
def connection_teardown_task(connection_id: int) -> None:
    from .services.connections import connection_teardown

    connection_teardown(connection_id=connection_id)


@shared_task(acks_late=True, ignore_result=True)
def history_run_task(sync_id: int) -> None:
    """A slice of a history import; a redelivered task finds the sync taken or resumes it (see history)."""
    from .services.shop_history import history_run

    history_run(sync_id=sync_id)


@shared_task(ignore_result=True)
def history_resume_stalled_task() -> int:
    from .services.shop_history import history_resume_stalled

    return history_resume_stalled()


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8)
def coupon_push_task(self, coupon_id: int) -> None:
    from .services.shop_coupons import PushLater, coupon_push

    try:
        coupon_push(coupon_id=coupon_id)
    except PushLater as exc:
        raise self.retry(countdown=min(exc.countdown, 3600)) from exc


@shared_task(acks_late=True, ignore_result=True)
def registrations_send_task(store_id: int) -> int:
    from .services.tracking_registrations import registrations_send

    return registrations_send(store_id=store_id)


@shared_task(ignore_result=True)
def registrations_sweep_task() -> int:
    from .services.tracking_registrations import registrations_sweep

    return registrations_sweep()


@shared_task(ignore_result=True)
def connection_test_event_task(connection_id: int) -> None:
    from .services.test_events import connection_send_test_event

    connection_send_test_event(connection_id=connection_id)

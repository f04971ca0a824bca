"""Thin Celery wrappers for the critics desk."""

from celery import shared_task

from apps.integrations.calls import CallError

HANDOFF_RETRIES = 5


@shared_task(ignore_result=True)
def cases_escalate_task() -> int:
    """Beat runs this every few minutes: owners hear once about a case past its response target unanswered."""
    from .services.escalations import cases_escalate

    return cases_escalate()


@shared_task(bind=True, ignore_result=True, max_retries=HANDOFF_RETRIES, queue="integrations")
def case_handoff_task(self, case_id: int, user_id: int | None = None) -> bool:
    """Send one case to the store's help desk; a network error, 429 or 5xx is retried with backoff."""
    from .services.handoffs import case_handoff_deliver

    try:
        return case_handoff_deliver(case_id=case_id, user_id=user_id, final=self.request.retries >= self.max_retries)
    except CallError as exc:
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 1800)) from exc

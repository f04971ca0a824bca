from celery import shared_task

from .imports import import_run


@shared_task(acks_late=True)
def import_run_task(job_id: int) -> None:
    """Thin wrapper: the import claims its job, so a redelivered task does not run it twice at once."""
    import_run(job_id=job_id)

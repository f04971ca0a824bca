from celery import shared_task

from .retention import purge_expired


@shared_task(ignore_result=True)
def purge_expired_task() -> dict:
    return purge_expired()

"""Start-up checks that refuse a configuration known to lose or duplicate work."""

from django.conf import settings
from django.core.checks import Error, register


@register("celery")
def visibility_timeout_covers_tasks(app_configs=None, **kwargs):
    """Redis redelivers a task not acknowledged within the visibility timeout. A task (or an ETA)
    longer than that would run twice, so the timeout must exceed the longest of them."""
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    longest = max(settings.CELERY_TASK_TIME_LIMIT, getattr(settings, "CELERY_LONGEST_ETA_SECONDS", 0))
    if timeout <= longest:
        return [
            Error(
                f"CELERY_VISIBILITY_TIMEOUT ({timeout} s) must be longer than the longest task time limit "
                f"or ETA ({longest} s), or Redis will hand the same task to a second worker.",
                hint="Raise CELERY_VISIBILITY_TIMEOUT or lower CELERY_TASK_TIME_LIMIT.",
                id="afterglow.E001",
            )
        ]
    return []

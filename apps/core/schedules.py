"""Every periodic task beat runs. Each app declares its own in its AppConfig.ready (the scans from their
definitions, with the cadence they declare), so no cadence is written twice; `manage.py setup_schedules`
writes them to the database, where django-celery-beat's DatabaseScheduler reads them and the admin can
edit their timing."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_minutes: int | None = None
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week", UTC
    queue: str = "default"
    args: tuple = ()


SCHEDULES: list[Schedule] = []


def schedule_register(*schedules: Schedule) -> None:
    """Declare periodic tasks (idempotent: the same name twice keeps one)."""
    known = {schedule.name for schedule in SCHEDULES}
    SCHEDULES.extend(schedule for schedule in schedules if schedule.name not in known)


schedule_register(
    Schedule("Purge expired payloads and email bodies", "apps.core.tasks.purge_expired_task", crontab="17 3 * * *")
)

"""Every periodic task beat runs, in one place. `manage.py setup_schedules` writes them to the database,
where django-celery-beat's DatabaseScheduler reads them and the admin can edit their timing."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_minutes: int | None = None
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week", UTC
    queue: str = "default"


SCHEDULES: list[Schedule] = [
    Schedule("Refresh product feeds", "apps.integrations.tasks.feeds_refresh_due_task", every_minutes=60),
]

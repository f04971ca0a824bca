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
    args: tuple = ()


SCHEDULES: list[Schedule] = [
    Schedule("Send due emails", "apps.campaigns.tasks.dispatch_due_task", every_minutes=1),
    Schedule("Mark emails stuck mid-send", "apps.campaigns.tasks.sweep_stuck_task", every_minutes=5),
    Schedule("Pick A/B test winners", "apps.campaigns.tasks.ab_evaluate_task", every_minutes=60),
    Schedule("Purge expired payloads and email bodies", "apps.core.tasks.purge_expired_task", crontab="17 3 * * *"),
    Schedule("Refresh product feeds", "apps.integrations.tasks.feeds_refresh_due_task", every_minutes=60),
    Schedule("Refresh best sellers", "apps.orders.tasks.best_sellers_refresh_task", every_minutes=60),
    # Scans: daily ones are offered every hour and run once per store-local day from their local hour.
    Schedule("Scan: abandoned carts", "apps.campaigns.tasks.scan_task", every_minutes=5, args=("abandoned_carts",)),
    Schedule("Scan: overdue reviews", "apps.campaigns.tasks.scan_task", every_minutes=60, args=("overdue_reviews",)),
    Schedule("Scan: delivery watch", "apps.campaigns.tasks.scan_task", every_minutes=60, args=("delivery_watch",)),
    Schedule("Scan: replenishment", "apps.campaigns.tasks.scan_task", every_minutes=60, args=("replenishment",)),
    Schedule("Scan: RFM scores", "apps.campaigns.tasks.scan_task", every_minutes=60, args=("rfm",)),
    Schedule("Scan: lapsed customers", "apps.campaigns.tasks.scan_task", every_minutes=60, args=("lapsed_customers",)),
]

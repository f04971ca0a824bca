from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "apps.tracking"
    label = "tracking"

    def ready(self) -> None:
        from apps.core.schedules import Schedule, schedule_register

        from . import receivers

        receivers.connect()
        schedule_register(
            Schedule(
                "Write counted tracking-page views to the database",
                "apps.tracking.tasks.page_views_flush_task",
                every_minutes=1,
            )
        )

from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "apps.rollups"
    label = "rollups"

    def ready(self) -> None:
        from apps.core.schedules import Schedule, schedule_register

        from .refresh import REFRESH_EVERY_MINUTES

        schedule_register(
            Schedule(
                "Refresh the dashboard's daily figures",
                "apps.rollups.tasks.rollups_refresh_task",
                every_minutes=REFRESH_EVERY_MINUTES,
            )
        )

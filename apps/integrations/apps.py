from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"

    def ready(self) -> None:
        from apps.core.schedules import Schedule, schedule_register

        schedule_register(
            Schedule("Refresh product feeds", "apps.integrations.tasks.feeds_refresh_due_task", every_minutes=60)
        )

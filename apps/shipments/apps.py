from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "apps.shipments"
    label = "shipments"

    def ready(self) -> None:
        from apps.core.schedules import Schedule, schedule_register

        schedule_register(
            Schedule(
                "Relearn delivery times from past deliveries",
                "apps.shipments.tasks.transit_relearn_all_task",
                crontab="43 2 * * *",
            )
        )

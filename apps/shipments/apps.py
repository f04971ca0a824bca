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
        from apps.customers.privacy import personal_data_register

        from .privacy import PERSONAL_DATA

        personal_data_register(PERSONAL_DATA)  # its part of a buyer's GDPR export and erasure

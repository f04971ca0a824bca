from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "apps.orders"
    label = "orders"

    def ready(self) -> None:
        from apps.core.schedules import Schedule, schedule_register

        schedule_register(
            Schedule("Refresh best sellers", "apps.orders.tasks.best_sellers_refresh_task", every_minutes=60)
        )
        from apps.customers.privacy import personal_data_register

        from .privacy import PERSONAL_DATA

        personal_data_register(PERSONAL_DATA)  # its part of a buyer's GDPR export and erasure

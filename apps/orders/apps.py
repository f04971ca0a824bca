from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "apps.orders"
    label = "orders"

    def ready(self) -> None:
        from apps.core.schedules import Schedule, schedule_register

        schedule_register(
            Schedule("Refresh best sellers", "apps.orders.tasks.best_sellers_refresh_task", every_minutes=60)
        )

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"

    def ready(self) -> None:
        from apps.core.schedules import Schedule, schedule_register

        schedule_register(
            Schedule("Refresh product feeds", "apps.integrations.tasks.feeds_refresh_due_task", every_minutes=60),
            Schedule(
                "Resume shop history imports",
                "apps.integrations.tasks.history_resume_stalled_task",
                every_minutes=1,
                queue="integrations",
            ),
            Schedule(
                "Register tracking numbers",
                "apps.integrations.tasks.registrations_sweep_task",
                every_minutes=5,
                queue="integrations",
            ),
        )
        from apps.shipments.events import shipment_created

        from .receivers import register_new_shipment

        shipment_created.connect(register_new_shipment, dispatch_uid="integrations.register_new_shipment")

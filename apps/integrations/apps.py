from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"

    def ready(self) -> None:
        from apps.core.retention import Purge, retention_register
        from apps.core.schedules import Schedule, schedule_register

        from .services.inbound import inbound_payloads_purge
        from .services.outbound_calls import outbound_calls_purge

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
        retention_register(
            Purge("inbound_payloads", "RETENTION_INBOUND_DAYS", inbound_payloads_purge),
            Purge("outbound_calls", "RETENTION_INBOUND_DAYS", outbound_calls_purge),
        )
        # Codes the email engine makes are created in the store's shop first (apps.campaigns.coupon_shop).
        from apps.campaigns.coupon_shop import coupon_shop_register

        from .services import shop_coupons
        from .tasks import coupon_push_task

        coupon_shop_register(
            creates_codes=lambda store_id: shop_coupons.coupon_shop(store_id) is not None, push_task=coupon_push_task
        )
        from apps.shipments.events import shipment_created

        from .receivers import register_new_shipment

        shipment_created.connect(register_new_shipment, dispatch_uid="integrations.register_new_shipment")
        from apps.customers.privacy import personal_data_register

        from .privacy import PERSONAL_DATA

        personal_data_register(PERSONAL_DATA)  # its part of a buyer's GDPR export and erasure

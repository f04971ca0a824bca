from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"

    def ready(self) -> None:
        from apps.core.retention import Purge, retention_register
        from apps.core.schedules import Schedule, schedule_register
        from apps.tracking.blocks import blocks_register

        from . import partitions, receivers  # noqa: F401  (the partition task; domain events and ESP signals)
        from .page_blocks import coupon_for_order
        from .scans import SCANS
        from .services.messages import message_bodies_purge

        retention_register(Purge("message_bodies", "RETENTION_MESSAGE_BODY_DAYS", message_bodies_purge))

        schedule_register(
            Schedule("Send due emails", "apps.campaigns.tasks.dispatch_due_task", every_minutes=1),
            Schedule("Mark emails stuck mid-send", "apps.campaigns.tasks.sweep_stuck_task", every_minutes=5),
            Schedule("Pick A/B test winners", "apps.campaigns.tasks.ab_evaluate_task", every_minutes=60),
            # The coming months' ledger partitions, long before their first row (PostgreSQL; a no-op on SQLite).
            Schedule(
                "Make the ledger's next month partitions",
                "apps.campaigns.partitions.ledger_partitions_task",
                crontab="41 2 * * *",
            ),
            # Daily scans are offered every hour and run once per store-local day from their local hour.
            *(
                Schedule(
                    scan.title, "apps.campaigns.tasks.scan_task", every_minutes=scan.every_minutes, args=(scan.name,)
                )
                for scan in SCANS.values()
            ),
        )
        from apps.customers.privacy import personal_data_register

        from .privacy import PERSONAL_DATA

        personal_data_register(PERSONAL_DATA)  # its part of a buyer's GDPR export and erasure
        blocks_register(coupon_for_order=coupon_for_order)  # the tracking page's coupon block

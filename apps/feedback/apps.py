from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "apps.feedback"
    label = "feedback"

    def ready(self) -> None:
        from anymail.signals import inbound

        from apps.core.schedules import Schedule, schedule_register

        from .receivers import case_reply_inbound

        inbound.connect(case_reply_inbound, dispatch_uid="feedback.case_reply_inbound")
        # Emails link to its pages (apps.campaigns.links); the tracking page shows its NPS prompt and preference
        # centre link (apps.tracking.blocks), and an answer makes the cached page stale.
        from django.db.models.signals import post_delete, post_save

        from apps.campaigns.links import links_register
        from apps.tracking.blocks import blocks_register
        from apps.tracking.receivers import order_part_saved

        from .links import cart_reason_links, nps_scale, preferences_path, preferences_url, unsubscribe_url
        from .models import NpsResponse
        from .selectors import latest_nps_score

        links_register(
            preferences_url=preferences_url,
            unsubscribe_url=unsubscribe_url,
            nps_scale=nps_scale,
            cart_reason_links=cart_reason_links,
        )
        blocks_register(nps_score=latest_nps_score, nps_scale=nps_scale, preferences_path=preferences_path)
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(order_part_saved, sender=NpsResponse, dispatch_uid=f"tracking.pages.{name}.NpsResponse")
        schedule_register(
            Schedule(
                "Escalate critics cases past their response target",
                "apps.feedback.tasks.cases_escalate_task",
                every_minutes=5,
            )
        )
        from apps.customers.privacy import personal_data_register

        from .privacy import PERSONAL_DATA

        personal_data_register(PERSONAL_DATA)  # its part of a buyer's GDPR export and erasure

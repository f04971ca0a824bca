from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "apps.feedback"
    label = "feedback"

    def ready(self) -> None:
        from anymail.signals import inbound

        from apps.core.schedules import Schedule, schedule_register

        from .receivers import case_reply_inbound

        inbound.connect(case_reply_inbound, dispatch_uid="feedback.case_reply_inbound")
        schedule_register(
            Schedule(
                "Escalate critics cases past their response target",
                "apps.feedback.tasks.cases_escalate_task",
                every_minutes=5,
            )
        )

"""Data protection: raw inbound payloads and rendered email bodies are kept only as long as the
settings say; the rows (and the figures they feed) stay, their contents are blanked. The outbound call log
(no contents, only what was called) goes after the same time as inbound payloads."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone


def purge_expired(*, now=None) -> dict[str, int]:
    from apps.campaigns.models import Message
    from apps.integrations.models import InboundEvent, OutboundCall

    now = now or timezone.now()
    inbound_cutoff = now - timedelta(days=settings.RETENTION_INBOUND_DAYS)
    message_cutoff = now - timedelta(days=settings.RETENTION_MESSAGE_BODY_DAYS)
    inbound = (
        InboundEvent.objects.filter(received_at__lt=inbound_cutoff)
        .exclude(body="", headers={})
        .update(body="", headers={}, modified_at=now)
    )
    bodies = (
        Message.objects.filter(scheduled_for__lt=message_cutoff)
        .exclude(body_html="", body_text="")
        .update(body_html="", body_text="", modified_at=now)
    )
    calls, _ = OutboundCall.objects.filter(created_at__lt=inbound_cutoff).delete()
    return {"inbound_payloads": inbound, "message_bodies": bodies, "outbound_calls": calls}

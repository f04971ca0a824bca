"""The outbound call log (`OutboundCall`, written by `calls.ApiClient` for every call out): its retention."""

from datetime import datetime

from ..models import OutboundCall


def outbound_calls_purge(*, before: datetime, now: datetime) -> int:
    """Retention (core/retention.py): the log's rows older than `before` go."""
    deleted, _ = OutboundCall.objects.filter(created_at__lt=before).delete()
    return deleted

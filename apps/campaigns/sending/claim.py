"""Claiming due messages in batches: one statement moves up to `limit` rows scheduled → sending.

On PostgreSQL the inner SELECT locks the rows it picks with FOR UPDATE SKIP LOCKED, so two workers claiming
at once take disjoint sets without waiting on each other; the outer UPDATE re-checks the status, so a row
another actor moved in the meantime is never taken. SQLite has one writer at a time, so the same statement
without the lock clause is already exclusive.
"""

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Message, MessageStatus


def claim_due(*, transactional: bool, limit: int, now=None) -> list[int]:
    """Ids of the due messages this worker now holds (`sending`, one more attempt), most urgent first."""
    now = now or timezone.now()
    table = connection.ops.quote_name(Message._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    sql = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1, modified_at = %s "
        f"WHERE status = %s AND id IN ("
        f"SELECT id FROM {table} WHERE status = %s AND scheduled_for <= %s AND transactional = %s "
        f"ORDER BY priority, scheduled_for, id LIMIT %s{lock}) RETURNING id"
    )
    sending, scheduled = MessageStatus.SENDING.value, MessageStatus.SCHEDULED.value
    at = connection.ops.adapt_datetimefield_value(now)
    params = [sending, at, at, scheduled, scheduled, at, transactional, limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def release(message_ids) -> int:
    """Give rows this worker claimed but will not handle back to the queue, as if never claimed."""
    if not message_ids:
        return 0
    return Message.objects.filter(pk__in=message_ids, status=MessageStatus.SENDING).update(
        status=MessageStatus.SCHEDULED, claimed_at=None, attempts=F("attempts") - 1, modified_at=timezone.now()
    )

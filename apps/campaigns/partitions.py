"""The ledger's month partitions on PostgreSQL: made ahead of time, and whole old months dropped on request.

campaigns_message is partitioned by RANGE (created_at), one partition per UTC month named
campaigns_message_pYYYYMM, plus campaigns_message_default for anything outside them so no insert ever
fails (migration 0009). A daily beat task makes the coming months' partitions before their first row
arrives; a row that still lands in the default partition (a clock far off, an import of old rows) is moved
into its month when that month's partition is made. SQLite has no partitions: every function here is a
no-op there.
"""

from datetime import UTC, date, datetime

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

LEDGER = "campaigns_message"
DEFAULT_PARTITION = f"{LEDGER}_default"
KEYS = "campaigns_messagekey"
MONTHS_AHEAD = 3  # the current month and the next three always have their partition
# Serialises partition changes between two beats, a beat and a deploy, or two operators.
LOCK_KEY = 0x4C454447  # "LEDG"


def claim_trigger_sql(table: str) -> str:
    """The statement trigger that claims the keys of rows inserted into `table` (migration 0009 has its
    function). Statement triggers fire for the table a statement names: the ledger and each partition."""
    return (
        f'CREATE TRIGGER message_claims_its_keys AFTER INSERT ON "{table}" REFERENCING NEW TABLE AS inserted '
        f"FOR EACH STATEMENT EXECUTE FUNCTION campaigns_message_claim_keys()"
    )


def month_start(moment: datetime | date) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{LEDGER}_p{start:%Y%m}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [LEDGER])
        return cursor.fetchone() is not None


def _exists(cursor, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    return cursor.fetchone()[0]


def _create_month(cursor, start: datetime) -> bool:
    """Make one month's partition if missing; True when it was made. Rows of that month waiting in the
    default partition move into it first (ATTACH refuses while the default holds rows of the new range)."""
    name, end = partition_name(start), next_month(start)
    if _exists(cursor, name):
        return False
    quote = connection.ops.quote_name
    # INCLUDING COMPRESSION: the month compresses sent bodies as the ledger does (lz4: migration 0012).
    cursor.execute(
        f"CREATE TABLE {quote(name)} (LIKE {LEDGER} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION)"
    )
    if _exists(cursor, DEFAULT_PARTITION):
        # The rows' keys stay as they are: each message keeps its id and created_at, only its table changes.
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE created_at >= %s AND created_at < %s RETURNING *) "
            f"INSERT INTO {quote(name)} SELECT * FROM moved",
            [start, end],
        )
    # ATTACH builds the partition's indexes, primary key, foreign keys and row triggers from the parent's.
    cursor.execute(f"ALTER TABLE {LEDGER} ATTACH PARTITION {quote(name)} FOR VALUES FROM (%s) TO (%s)", [start, end])
    cursor.execute(claim_trigger_sql(name))
    return True


def ledger_partitions_ensure(*, now: datetime | None = None, months_ahead: int = MONTHS_AHEAD) -> list[str]:
    """Make the partitions of this month and the next `months_ahead`; returns the names made now.
    Idempotent, and safe when two run at once (an advisory lock makes the second wait, then find them)."""
    if not is_partitioned():
        return []
    start = month_start(now or timezone.now())
    made = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        for _ in range(months_ahead + 1):
            if _create_month(cursor, start):
                made.append(partition_name(start))
            start = next_month(start)
    return made


def ledger_partitions() -> list[tuple[str, str]]:
    """Every partition of the ledger with its bounds, oldest first (the default partition last)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname, pg_get_expr(child.relpartbound, child.oid) FROM pg_inherits "
            "JOIN pg_class child ON child.oid = pg_inherits.inhrelid WHERE inhparent = to_regclass(%s) "
            "ORDER BY child.relname = %s, child.relname",
            [LEDGER, DEFAULT_PARTITION],
        )
        return list(cursor.fetchall())


def ledger_month_drop(*, month: date, now: datetime | None = None) -> int:
    """Remove a whole past month of the ledger at the cost of a DROP TABLE, not of deleting its rows:
    its messages' events and coupon links first (no database foreign key points at a partitioned ledger,
    so this does what on_delete would), then the partition, then its keys. Returns the messages removed.

    Not automatic: the ledger's rows feed reports and attribution; core.retention blanks old bodies and
    keeps the rows. Refuses the current month and later ones.
    """
    start = month_start(month)
    if start >= month_start(now or timezone.now()):
        raise ValueError("ledger_month_drop: only months before the current one can be dropped")
    if not is_partitioned():
        raise ValueError("ledger_month_drop: the ledger is not partitioned (PostgreSQL only)")
    name = partition_name(start)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        if not _exists(cursor, name):
            return 0
        cursor.execute(f"SELECT count(*) FROM {name}")
        removed = cursor.fetchone()[0]
        cursor.execute(f"DELETE FROM campaigns_messageevent WHERE message_id IN (SELECT id FROM {name})")
        cursor.execute(f"UPDATE campaigns_coupon SET message_id = NULL WHERE message_id IN (SELECT id FROM {name})")
        # Its keys go with it: a subject of a month this old is history, no scan picks it again.
        cursor.execute(
            f"DELETE FROM {KEYS} USING {name} AS gone WHERE {KEYS}.step_id = gone.step_id "
            f"AND {KEYS}.subject_key = gone.subject_key AND {KEYS}.message_id = gone.id"
        )
        cursor.execute(f"ALTER TABLE {LEDGER} DETACH PARTITION {name}")
        cursor.execute(f"DROP TABLE {name}")
    return removed


@shared_task(ignore_result=True)
def ledger_partitions_task() -> None:
    ledger_partitions_ensure()

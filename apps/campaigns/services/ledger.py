"""Writes into the message ledger, exactly once per (step, subject_key), in one statement per batch.

Callers hand rows (a SELECT, or Message instances) and this module owns how the once-only rule is kept,
so the scans and services do not change when the ledger's storage does:
- SQLite: the table's own unique constraint decides
  (`INSERT … ON CONFLICT (step_id, subject_key) DO NOTHING RETURNING`).
- PostgreSQL, where migration 0009 partitions the ledger by month (docs/operations.md, "The message ledger,
  partitioned by month"): a partitioned table cannot carry that unique constraint, so the same statement first
  claims each row's key in campaigns_messagekey (primary key (step_id, subject_key), `ON CONFLICT DO NOTHING`)
  and inserts only the rows whose claim it won. A second worker inserting the same key waits on the first's
  claim and, once that commits, wins nothing: one row. Any other INSERT into the ledger (an ORM save) claims
  its key through the ledger's trigger and is refused, as a unique violation, when another message holds it.
"""

from collections.abc import Sequence
from itertools import batched

from django.db import connection, transaction
from django.utils import timezone

from ..models import Message
from ..partitions import KEYS, LEDGER

# What a caller must say: the rest of a ledger row has a sensible default, filled in below.
REQUIRED_COLUMNS = frozenset(
    {"store_id", "step_id", "subject_key", "email", "scheduled_for", "status", "transactional", "priority", "trace"}
)


FIELDS_BY_COLUMN = {field.column: field for field in Message._meta.concrete_fields}


ROWS_PER_STATEMENT = 500  # x ~25 columns: far below either database's limit on parameters


def _defaults_for(columns: Sequence[str]) -> tuple[list[str], list]:
    """The NOT NULL ledger columns the SELECT leaves out, with their model defaults as database values
    (created_at/modified_at: now), so a caller never writes a row Django itself would not."""
    now = timezone.now()
    names, values = [], []
    given = set(columns)
    for field in Message._meta.concrete_fields:
        if field.column in given or field.null or field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default() or (field.empty_strings_allowed and not field.null):
            value = field.get_default()  # a CharField without a default gets "", as Django writes it
        else:
            raise ValueError(f"insert_from_select: the SELECT must yield {field.column!r} (no default)")
        names.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return names, values


def _typed(column: str) -> str:
    """The candidate's column, cast on PostgreSQL to the ledger column's type: a CTE settles its column types
    on its own, so a text parameter (a JSON trace, an ISO time) would not be coerced by the INSERT."""
    name = f"candidates.{connection.ops.quote_name(column)}"
    if connection.vendor != "postgresql":
        return name
    return f"CAST({name} AS {FIELDS_BY_COLUMN[column].db_type(connection)})"


def insert_from_select(*, select_sql: str, params: Sequence, columns: Sequence[str]) -> list[tuple[int, str]]:
    """INSERT the rows the SELECT yields into campaigns_message, skipping (step_id, subject_key) already there,
    in one statement on PostgreSQL. `columns` names, in order, the campaigns_message columns the SELECT yields
    (must include store_id, step_id, subject_key, email, scheduled_for, status, transactional, priority, trace,
    and every other NOT NULL column without a DB default). Returns (id, subject_key) of the rows inserted now."""
    return [(pk, key) for pk, _step_id, key in _insert(select_sql, params, columns)]


def _insert(select_sql: str, params: Sequence, columns: Sequence[str]) -> list[tuple[int, int, str]]:
    """insert_from_select, returning (id, step_id, subject_key)."""
    missing = REQUIRED_COLUMNS - set(columns)
    if missing:
        raise ValueError(f"insert_from_select: the SELECT must yield {sorted(missing)}")
    unknown = [column for column in columns if column not in FIELDS_BY_COLUMN or column == "id"]
    if unknown:
        raise ValueError(f"insert_from_select: {unknown} are not ledger columns it may write")
    extra_names, extra_values = _defaults_for(columns)
    quote = connection.ops.quote_name
    names = [*columns, *extra_names]
    target = ", ".join(quote(name) for name in names)
    # The caller's columns (typed) and the defaults, as one row source. A CTE names the SELECT's columns on
    # both databases.
    row = ", ".join([*(f"{_typed(column)} AS {quote(column)}" for column in columns), *("%s" for _ in extra_values)])
    head = f"WITH candidates ({', '.join(quote(column) for column in columns)}) AS ({select_sql})"
    if connection.vendor == "postgresql":
        sql = (
            f"{head}, "
            # MATERIALIZED: each row draws its id once, and the claim and the insert read the same rows.
            f"planned (id, {target}) AS MATERIALIZED ("
            f"SELECT nextval(pg_get_serial_sequence('{LEDGER}', 'id')), {row} FROM candidates), "
            f"claimed AS (INSERT INTO {KEYS} (step_id, subject_key, message_id, message_created_at) "
            f"SELECT step_id, subject_key, id, created_at FROM planned ON CONFLICT DO NOTHING RETURNING message_id) "
            f"INSERT INTO {LEDGER} (id, {target}) SELECT planned.* FROM planned "
            f"JOIN claimed ON claimed.message_id = planned.id RETURNING id, step_id, subject_key"
        )
    else:
        # `WHERE true`: SQLite would otherwise read the ON of ON CONFLICT as a join condition.
        sql = (
            f"{head} INSERT INTO {LEDGER} ({target}) SELECT {row} FROM candidates WHERE true "
            f"ON CONFLICT (step_id, subject_key) DO NOTHING RETURNING id, step_id, subject_key"
        )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [*params, *extra_values])
        return [tuple(row) for row in cursor.fetchall()]


def insert_messages(rows: Sequence[Message]) -> list[Message]:
    """INSERT unsaved ledger rows built in Python through insert_from_select (the same once-only rule), a few
    hundred per statement; returns those inserted now, with their pk set. A (step, subject) that already
    has a row, in the ledger or earlier in `rows`, is skipped."""
    if not rows:
        return []
    fields = [field for field in Message._meta.concrete_fields if not field.primary_key]
    columns = [field.column for field in fields]
    inserted: dict[tuple[int, str], int] = {}
    with transaction.atomic(savepoint=False):
        for chunk in batched(rows, ROWS_PER_STATEMENT):
            values, params = [], []
            for message in chunk:
                values.append(f"({', '.join('%s' for _ in fields)})")
                # pre_save as Django's own INSERT does it: created_at/modified_at set (on the instance too).
                params.extend(field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields)
            select = f"SELECT * FROM (VALUES {', '.join(values)}) AS given"
            for pk, step_id, key in _insert(select, params, columns):
                inserted[(step_id, key)] = pk
    created = []
    for message in rows:
        pk = inserted.pop((message.step_id, message.subject_key), None)
        if pk is not None:
            message.pk = pk
            message._state.adding, message._state.db = False, connection.alias
            created.append(message)
    return created

"""The message ledger, partitioned by month on PostgreSQL; SQLite keeps one table (docs/operations.md, "The
message ledger, partitioned by month").

On PostgreSQL, the existing ledger moves into a table partitioned by RANGE (created_at):
1. the ledger is locked (writers wait; run it with beat and workers stopped on a big ledger),
2. a partitioned table with the same columns, defaults, checks and id sequence position is made, with one
   partition per month from the oldest row to MONTHS_AHEAD months ahead, and a default partition,
3. rows are copied month by month, BATCH rows per statement in id order, straight into their month's
   partition, each batch claiming its rows' keys in campaigns_messagekey in the same statement,
4. the old table is dropped and the new one takes its name; its indexes, primary key (id, created_at),
   foreign keys and the triggers that keep the once-per-(step, subject) rule are then built (indexes once
   per partition, after the load, which is faster than maintaining them row by row).
Ids are copied, so every event, coupon and attribution that names a message still names it. The whole
migration is one transaction: a failure leaves the old ledger as it was.

Going back (migrate campaigns 0008) reverses it: one plain table, the same rows and ids, the unique
constraint on (step, subject_key) and the foreign keys back.
"""

from datetime import UTC, datetime

import django.db.models.deletion
from django.db import migrations, models

from apps.campaigns.partitions import (
    DEFAULT_PARTITION,
    KEYS,
    LEDGER,
    MONTHS_AHEAD,
    claim_trigger_sql,
    month_start,
    next_month,
    partition_name,
)

BATCH = 50_000
OLD = f"{LEDGER}_unpartitioned"
UNIQUE = "message_once_per_step_subject"

# Claims the keys of the rows a statement inserted, once per statement (a row trigger would cost a plpgsql
# call and a query per row on the scans' hot path). The ledger's own statements (campaigns.ledger) have
# claimed theirs already, in the same statement: the anti-join finds them theirs. Any other INSERT (ORM
# saves, imports, COPY, psql) claims here; a row whose key another message holds fails the statement as a
# unique violation on the constraint the model declares, so callers see the IntegrityError they saw before.
# Nested loops: the transition table has no statistics, and a hash join would read every key.
CLAIM_FUNCTION = f"""
CREATE OR REPLACE FUNCTION campaigns_message_claim_keys() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE unclaimed bigint;
BEGIN
    WITH missing AS (
        SELECT i.step_id, i.subject_key, i.id, i.created_at FROM inserted i WHERE NOT EXISTS (
            SELECT 1 FROM {KEYS} k WHERE k.step_id = i.step_id AND k.subject_key = i.subject_key AND k.message_id = i.id
        )
    ), claimed AS (
        INSERT INTO {KEYS} (step_id, subject_key, message_id, message_created_at)
        SELECT step_id, subject_key, id, created_at FROM missing ON CONFLICT DO NOTHING RETURNING 1
    )
    SELECT (SELECT count(*) FROM missing) - (SELECT count(*) FROM claimed) INTO unclaimed;
    IF unclaimed > 0 THEN
        RAISE unique_violation USING CONSTRAINT = '{UNIQUE}', TABLE = '{LEDGER}',
            MESSAGE = format('%s ledger row(s) for a (step, subject_key) another message already holds', unclaimed);
    END IF;
    RETURN NULL;
END $$;
"""


# What a message is about never changes: a new (step, subject) would need a claim of its own.
KEEP_FUNCTION = """
CREATE OR REPLACE FUNCTION campaigns_message_keep_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE integrity_constraint_violation USING MESSAGE = 'a ledger row keeps its step and subject_key';
END $$;
"""


def _indexes(cursor, table: str, *, skip: set[str]) -> list[str]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [table]
    )
    return [sql.replace(" ON ONLY ", " ON ") for name, sql in cursor.fetchall() if name not in skip]


def _foreign_keys(cursor, table: str, *, skip: set[str]) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
        "AND contype = 'f' AND conparentid = 0",
        [table],
    )
    return [(name, sql) for name, sql in cursor.fetchall() if name not in skip]


def _sequence_position(cursor, table: str) -> tuple[int, bool]:
    cursor.execute(f"SELECT last_value, is_called FROM {_sequence(cursor, table)}")
    return cursor.fetchone()


def _sequence(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


def _rename_sequence(cursor, table: str) -> None:
    """The identity sequence gets the name Django gives it (campaigns_message_id_seq)."""
    cursor.execute(f"ALTER SEQUENCE {_sequence(cursor, table)} RENAME TO {LEDGER}_id_seq")


def partition_ledger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {LEDGER} IN ACCESS EXCLUSIVE MODE")
        indexes = _indexes(cursor, LEDGER, skip={f"{LEDGER}_pkey", UNIQUE})
        foreign_keys = _foreign_keys(cursor, LEDGER, skip=set())
        position = _sequence_position(cursor, LEDGER)
        cursor.execute(f"SELECT min(created_at) FROM {LEDGER}")
        oldest = cursor.fetchone()[0]
        cursor.execute(f"ALTER TABLE {LEDGER} RENAME TO {OLD}")

        cursor.execute(
            f"CREATE TABLE {LEDGER} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY "
            f"INCLUDING STORAGE) PARTITION BY RANGE (created_at)"
        )
        cursor.execute("SELECT setval(%s, %s, %s)", [_sequence(cursor, LEDGER), *position])
        cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {LEDGER} DEFAULT")
        now = datetime.now(tz=UTC)
        start, last = month_start(oldest or now), month_start(now)
        for _ in range(MONTHS_AHEAD):
            last = next_month(last)
        months = []
        while start <= last:
            name, end = partition_name(start), next_month(start)
            cursor.execute(
                f"CREATE TABLE {quote(name)} PARTITION OF {LEDGER} FOR VALUES FROM (%s) TO (%s)", [start, end]
            )
            months.append((name, start, end))
            start = end

        for name, start, end in months:
            _copy_month(cursor, name, start, end)
        cursor.execute(f"SELECT count(*) FROM {OLD}")
        (total,) = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {LEDGER}")
        if cursor.fetchone()[0] != total:  # every row has a month by construction; refuse to lose one anyway
            raise RuntimeError("partition_ledger: not every ledger row was copied")

        cursor.execute(f"DROP TABLE {OLD}")
        _rename_sequence(cursor, LEDGER)
        cursor.execute(f"ALTER TABLE {LEDGER} ADD PRIMARY KEY (id, created_at)")
        for sql in indexes:
            cursor.execute(sql)
        for name, sql in foreign_keys:
            cursor.execute(f"ALTER TABLE {LEDGER} ADD CONSTRAINT {quote(name)} {sql}")
        cursor.execute(CLAIM_FUNCTION)
        # On the ledger, and on each partition for an INSERT that names a partition itself.
        for table in [LEDGER, DEFAULT_PARTITION, *(name for name, _, _ in months)]:
            cursor.execute(claim_trigger_sql(table))
        cursor.execute(KEEP_FUNCTION)
        cursor.execute(
            f"CREATE TRIGGER message_keeps_its_key BEFORE UPDATE OF step_id, subject_key ON {LEDGER} FOR EACH ROW "
            f"WHEN (OLD.step_id IS DISTINCT FROM NEW.step_id OR OLD.subject_key IS DISTINCT FROM NEW.subject_key) "
            f"EXECUTE FUNCTION campaigns_message_keep_key()"
        )


def _copy_month(cursor, name: str, start: datetime, end: datetime) -> None:
    """One month, BATCH rows per statement in id order, each batch claiming its keys as it goes."""
    after = 0
    while True:
        cursor.execute(
            f"WITH moved AS (INSERT INTO {name} SELECT * FROM {OLD} "
            f"WHERE created_at >= %s AND created_at < %s AND id > %s ORDER BY id LIMIT %s "
            f"RETURNING id, created_at, step_id, subject_key), "
            f"keyed AS (INSERT INTO {KEYS} (step_id, subject_key, message_id, message_created_at) "
            f"SELECT step_id, subject_key, id, created_at FROM moved) "
            f"SELECT count(*), max(id) FROM moved",
            [start, end, after, BATCH],
        )
        copied, after = cursor.fetchone()
        if copied < BATCH:
            return


def unpartition_ledger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {LEDGER} IN ACCESS EXCLUSIVE MODE")
        indexes = _indexes(cursor, LEDGER, skip={f"{LEDGER}_pkey"})
        foreign_keys = _foreign_keys(cursor, LEDGER, skip=set())
        position = _sequence_position(cursor, LEDGER)
        cursor.execute(f"ALTER TABLE {LEDGER} RENAME TO {OLD}")
        cursor.execute(
            f"CREATE TABLE {LEDGER} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY "
            f"INCLUDING STORAGE)"
        )
        cursor.execute("SELECT setval(%s, %s, %s)", [_sequence(cursor, LEDGER), *position])
        cursor.execute(f"INSERT INTO {LEDGER} SELECT * FROM {OLD} ORDER BY id")
        cursor.execute(f"DROP TABLE {OLD} CASCADE")
        cursor.execute("DROP FUNCTION campaigns_message_claim_keys(), campaigns_message_keep_key()")
        _rename_sequence(cursor, LEDGER)
        cursor.execute(f"ALTER TABLE {LEDGER} ADD PRIMARY KEY (id)")
        cursor.execute(f"ALTER TABLE {LEDGER} ADD CONSTRAINT {UNIQUE} UNIQUE (step_id, subject_key)")
        for sql in indexes:
            cursor.execute(sql)
        for name, sql in foreign_keys:
            cursor.execute(f"ALTER TABLE {LEDGER} ADD CONSTRAINT {quote(name)} {sql}")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0008_default_steps_on_blocks"),
    ]

    operations = [
        # No foreign key can point at a partitioned table's id alone: Django's on_delete does their work.
        migrations.AlterField(
            model_name="coupon",
            name="message",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="coupon",
                to="campaigns.message",
            ),
        ),
        migrations.AlterField(
            model_name="messageevent",
            name="message",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="campaigns.message",
            ),
        ),
        migrations.CreateModel(
            name="MessageKey",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "step", "subject_key", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("subject_key", models.CharField(max_length=120)),
                ("message_id", models.BigIntegerField()),
                ("message_created_at", models.DateTimeField()),
                (
                    "step",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="campaigns.flowstep",
                    ),
                ),
            ],
        ),
        migrations.RunPython(partition_ledger, unpartition_ledger, elidable=False),
    ]

"""Carrier tracking events made by the database, from one small plan row per shipment.

Events are the biggest table of the demo (about five per parcel). Building each as a Python tuple and copying
it in cost more than everything else the seed builds, so Python plans a parcel's story instead: which template
it follows (`demo_event_template`: the events every parcel on the same path, to the same place, tracked by the
same source has in common), its first event id, a random seed, and when its first and last events happened.
One `INSERT … SELECT` per chunk turns the plans into events.

The events between the first and the last fall at deterministic pseudo-random points of the parcel's journey:
each in its own window around where the carrier's pace puts it on average (windows never overlap, so the
events stay in order), picked by integer arithmetic on the plan's seed, identical on PostgreSQL and SQLite.
Times are whole seconds. Both tables are temporary: they live on the seeding connection only.
"""

from collections.abc import Iterable

from django.db import connection

from apps.shipments.models import TrackingEvent

TEMPLATE_TABLE = "demo_event_template"
PLAN_TABLE = "demo_event_plan"
PLAN_COLUMNS = ("shipment_id", "store_id", "first_event", "template", "seed", "started", "ended")
TEMPLATE_COLUMNS = (
    "store_id",
    "template",
    "step",
    "final_step",
    "lo",
    "hi",
    "multiplier",
    "status",
    "raw_status",
    "source",
    "message",
    "city",
    "region",
    "postcode",
    "country",
    "prefix",
)
WINDOW = 10_000  # template windows are in ten-thousandths of the journey
MODULUS = 1_000_003  # a prime: (seed * multiplier) % MODULUS is a parcel's draw for one event
MULTIPLIERS = (0, 2_147_483_629, 2_147_483_587, 2_147_483_579, 2_147_483_563, 2_147_483_549)
INT8 = 20  # PostgreSQL's type oid of bigint, for binary COPY


def windows(paces: tuple) -> list[tuple[int, int]]:
    """Each event's window, in ten-thousandths of the journey: the first at 0, the last at the end, those between
    around their average place (from the paces' means), reaching halfway to their neighbours'."""
    means = [least + spread / 2 for least, spread in paces]
    total = sum(means)
    count = len(paces) + 1
    average, running = [0.0], 0.0
    for mean in means:
        running += mean
        average.append(running / total if total else len(average) / (count - 1))
    result = [(0, 0)]
    for step in range(1, count - 1):
        low = (average[step - 1] + average[step]) / 2
        high = (average[step] + average[step + 1]) / 2
        result.append((int(low * WINDOW), int(high * WINDOW)))
    result.append((WINDOW, WINDOW))
    return result


def create_tables() -> None:
    """The temporary tables, empty (dropped with the transaction on PostgreSQL, replaced here elsewhere)."""
    on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for table in (TEMPLATE_TABLE, PLAN_TABLE):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TEMPLATE_TABLE} (store_id bigint, template bigint, step integer, "
            "final_step integer, lo bigint, hi bigint, multiplier bigint, status varchar(32), raw_status varchar(64), "
            "source varchar(32), message varchar(255), city varchar(128), region varchar(128), postcode varchar(32), "
            f"country varchar(2), prefix varchar(16), PRIMARY KEY (store_id, template, step)){on_commit}"
        )
        columns = ", ".join(f"{column} bigint" for column in PLAN_COLUMNS)
        cursor.execute(f"CREATE TEMPORARY TABLE {PLAN_TABLE} ({columns}){on_commit}")


def drop_tables() -> None:
    with connection.cursor() as cursor:
        for table in (TEMPLATE_TABLE, PLAN_TABLE):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _insert(table: str, columns: Iterable[str], rows: list[tuple]) -> None:
    column_list = ", ".join(columns)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(rows[0])) if rows else ""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", rows[start : start + 2000]
            )


def templates_load(rows: list[tuple]) -> None:
    """The templates of every store, as `StoreBuilder.event_templates` lists them."""
    _insert(TEMPLATE_TABLE, TEMPLATE_COLUMNS, rows)


def plans_load(rows: list[tuple]) -> None:
    """Plan rows (`PLAN_COLUMNS`) made in this process."""
    if rows:
        _insert(PLAN_TABLE, PLAN_COLUMNS, rows)


class PlanCopy:
    """What `apps.demo.bulk.encode_copy` and `copy_encoded` need to move plan rows as binary COPY data."""

    copy_sql = f"COPY {PLAN_TABLE} ({', '.join(PLAN_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    types = [INT8] * len(PLAN_COLUMNS)
    converters: list = []
    missing: list = []


def events_generate() -> int:
    """Turn the plans loaded so far into tracking events, then forget them; returns how many events."""
    postgres = connection.vendor == "postgresql"
    moment = (
        "p.started + t.step + (p.ended - p.started - t.final_step) "
        f"* (t.lo * {MODULUS} + (t.hi - t.lo) * ((p.seed * t.multiplier) % {MODULUS})) / {WINDOW * MODULUS}"
    )
    at = f"to_timestamp({moment})" if postgres else f"datetime({moment}, 'unixepoch')"
    hex_id = "to_hex(p.shipment_id)" if postgres else "printf('%x', p.shipment_id)"
    columns = [
        "id",
        "store_id",
        "shipment_id",
        "occurred_at",
        "status",
        "raw_status",
        "source",
        "message",
        "city",
        "region",
        "postal_code",
        "country",
        "dedupe_key",
        "created_at",
        "modified_at",
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(TrackingEvent._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
            "SELECT id, store_id, shipment_id, at, status, raw_status, source, message, city, region, postcode, "
            "country, dedupe_key, at, at FROM ("
            f"SELECT p.first_event + t.step AS id, p.store_id, p.shipment_id, {at} AS at, t.status, t.raw_status, "
            "t.source, t.message, t.city, t.region, t.postcode, t.country, "
            f"t.prefix || {hex_id} || '-' || t.step AS dedupe_key "
            f"FROM {PLAN_TABLE} p JOIN {TEMPLATE_TABLE} t ON t.store_id = p.store_id AND t.template = p.template"
            ") AS planned"
        )
        generated = cursor.rowcount
        cursor.execute(f"TRUNCATE {PLAN_TABLE}" if postgres else f"DELETE FROM {PLAN_TABLE}")
    return generated

"""Writing many rows fast: COPY on PostgreSQL, batched `executemany` INSERTs elsewhere.

For seeds and imports of millions of rows, where `bulk_create` (one model instance per row) costs
more than the database does. Rows are plain tuples in the order of `fields`; nothing here calls
`save()`, signals or field defaults, so the caller supplies every column that has no database default,
including primary keys (see `next_id`) and `auto_now` timestamps.

    with transaction.atomic():
        lock_tables([Customer])
        first = next_id(Customer)
        bulk_insert(Customer, ["id", "store", "email", "created_at", "modified_at"], rows)
        reset_sequences([Customer])
"""

import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import islice
from typing import Any

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models

# Fields whose Python value needs the backend's adaptation outside PostgreSQL (SQLite keeps datetimes
# as naive UTC text, decimals as text, JSON as text).
_ADAPTED_ELSEWHERE = {
    "DateTimeField",
    "DateField",
    "TimeField",
    "DecimalField",
    "DurationField",
    "JSONField",
    "UUIDField",
}


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[models.Field]:
    opts = model._meta
    return [opts.get_field(name) for name in fields]


def _converters(model_fields: list[models.Field], connection) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, function) for the columns whose values must be turned into what the driver takes."""
    converters = []
    for position, field in enumerate(model_fields):
        internal = field.get_internal_type()
        if connection.vendor == "postgresql":
            # psycopg adapts str, int, bool, Decimal, date and aware datetime itself; JSON goes as text.
            if internal == "JSONField":
                dumps = partial(json.dumps, cls=field.encoder) if field.encoder else json.dumps
                converters.append((position, lambda value, dumps=dumps: None if value is None else dumps(value)))
        elif internal in _ADAPTED_ELSEWHERE:
            converters.append(
                (position, lambda value, field=field: field.get_db_prep_save(value, connection=connection))
            )
    return converters


def _converted(rows: Iterable[tuple], converters) -> Iterable[tuple]:
    if not converters:
        yield from rows
        return
    for row in rows:
        row = list(row)
        for position, convert in converters:
            row[position] = convert(row[position])
        yield row


def bulk_insert(
    model: type[models.Model],
    fields: list[str],
    rows: Iterable[tuple],
    *,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = 2000,
) -> int:
    """Insert `rows` (tuples in the order of `fields`, model field names) into `model`'s table.

    Returns the number of rows written. Run it inside the caller's transaction; it opens none.
    """
    connection = connections[using]
    model_fields = _columns(model, fields)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(field.column) for field in model_fields)
    rows = _converted(rows, _converters(model_fields, connection))
    written = 0

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({column_list}) FROM STDIN"
        ) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
                written += 1
        return written

    sql = f"INSERT INTO {table} ({column_list}) VALUES ({', '.join(['%s'] * len(model_fields))})"
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, batch_size)):
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def next_id(model: type[models.Model], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """The first free primary key above every existing row: hold `lock_tables` while you use it."""
    pk = model._meta.pk
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT MAX({connections[using].ops.quote_name(pk.column)}) "
            f"FROM {connections[using].ops.quote_name(model._meta.db_table)}"
        )
        (highest,) = cursor.fetchone()
    return (highest or 0) + 1


def lock_tables(model_list: Iterable[type[models.Model]], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Keep other writers out of these tables until the transaction ends (reads still go on).

    On PostgreSQL an EXCLUSIVE table lock; SQLite runs IMMEDIATE transactions, which already hold the
    database's write lock. Needed when primary keys are handed out from `next_id`.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in model_list)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def reset_sequences(model_list: Iterable[type[models.Model]], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Move each table's id sequence past its highest id, after inserting explicit ids."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if not statements:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)

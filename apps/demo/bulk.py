"""Writing many rows fast: binary COPY on PostgreSQL, batched `executemany` INSERTs elsewhere.

For the demo seed's millions of rows, where `bulk_create` (one model instance per row) costs
more than the database does. Rows are plain tuples in the order of `fields`, holding each column's
Python value (str, int, bool, Decimal, date, aware datetime, list/dict for JSON). Nothing here calls
`save()` or signals. Fields left out of `fields` get what `Model()` would give them: their default
(a callable one is called per row), `auto_now` timestamps the time of the call, nullable ones NULL.
Primary keys are the caller's to give (see `next_id`), and so are meaningful timestamps.

    with transaction.atomic():
        lock_tables([Customer])
        first = next_id(Customer)
        bulk_insert(Customer, ["id", "store", "email", "created_at", "modified_at"], rows)
        reset_sequences([Customer])

For millions of rows on PostgreSQL: `BulkWriter` copies on a background thread while the caller
builds the next batch; `encode_copy` turns rows into COPY data in worker processes, which the
process holding the transaction loads with `copy_encoded`; and `constraints_deferred` drops the
tables' secondary indexes, unique and foreign-key constraints for the load and builds them again
(checked) at the end, which is many times faster than maintaining them row by row (or, for rows whose
references are right by construction, keeps the foreign keys and skips their checks).
"""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

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


def _adapter(field: models.Field, connection) -> Callable[[Any], Any]:
    """The field's own adaptation for the driver, with shortcuts for SQLite's commonest cases."""

    def adapt(value):
        return field.get_db_prep_save(value, connection=connection)

    internal = field.get_internal_type()
    if connection.vendor != "sqlite":
        return adapt
    if internal == "DateTimeField" and settings.USE_TZ and connection.timezone_name == "UTC":
        # What Django stores: naive UTC text. An aware UTC value needs only its zone taken off.
        def adapt_datetime(value):
            if value is not None and value.tzinfo is not None and not value.utcoffset():
                return str(value.replace(tzinfo=None))
            return adapt(value)

        return adapt_datetime
    if internal == "DecimalField":

        def adapt_decimal(value):
            return str(value) if type(value) is Decimal else adapt(value)

        return adapt_decimal
    return adapt


def _decimal(value: Any) -> Any:
    return value if value is None or type(value) is Decimal else Decimal(str(value))


def _missing(model: type[models.Model], model_fields: list[models.Field]) -> list[tuple[models.Field, Any]]:
    """The fields a row leaves out that the database cannot fill itself, with what to fill them with."""
    given = {field.column for field in model_fields}
    missing = []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key or field.generated:
            continue
        if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            missing.append((field, timezone.now()))
        elif field.has_default():
            missing.append((field, field.default if callable(field.default) else field.get_default()))
        elif field.null:
            continue  # NULL, as the database would have it
        elif (value := field.get_default()) is not None:  # "" for text fields, as Model() has it
            missing.append((field, value))
        else:
            raise ValueError(f"{model.__name__}.{field.name} has no default: give it in `fields`")
    return missing


class _Plan:
    """What it takes to write `fields` of `model` on one connection: SQL, column types, converters."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], connection, typed: bool = False) -> None:
        opts = model._meta
        model_fields = [opts.get_field(name) for name in fields]
        self.given = len(model_fields)
        self.missing = _missing(model, model_fields)
        model_fields += [field for field, _ in self.missing]
        quote = connection.ops.quote_name
        self.table = opts.db_table
        self.columns = [field.column for field in model_fields]
        column_list = ", ".join(quote(column) for column in self.columns)
        self.postgres = connection.vendor == "postgresql"
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        if self.postgres:
            # Binary COPY: psycopg dumps each value as the column's type, so numbers must be Decimals.
            self.converters = [
                (position, _decimal)
                for position, field in enumerate(model_fields)
                if field.get_internal_type() == "DecimalField" and not typed
            ]
            self.copy_sql = f"COPY {quote(self.table)} ({column_list}) FROM STDIN (FORMAT BINARY)"
            self.quoted_table = quote(self.table)
            self.types: list[int] | None = None  # looked up by whoever copies first
        else:
            self.converters = [
                (position, _adapter(field, connection))
                for position, field in enumerate(model_fields)
                if field.get_internal_type() in _ADAPTED_ELSEWHERE
            ]
            placeholders = ", ".join(["%s"] * len(model_fields))
            self.insert_sql = f"INSERT INTO {quote(self.table)} ({column_list}) VALUES ({placeholders})"

    def converted(self, rows: Iterable[tuple]) -> Iterator[Sequence]:
        converters = self.converters
        defaults = [value for _, value in self.missing]
        if not converters and not defaults:
            yield from rows
            return
        per_row = any(callable(value) for value in defaults)
        constants = tuple(defaults)
        for row in rows:
            if per_row:
                row = (*row, *(value() if callable(value) else value for value in defaults))
            elif constants:
                row = (*row, *constants)
            if converters:
                row = list(row)
                for position, convert in converters:
                    row[position] = convert(row[position])
            yield row


_ENCODED_LIMIT = 200_000  # values remembered per type before starting afresh


def _remembering_dumpers(cursor) -> None:
    """Binary dumpers for numeric and jsonb that remember what they encoded.

    psycopg's own spend microseconds per value (numeric goes through `Decimal.as_tuple()`, jsonb through
    `json.dumps`), and a load repeats the same prices and the same short JSON lists millions of times.
    Equal decimals share an encoding, which a column's fixed scale makes harmless.
    """
    from psycopg.types.json import JsonbBinaryDumper
    from psycopg.types.numeric import DecimalBinaryDumper

    class RememberingDecimalDumper(DecimalBinaryDumper):
        def dump(self, obj):
            data = _ENCODED_DECIMALS.get(obj)
            if data is None:
                if len(_ENCODED_DECIMALS) >= _ENCODED_LIMIT:
                    _ENCODED_DECIMALS.clear()
                data = _ENCODED_DECIMALS[obj] = super().dump(obj)
            return data

    class RememberingJsonbDumper(JsonbBinaryDumper):
        def dump(self, obj):
            if type(obj) is not list:
                return super().dump(obj)
            try:
                key = tuple(obj)
                data = _ENCODED_LISTS.get(key)
            except TypeError:  # unhashable items
                return super().dump(obj)
            if data is None:
                if len(_ENCODED_LISTS) >= _ENCODED_LIMIT:
                    _ENCODED_LISTS.clear()
                data = _ENCODED_LISTS[key] = super().dump(obj)
            return data

    cursor.adapters.register_dumper(Decimal, RememberingDecimalDumper)
    cursor.adapters.register_dumper(list, RememberingJsonbDumper)


_ENCODED_DECIMALS: dict = {}
_ENCODED_LISTS: dict = {}


def _copy(raw_connection, plan: _Plan, rows: Iterable[tuple]) -> int:
    """COPY rows through a psycopg 3 connection; the caller's transaction stays open."""
    written = 0
    with raw_connection.cursor() as cursor:
        _remembering_dumpers(cursor)
        _resolve_types(cursor, plan)
        with cursor.copy(plan.copy_sql) as copy:
            copy.set_types(plan.types)
            write_row = copy.write_row
            if isinstance(rows, list) and not plan.converters and not plan.missing:
                for row in rows:
                    write_row(row)
                return len(rows)
            for row in plan.converted(rows):
                write_row(row)
                written += 1
    return written


def copy_plan(
    model: type[models.Model], fields: list[str], *, using: str = DEFAULT_DB_ALIAS, typed: bool = False
) -> _Plan:
    """How `encode_copy` and `copy_encoded` write these fields of this model (PostgreSQL)."""
    connection = connections[using]
    plan = _Plan(model, fields, connection, typed)
    if not plan.postgres:
        raise ValueError("COPY needs PostgreSQL")
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        _resolve_types(cursor, plan)
    return plan


def _resolve_types(cursor, plan: _Plan) -> None:
    if plan.types is None:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped",
            [plan.quoted_table],
        )
        types = dict(cursor.fetchall())
        plan.types = [types[column] for column in plan.columns]


def encode_copy(raw_connection, plan: _Plan, rows: Iterable[tuple], write: Callable[[Any], None]) -> None:
    """Rows as binary COPY data, a complete stream for `copy_encoded`, handed to `write` piece by piece and made
    without touching the database.

    For worker processes: each opens a connection of its own (only its type adapters are used), encodes,
    and hands the data to the process that holds the transaction. `write` must copy a piece before it returns.
    """
    import psycopg
    from psycopg.copy import Writer

    class Hand(Writer):
        def write(self, data) -> None:
            write(data)

    with raw_connection.cursor() as cursor:
        _remembering_dumpers(cursor)
        with psycopg.Copy(cursor, binary=True, writer=Hand()) as copy:
            copy.set_types(plan.types)
            write_row = copy.write_row
            for row in plan.converted(rows) if plan.converters or plan.missing else rows:
                write_row(row)


def copy_encoded(plan: _Plan, data: bytes | memoryview, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """COPY data from `encode_copy` into the plan's table, in the caller's transaction."""
    connection = connections[using]
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(plan.copy_sql) as copy:
        copy.write(data)


def _insert(connection, plan: _Plan, rows: Iterable[tuple], batch_size: int) -> int:
    written = 0
    iterator = iter(plan.converted(rows))
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, batch_size)):
            cursor.executemany(plan.insert_sql, batch)
            written += len(batch)
    return written


def bulk_insert(
    model: type[models.Model],
    fields: list[str],
    rows: Iterable[tuple],
    *,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = 2000,
    typed: bool = False,
) -> int:
    """Insert `rows` (tuples in the order of `fields`, model field names) into `model`'s table.

    Returns the number of rows written. Run it inside the caller's transaction; it opens none.
    `typed` promises every value already has its column's Python type (Decimal for decimals), which
    spares PostgreSQL's binary COPY a conversion per value.
    """
    connection = connections[using]
    plan = _Plan(model, fields, connection, typed)
    if plan.postgres:
        connection.ensure_connection()
        return _copy(connection.connection, plan, rows)
    return _insert(connection, plan, rows, batch_size)


class BulkWriter:
    """`bulk_insert` in the background: on PostgreSQL a thread copies while the caller builds more rows.

    Use it as a context manager inside a transaction, and touch the database no other way until it
    closes (the thread borrows this thread's connection). `written` counts rows per model. Elsewhere it
    writes at once, in the caller's thread.
    """

    def __init__(self, *, using: str = DEFAULT_DB_ALIAS, backlog: int = 16, typed: bool = False) -> None:
        self.connection = connections[using]
        self.typed = typed
        self.written: dict[type[models.Model], int] = {}
        self._plans: dict[tuple, _Plan] = {}
        self._threaded = self.connection.vendor == "postgresql"
        self._error: BaseException | None = None
        if self._threaded:
            self.connection.ensure_connection()
            self._raw = self.connection.connection
            self._jobs: queue.Queue = queue.Queue(maxsize=backlog)
            self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
            self._thread.start()

    def _plan(self, model, fields) -> _Plan:
        key = (model, tuple(fields))
        if key not in self._plans:
            self._plans[key] = _Plan(model, fields, self.connection, self.typed)
        return self._plans[key]

    def write(self, model: type[models.Model], fields: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        plan = self._plan(model, fields)
        if not self._threaded:
            self._count(model, _insert(self.connection, plan, rows, 2000))
            return
        self._raise_if_failed()
        self._jobs.put((model, plan, rows))

    def _count(self, model, written: int) -> None:
        self.written[model] = self.written.get(model, 0) + written

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            model, plan, rows = job
            if self._error is None:
                try:
                    self._count(model, _copy(self._raw, plan, rows))
                except BaseException as error:  # handed to the caller's thread by close()
                    self._error = error

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        if self._threaded and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        self._raise_if_failed()

    def __enter__(self) -> "BulkWriter":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
            return
        # Already failing: stop the thread, keep the first error.
        if self._threaded and self._thread.is_alive():
            self._error = self._error or exc
            self._jobs.put(None)
            self._thread.join()


def next_id(model: type[models.Model], *, using: str = DEFAULT_DB_ALIAS) -> int:
    """The first free primary key above every existing row: hold `lock_tables` while you use it."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(model._meta.db_table)}")
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
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _replica_role_set(connection, tables: list[str]) -> str | None:
    """Switch this transaction's triggers (foreign-key checks among them) off; returns the role to go back to,
    or None when the session may not, or when a table has triggers of its own (they must keep firing)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal", [tables])
        if cursor.fetchone():
            return None
        cursor.execute("SELECT current_setting('session_replication_role')")
        (previous,) = cursor.fetchone()
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            return None
    return previous


def _key_columns(definition: str) -> list[str]:
    """Column names from `UNIQUE (a, b)` or `CREATE INDEX ... USING btree (a DESC, b) WHERE ...`."""
    inside = definition[definition.index("(") + 1 :]
    depth, keys = 0, ""
    for char in inside:
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        keys += char
    return [part.strip().split()[0].strip('"') for part in keys.split(",") if part.strip()]


@contextmanager
def constraints_deferred(
    model_list: Iterable[type[models.Model]],
    *,
    using: str = DEFAULT_DB_ALIAS,
    drop_indexes: bool | Callable[[str, list[str]], bool] = True,
    references_trusted: bool = False,
    progress: Callable[[str], None] | None = None,
):
    """Load without checks: drop the tables' foreign-key constraints (and, with `drop_indexes`, their secondary
    indexes and unique constraints), then create them again, under the same names, when the block ends
    (PostgreSQL; elsewhere nothing).

    `drop_indexes` may also be a function of (table, key columns) that says which to drop: an index whose
    keys arrive in ascending order costs little to keep up during a load, one with random keys is
    cheaper to build afresh at the end.

    Run it inside a transaction: the tables stay locked against everyone else until it commits, and
    if any row breaks a rebuilt constraint the error rolls the whole load back. Primary keys are dropped too
    when no foreign key outside the load points at them (the demo's tracking events, cart lines and consent
    events: a key kept up row by row cost the load more than building it by one sort at the end); check
    constraints and the keys other tables point at stay in place.

    `references_trusted` is for rows whose references are right by construction (the demo's builders hand out
    every id they point at): where the session may (a superuser, or PostgreSQL 15's GRANT SET ON PARAMETER), the
    foreign keys stay in place and are not checked for the rows loaded here, as `pg_restore --disable-triggers`
    loads a dump (`session_replication_role = replica` for the block); checking them afresh costs a join of
    every loaded table with its parents, half a minute at a million customers. Elsewhere, and on tables with
    triggers of their own (which must fire), they are dropped and checked as without it.
    """
    connection = connections[using]
    tables = [connection.ops.quote_name(model._meta.db_table) for model in model_list]
    if connection.vendor != "postgresql" or not tables:
        yield
        return
    if not connection.in_atomic_block:  # each ALTER would commit alone: a failed rebuild would leave tables bare
        raise RuntimeError("constraints_deferred must run inside a transaction (transaction.atomic)")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'f')
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid
                              AND c.contype = 'u')
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indrelid::regclass::text
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                              AND c.conrelid = i.indrelid)
            """,
            [tables],
        )
        indexes = cursor.fetchall()

        def dropped(table: str, definition: str) -> bool:
            return drop_indexes(table, _key_columns(definition)) if callable(drop_indexes) else bool(drop_indexes)

        references = [row for row in constraints if row[2] == "f"]
        replication_role = _replica_role_set(connection, tables) if references_trusted and references else None
        foreign = [] if replication_role else references
        unique = [row for row in constraints if row[2] == "u" and dropped(row[0], row[3])]
        indexes = [row for row in indexes if dropped(row[2], row[1])]
        # A table with deferred checks still pending cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _, _ in foreign + unique:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype = 'p'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
            """,
            [tables],
        )
        primary = [row for row in cursor.fetchall() if dropped(row[0], row[3])]
        for table, name, _, _ in primary:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if progress:
        kept = f"; kept {len(references)} foreign keys, not checked for these rows" if replication_role else ""
        progress(
            f"dropped {len(foreign)} foreign keys, {len(primary)} primary keys, {len(unique)} unique constraints "
            f"and {len(indexes)} indexes{kept}"
        )

    yield

    with connection.cursor() as cursor:
        if replication_role:  # the rest of the transaction fires triggers again
            cursor.execute("SELECT set_config('session_replication_role', %s, true)", [replication_role])
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for table, name, _, definition in primary + unique:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        for _, definition, _ in indexes:
            cursor.execute(definition)
        if progress and (unique or indexes):
            progress(f"rebuilt {len(unique)} unique constraints and {len(indexes)} indexes")
        for table, name, _, definition in foreign:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        if progress and foreign:
            progress(f"checked {len(foreign)} foreign keys")

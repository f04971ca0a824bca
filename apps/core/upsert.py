"""Idempotent writes: rows that may already exist, written by deliveries or workers racing each other."""

from collections.abc import Sequence
from itertools import batched

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction


def lock_or_create(model: type[models.Model], *, lookup: dict, defaults: dict) -> tuple[models.Model, bool]:
    """The row for `lookup`, locked for this transaction, created from `defaults` if missing.

    Two deliveries of the same new object racing each other: one creates, the other hits the unique
    constraint, then finds and locks the winner's row. Call inside `transaction.atomic()`.
    """
    row = model.objects.select_for_update().filter(**lookup).first()
    if row is not None:
        return row, False
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **defaults), True
    except IntegrityError:
        return model.objects.select_for_update().get(**lookup), False


def insert_new(
    objs: Sequence[models.Model], *, returning: Sequence[str], batch_size: int = 500, using: str = DEFAULT_DB_ALIAS
) -> list[tuple]:
    """INSERT unsaved instances of one model, skipping those a unique constraint already holds, and return
    the `returning` fields of the rows this call really inserted.

    `bulk_create(ignore_conflicts=True)` cannot say which rows were new, so callers had to read them
    back; `INSERT … ON CONFLICT DO NOTHING RETURNING` (PostgreSQL, SQLite 3.35+) says it in the same
    statement, exactly, even while another process inserts the same keys. Fields get what `save()`
    would give them (`auto_now` timestamps included); no signals are sent.
    """
    if not objs:
        return []
    model = type(objs[0])
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not (field.primary_key and field.db_returning)]
    columns = ", ".join(quote(field.column) for field in fields)
    returned = ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted: list[tuple] = []
    with connection.cursor() as cursor:
        for chunk in batched(objs, batch_size):
            params = [
                field.get_db_prep_save(field.pre_save(obj, add=True), connection=connection)
                for obj in chunk
                for field in fields
            ]
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
                f"{', '.join([row_placeholder] * len(chunk))} ON CONFLICT DO NOTHING RETURNING {returned}",
                params,
            )
            inserted.extend(cursor.fetchall())
    return inserted

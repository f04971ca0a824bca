"""Idempotent writes: rows that may already exist, written by deliveries or workers racing each other."""

from collections.abc import Sequence
from itertools import batched

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.models.constants import OnConflict


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


def insert_new(objs: Sequence[models.Model], *, returning: Sequence[str], using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """INSERT unsaved instances of one model, skipping those a unique constraint already holds, and return
    the `returning` fields of the rows this call really inserted.

    `bulk_create(ignore_conflicts=True)` cannot say which rows were new, so callers had to read them
    back; `INSERT … ON CONFLICT DO NOTHING RETURNING` (PostgreSQL, SQLite 3.35+) says it in the same
    statement, exactly, even while another process inserts the same keys. This is the insert that
    `bulk_create` itself runs (`QuerySet._insert`: UNNEST arrays on PostgreSQL, `auto_now` filled in),
    asked for the RETURNING clause that `bulk_create` leaves out when it ignores conflicts.
    """
    if not objs:
        return []
    model = type(objs[0])
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if not field.generated and not field.db_returning]
    returning_fields = [model._meta.get_field(name) for name in returning]
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    inserted: list[tuple] = []
    with transaction.atomic(using=using, savepoint=False):
        for chunk in batched(objs, size):
            inserted.extend(
                model._base_manager.using(using)._insert(
                    list(chunk), fields=fields, returning_fields=returning_fields, on_conflict=OnConflict.IGNORE
                )
            )
    return inserted

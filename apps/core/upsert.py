"""Idempotent writes: rows that may already exist, written by deliveries or workers racing each other."""

from django.db import IntegrityError, models, transaction


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

"""Removing the demo stores for `seed_demo --reset`: table by table rather than row by row, and with
TRUNCATE on PostgreSQL when the tables hold nothing but the demo stores' rows."""

import logging
from dataclasses import dataclass
from itertools import pairwise

from django.db import DatabaseError, connection, models, transaction

from apps.demo.profiles import DEMO_SLUG, TEA_SLUG
from apps.stores.models import Store

logger = logging.getLogger(__name__)


@dataclass
class _StoreRows:
    """One table's share of some stores' data: which rows, and whether that is every row of the table."""

    model: type[models.Model]
    where: str  # SQL condition on the table's own columns
    params: list
    whole_table: bool | None  # None: ask the database


def _is_store_key(field) -> bool:
    return field.name == "store" and field.many_to_one and field.related_model is Store


def _store_tables(store_ids: list[int]) -> list[_StoreRows]:
    """Every table holding rows of these stores, children before the tables they point to.

    Tenant tables (a `store` foreign key) select by store; tables without one (ledger events, many-to-many
    links) by their foreign keys into those. Tables that only the store row itself points at are left to
    the ORM's delete of the store.
    """
    from django.apps import apps

    quote = connection.ops.quote_name
    existing = set(connection.introspection.table_names())
    candidates = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table in existing and not model._meta.proxy
    ]
    placeholders = ", ".join(["%s"] * len(store_ids))
    found: dict[type[models.Model], _StoreRows] = {}
    for model in candidates:
        store_field = next((f for f in model._meta.concrete_fields if _is_store_key(f)), None)
        if store_field:
            found[model] = _StoreRows(model, f"{quote(store_field.column)} IN ({placeholders})", list(store_ids), None)
    grew = True
    while grew:  # tables pointing into what is found so far
        grew = False
        for model in candidates:
            if model in found:
                continue
            links = [
                f
                for f in model._meta.concrete_fields
                if f.many_to_one and f.related_model in found and f.related_model is not model
            ]
            if not links:
                continue
            conditions, params = [], []
            for link in links:
                parent = found[link.related_model]
                conditions.append(
                    f"{quote(link.column)} IN (SELECT {quote(link.target_field.column)} "
                    f"FROM {quote(parent.model._meta.db_table)} WHERE {parent.where})"
                )
                params += parent.params
            whole = any(not link.null for link in links) and all(
                found[link.related_model].whole_table is not False for link in links if not link.null
            )
            found[model] = _StoreRows(model, " OR ".join(conditions), params, None if whole else False)
            grew = True

    # Children first: a table goes once nothing left points at it.
    ordered: list[_StoreRows] = []
    remaining = list(found)
    while remaining:
        for model in remaining:
            pointed_at = any(
                f.many_to_one and f.related_model is model
                for other in remaining
                if other is not model
                for f in other._meta.concrete_fields
            )
            if not pointed_at:
                ordered.append(found[model])
                remaining.remove(model)
                break
        else:  # a cycle: the rest in any order, foreign keys are checked at commit
            ordered.extend(found[model] for model in remaining)
            break
    return ordered


def demo_stores_delete() -> int:
    """Remove both demo stores and everything in them, table by table rather than row by row.

    On PostgreSQL, when those tables hold nothing but the demo stores' rows, they are truncated.
    """
    store_ids = list(Store.objects.filter(slug__in=[DEMO_SLUG, TEA_SLUG]).values_list("pk", flat=True))
    if not store_ids:
        return 0
    quote = connection.ops.quote_name
    tables = _store_tables(store_ids)
    deleted = 0
    if connection.vendor == "postgresql" and _all_theirs(tables, store_ids):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(GREATEST(reltuples, 0)), 0) FROM pg_class WHERE oid = ANY(%s::regclass[])",
                [[quote(t.model._meta.db_table) for t in tables]],
            )
            estimate = int(cursor.fetchone()[0])
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(quote(t.model._meta.db_table) for t in tables)}")
            deleted = estimate
            tables = []
        except DatabaseError as error:  # something else points into these tables: delete instead
            logger.info("demo seed: deleting instead of truncating (%s)", error)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {quote(table.model._meta.db_table)} WHERE {table.where}", table.params)
            deleted += cursor.rowcount
    # Whatever else hangs off the store rows goes the ordinary way.
    Store.objects.filter(pk__in=store_ids).delete()
    return deleted + len(store_ids)


def _all_theirs(tables: list[_StoreRows], store_ids: list[int]) -> bool:
    """Do these tables hold the stores' rows and nothing else?"""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            if table.whole_table is False:
                return False
            store_field = next((f for f in table.model._meta.concrete_fields if _is_store_key(f)), None)
            if table.whole_table is None and store_field is not None:
                # Ranges around the stores' ids, so the store index answers without reading the table.
                column = quote(store_field.column)
                ids = sorted(store_ids)
                ranges = [f"{column} < %s", f"{column} > %s"]
                params = [ids[0], ids[-1]]
                for low, high in pairwise(ids):
                    ranges.append(f"({column} > %s AND {column} < %s)")
                    params += [low, high]
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {quote(table.model._meta.db_table)} WHERE {' OR '.join(ranges)})",
                    params,
                )
                if cursor.fetchone()[0]:
                    return False
    return True

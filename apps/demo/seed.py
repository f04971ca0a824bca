"""The demo stores behind `manage.py seed_demo`: a believable shop with customers, orders, shipments and carts.

The store, the people and their roles go through `apps.stores.services`; the catalogue is built with
factory-boy (`catalogue.py`); the bulk rows (customers, consent history, orders, lines, shipments,
carts) are plain tuples (`builder.py`) written with `apps.demo.bulk` (binary COPY on PostgreSQL, batched
INSERTs elsewhere), a chunk of customers at a time, and the carrier events are made by the database from
one plan row per shipment (`events.py`), so a million customers take minutes rather than hours. That is
the one place where rows are written without the domain services: replaying millions of webhooks through
them is what the seed exists to avoid.

Big loads on PostgreSQL build and encode chunks in worker processes (`loading.py`) and load the tables
without their secondary indexes, which are rebuilt before the single transaction commits: if anything
fails, the database is as it was (old demo stores included). The builders hand out every id they point
at, so a session that may (a superuser's) keeps the foreign keys and skips their checks for these rows, as
`pg_restore` does; elsewhere they are dropped and checked at the end (tests check every reference).
Each phase prints how long it took; the last line says where the CPU went.
"""

import gc
import os
import random
import time
from datetime import timedelta
from typing import TextIO

from django.db import connection, transaction
from django.utils import timezone

from apps.demo.builder import StoreBuilder
from apps.demo.bulk import constraints_deferred, lock_tables, next_id, reset_sequences
from apps.demo.catalogue import create_catalogue
from apps.demo.loading import LoadTimes, write_here, write_in_workers
from apps.demo.people import name_pools
from apps.demo.profiles import (
    COFFEE,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DEMO_SLUG,
    HISTORY_DAYS,
    MANAGER_EMAIL,
    OWNER_EMAIL,
    SUPPORT_EMAIL,
    TEA,
    TEA_CUSTOMERS,
)
from apps.demo.reset import demo_stores_delete
from apps.demo.rows import BULK_MODELS
from apps.orders.models import Order
from apps.stores.models import Role, Store
from apps.stores.services import membership_grant, store_create, user_get_or_create

CHUNK_CUSTOMERS = 10_000
DEFER_INDEXES_FROM = 20_000  # customers: from here on, load without indexes and rebuild them after
PARALLEL_FROM = 20_000  # customers: from here on (and on PostgreSQL), build chunks in worker processes
MAX_WORKERS = 4


class Progress:
    """Prints each phase as it ends: what was done, how long it took, the time since the start, and the CPU
    this process and its database backend spent on it (a busy machine stretches the wall time, not those)."""

    def __init__(self, stdout: TextIO | None, backend: "_BackendCpu | None" = None) -> None:
        self.stdout = stdout
        self.backend = backend
        self.started = self.last = time.monotonic()
        self.cpu_started = self.cpu_last = time.process_time()
        self.backend_last = backend.used() if backend else None

    def __call__(self, message: str) -> None:
        now, cpu = time.monotonic(), time.process_time()
        took, self.last = now - self.last, now
        spent, self.cpu_last = cpu - self.cpu_last, cpu
        used = f"cpu here {spent:.1f} s"
        backend = self.backend.used() if self.backend else None
        if backend is not None and self.backend_last is not None:
            used += f", database {backend - self.backend_last:.1f} s"
        self.backend_last = backend
        if self.stdout is not None:
            self.stdout.write(f"{message} · {took:.1f} s (at {now - self.started:.0f} s; {used})\n")
            flush = getattr(self.stdout, "flush", None)
            if flush:
                flush()


def demo_store_exists() -> bool:
    return Store.objects.filter(slug=DEMO_SLUG).exists()


def demo_store_seed(
    *, scale: int = DEFAULT_SCALE, reset: bool = False, stdout: TextIO | None = None, seed: int = DEFAULT_SEED
) -> dict:
    """Build the demo stores; returns row counts, or {"already_seeded": True} when there is nothing to do.

    One transaction: if anything fails, the database is as it was (old demo stores included).
    """
    if scale < 1:
        raise ValueError("scale is the number of customers: 1 or more")
    if demo_store_exists() and not reset:
        return {"already_seeded": True}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived, acyclic tuples: the cycle collector would double the run time
    try:
        return _seed(scale=scale, reset=reset, stdout=stdout, seed=seed)
    finally:
        if gc_was_enabled:
            gc.enable()


def _seed(*, scale: int, reset: bool, stdout: TextIO | None, seed: int) -> dict:
    now = timezone.now().replace(microsecond=0)
    postgres = connection.vendor == "postgresql"
    backend_cpu = _BackendCpu() if postgres else None
    progress = Progress(stdout, backend_cpu)
    counts: dict[str, int] = {}

    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        if reset:
            deleted = demo_stores_delete()
            if deleted:
                progress(f"removed the old demo stores ({deleted:,} rows)")
        stores = _create_stores(scale=scale, seed=seed, now=now, counts=counts)
        progress(f"created the stores, their people and {counts['products']} products")
        builders = _plan(stores, seed=seed, now=now, progress=progress)
        defer = postgres and scale >= DEFER_INDEXES_FROM and _worth_rebuilding(scale)
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if postgres and scale >= PARALLEL_FROM else 1
        with constraints_deferred(
            BULK_MODELS if defer else [], drop_indexes=_rebuilt_after, references_trusted=True, progress=progress
        ):
            load = write_in_workers(builders, workers, progress) if workers > 1 else write_here(builders, progress)
            _add(counts, load.counts)
            progress(
                f"all rows written ({sum(load.counts.values()):,}): waited {load.waiting:.1f} s for rows, "
                f"copied for {load.copying:.1f} s"
            )
        reset_sequences(BULK_MODELS)
    progress("committed")

    if postgres:
        with connection.cursor() as cursor:
            for model in BULK_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        progress("analyzed the bulk tables")
        _report_cpu(progress, load, backend_cpu)
    if scale <= RELEARN_UP_TO:
        _learn_delivery_times(stores, now=now, progress=progress)
    counts["seconds"] = round(time.monotonic() - progress.started, 1)
    return counts


# A merchant opening the demo sees predicted delivery days and their accuracy at once, as the nightly task would
# leave them. Past this size the seed leaves it to that task (minutes over millions of parcels).
RELEARN_UP_TO = 50_000


def _learn_delivery_times(stores: list[tuple], *, now, progress) -> None:
    from apps.shipments.learning import transit_relearn

    for store, *_rest in stores:
        learned = transit_relearn(store=store, now=now)
        progress(f"learned {store.slug}'s delivery times from {learned.deliveries:,} parcels")


def _create_stores(*, scale: int, seed: int, now, counts: dict[str, int]) -> list[tuple]:
    """Both stores through the stores' services, their people and roles, and their catalogues."""
    rnd = random.Random(seed)
    since = now - timedelta(days=HISTORY_DAYS + 30)
    owner = user_get_or_create(email=OWNER_EMAIL, password=DEMO_PASSWORD, first_name="Dana", last_name="Demo")
    manager = user_get_or_create(email=MANAGER_EMAIL, password=DEMO_PASSWORD, first_name="Marco", last_name="Bianchi")
    support = user_get_or_create(email=SUPPORT_EMAIL, password=DEMO_PASSWORD, first_name="Sofia", last_name="Kim")
    stores = []
    for profile, customers in ((COFFEE, scale), (TEA, TEA_CUSTOMERS)):
        store = store_create(slug=profile.slug, name=profile.name, **profile.brand)
        Store.objects.filter(pk=store.pk).update(created_at=since)
        membership_grant(store=store, user=owner, role=Role.OWNER)
        if profile is COFFEE:
            membership_grant(store=store, user=manager, role=Role.MANAGER)
            membership_grant(store=store, user=support, role=Role.SUPPORT)
        products = create_catalogue(store, profile, rnd, since)
        _add(counts, {"stores": 1, "products": len(products)})
        stores.append((store, profile, products, customers))
    return stores


def _plan(stores: list[tuple], *, seed: int, now, progress) -> list[StoreBuilder]:
    """Every store's order times and each chunk's id ranges, handed out above the tables' highest ids."""
    lock_tables(BULK_MODELS)
    next_ids = {model: next_id(model) for model in BULK_MODELS}
    pools = name_pools(seed)
    builders = []
    for store, profile, products, customers in stores:
        builder = StoreBuilder(
            store=store,
            profile=profile,
            products=products,
            customers=customers,
            next_ids=next_ids,
            seed=seed,
            pools=pools,
            now=now,
            chunk_customers=CHUNK_CUSTOMERS,
        )
        progress(f"{profile.slug}: planned {builder.order_count:,} orders for {customers:,} customers")
        builders.append(builder)
    return builders


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        counts[name] = counts.get(name, 0) + value


def _rebuilt_after(table: str, columns: list[str]) -> bool:
    """Which secondary indexes and unique constraints to drop for the load and build afresh after it.

    Every one whose keys go beyond the store. Kept up row by row they cost PostgreSQL more CPU than the
    COPY itself (measured per chunk of 10,000 customers: 6.3 s with the in-order ones kept, 2.5 s
    without); built by one sort each at the end, the database's CPU for a 200,000-customer seed fell
    from 118 s to 82 s, rebuild included. Indexes on the store alone take the rows in order and stay.
    """
    return any(column != "store_id" for column in columns)


def _worth_rebuilding(scale: int) -> bool:
    """Rebuilding indexes costs the whole table: do it when the load is at least as big as what is there."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(Order._meta.db_table)],
        )
        (existing,) = cursor.fetchone()
    return scale * 4 >= existing


class _BackendCpu:
    """CPU seconds of this connection's PostgreSQL backend, when it runs on this machine (else None)."""

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (self.pid,) = cursor.fetchone()
        self.started = self.used()

    def used(self) -> float | None:
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # a database on another machine, or no /proc
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def since_start(self) -> float | None:
        used = self.used()
        return None if used is None or self.started is None else used - self.started


def _report_cpu(progress, load: LoadTimes, backend: "_BackendCpu | None") -> None:
    """Where the CPU went, so a run on a busy machine still says what the seed itself costs."""
    parts = [f"this process {time.process_time() - progress.cpu_started:.0f} s"]
    if load.workers_cpu:
        parts.append(f"workers {load.workers_cpu:.0f} s")
    database = backend.since_start() if backend else None
    if database is not None:
        parts.append(f"database backend {database:.0f} s (parallel index workers not counted)")
    progress(f"cpu: {', '.join(parts)}")

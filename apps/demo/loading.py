"""Writing the builders' rows: here, chunk after chunk (COPY on a thread meanwhile), or, for big loads on
PostgreSQL, built and encoded in worker processes while this process copies the bytes in, in order.

Python makes the rows one core at a time and PostgreSQL takes them in on another: workers let every
core build while the database loads. The workers are forked, so they share the builders and COPY plans,
and they never use this process's connection: each opens its own, only for psycopg's type adapters.
Tracking events come as plans, which the database turns into events (`apps.demo.events`) chunk by chunk.
"""

import gc
import multiprocessing
import multiprocessing.util
import os
import time
from collections import deque
from dataclasses import dataclass, field

from django.db import connection

from apps.demo import events
from apps.demo.builder import StoreBuilder
from apps.demo.bulk import BulkWriter, copy_encoded, copy_plan, encode_copy
from apps.demo.rows import Chunk, Rows


@dataclass
class LoadTimes:
    """Where a load's time went: waiting for rows to be built, and copying them in (seconds)."""

    waiting: float = 0.0
    copying: float = 0.0
    workers_cpu: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def write_here(builders: list[StoreBuilder], progress) -> LoadTimes:
    """Build and write chunk after chunk in this process (COPY runs on a thread meanwhile)."""
    times = LoadTimes()
    _events_prepare(builders)
    plans: list[tuple] = []
    with BulkWriter(typed=True) as writer:
        for builder in builders:
            for chunk in builder.chunks:
                started = time.monotonic()
                rows = builder.build(chunk)
                times.waiting += time.monotonic() - started
                started = time.monotonic()
                rows.write(writer)
                plans += rows.event_plans
                times.copying += time.monotonic() - started
                progress(f"{builder.profile.slug}: customers {chunk.stop:,} / {builder.customers:,}")
    started = time.monotonic()
    events.plans_load(plans)
    generated = events.events_generate()
    events.drop_tables()
    times.copying += time.monotonic() - started
    times.counts = {name: writer.written.get(model, 0) for name, model, _ in Rows.TABLES}
    times.counts["tracking_events"] = generated
    return times


def _events_prepare(builders: list[StoreBuilder]) -> None:
    events.create_tables()
    events.templates_load([row for builder in builders for row in builder.event_templates()])


# What forked workers find in place: the builders and the COPY plans (see write_in_workers).
_WORK: dict = {}


def write_in_workers(builders: list[StoreBuilder], workers: int, progress) -> LoadTimes:
    """Build and encode chunks in worker processes; this process only copies the bytes in, in order."""
    plans = {name: copy_plan(model, fields, typed=True) for name, model, fields in Rows.TABLES}
    _WORK.update(builders=builders, plans=plans)
    jobs = iter([(index, chunk) for index, builder in enumerate(builders) for chunk in builder.chunks])
    times = LoadTimes(counts=dict.fromkeys([*plans, "tracking_events"], 0))
    _events_prepare(builders)
    children_before = _children_cpu()
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=_worker_start) as pool:
            pending: deque = deque()

            def submit() -> None:
                job = next(jobs, None)
                if job is not None:
                    pending.append((job, pool.apply_async(_worker_build, job)))

            for _ in range(workers * 2):  # a few chunks ahead, no more: each is tens of megabytes
                submit()
            while pending:
                (index, chunk), result = pending.popleft()
                started = time.monotonic()
                encoded = result.get()
                times.waiting += time.monotonic() - started
                submit()
                started = time.monotonic()
                event_plans = encoded.pop("event_plans", None)
                for name, (data, count) in encoded.items():
                    copy_encoded(plans[name], data)
                    times.counts[name] += count
                if event_plans is not None:  # after their shipments: the events are made from the plans now
                    copy_encoded(events.PlanCopy, event_plans[0])
                    times.counts["tracking_events"] += events.events_generate()
                times.copying += time.monotonic() - started
                progress(f"{builders[index].profile.slug}: customers {chunk.stop:,} / {builders[index].customers:,}")
            pool.close()
            pool.join()
    finally:
        _WORK.clear()
    events.drop_tables()
    times.workers_cpu = _children_cpu() - children_before
    return times


def _children_cpu() -> float:
    used = os.times()
    return used.children_user + used.children_system


def _worker_start() -> None:
    gc.disable()  # millions of short-lived, acyclic tuples: the cycle collector would double the run time
    raw = connection.get_new_connection(connection.get_connection_params())
    _WORK["connection"] = raw
    multiprocessing.util.Finalize(None, raw.close, exitpriority=10)


def _worker_build(index: int, chunk: Chunk) -> dict[str, tuple[bytes, int]]:
    rows = _WORK["builders"][index].build(chunk)
    encoded = {}
    for name, _, _ in Rows.TABLES:
        table_rows = getattr(rows, name)
        if table_rows:
            encoded[name] = (encode_copy(_WORK["connection"], _WORK["plans"][name], table_rows), len(table_rows))
    if rows.event_plans:
        plans = rows.event_plans
        encoded["event_plans"] = (encode_copy(_WORK["connection"], events.PlanCopy, plans), len(plans))
    return encoded

"""Writing the builders' rows: here, chunk after chunk (COPY on a thread meanwhile), or, for big loads on
PostgreSQL, built and encoded in worker processes while this process copies the bytes in, in order.

Python makes the rows one core at a time and PostgreSQL takes them in on another: workers let every
core build while the database loads. The workers are forked, so they share the builders and COPY plans,
and they never use this process's connection: each opens its own, only for psycopg's type adapters.
A worker writes a chunk's COPY data (about 80 MB per 10,000 customers) into a slot of memory shared with
this process, which hands it to PostgreSQL from there: sent back through the pool's pipe instead, the
data cost this process a quarter of a second of CPU per chunk to receive, on a core the load needs.
Tracking events come as plans, which the database turns into events (`apps.demo.events`) chunk by chunk.
"""

import gc
import mmap
import multiprocessing
import multiprocessing.util
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

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


# What forked workers find in place: the builders, the COPY plans and the shared slots (see write_in_workers).
_WORK: dict = {}
SLOT_BYTES = 160 * 1024 * 1024  # twice a chunk of 10,000 customers; a bigger chunk's data comes through the pipe


class _Slots:
    """Anonymous shared memory made before the workers fork: one slot per chunk in flight."""

    def __init__(self, count: int, size: int) -> None:
        self.size = size
        self.memory = mmap.mmap(-1, count * size)  # MAP_SHARED: the forked workers see what the others write
        self.view = memoryview(self.memory)
        self.free = list(range(count))

    def slot(self, number: int) -> memoryview:
        return self.view[number * self.size : (number + 1) * self.size]

    def close(self) -> None:
        self.view.release()
        self.memory.close()


class _SlotWriter:
    """Where a worker puts one table's COPY data: its slot while the data fits, else a bytearray."""

    def __init__(self, slot: memoryview, start: int) -> None:
        self.slot, self.start, self.end = slot, start, start
        self.spill: bytearray | None = None

    def write(self, data) -> None:
        if self.spill is None:
            stop = self.end + len(data)
            if stop <= len(self.slot):
                self.slot[self.end : stop] = data
                self.end = stop
                return
            self.spill = bytearray(self.slot[self.start : self.end])
        self.spill += data

    def where(self) -> tuple[int, int] | bytes:
        """What goes back through the pipe: where in the slot the data lies (start, end), or the data itself."""
        return (self.start, self.end) if self.spill is None else bytes(self.spill)


def write_in_workers(builders: list[StoreBuilder], workers: int, progress) -> LoadTimes:
    """Build and encode chunks in worker processes; this process only copies the data in, in order."""
    plans: dict[str, Any] = {name: copy_plan(model, fields, typed=True) for name, model, fields in Rows.TABLES}
    plans["event_plans"] = events.PlanCopy
    ahead = workers * 2  # a few chunks ahead, no more: each is tens of megabytes
    slots = _Slots(ahead + 1, SLOT_BYTES)  # one more for the chunk being copied in
    _WORK.update(builders=builders, plans=plans, slots=slots)
    jobs = iter([(index, chunk) for index, builder in enumerate(builders) for chunk in builder.chunks])
    times = LoadTimes(counts=dict.fromkeys([*(name for name, _, _ in Rows.TABLES), "tracking_events"], 0))
    _events_prepare(builders)
    children_before = _children_cpu()
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=_worker_start) as pool:
            pending: deque = deque()

            def submit() -> None:
                job = next(jobs, None)
                if job is not None:
                    number = slots.free.pop()
                    pending.append((job, number, pool.apply_async(_worker_build, (*job, number))))

            for _ in range(ahead):
                submit()
            while pending:
                (index, chunk), number, result = pending.popleft()
                started = time.monotonic()
                encoded = result.get()
                times.waiting += time.monotonic() - started
                submit()
                started = time.monotonic()
                with slots.slot(number) as slot:
                    for name, (where, count) in encoded.items():  # event plans last: after their shipments
                        if isinstance(where, bytes):  # spilled: too big for its slot
                            copy_encoded(plans[name], where)
                        else:
                            with slot[slice(*where)] as data:
                                copy_encoded(plans[name], data)
                        if name != "event_plans":
                            times.counts[name] += count
                slots.free.append(number)
                if "event_plans" in encoded:  # the events are made from the plans now
                    times.counts["tracking_events"] += events.events_generate()
                times.copying += time.monotonic() - started
                progress(f"{builders[index].profile.slug}: customers {chunk.stop:,} / {builders[index].customers:,}")
            pool.close()
            pool.join()
    finally:
        _WORK.clear()
        slots.close()
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


def _worker_build(index: int, chunk: Chunk, number: int) -> dict[str, tuple[tuple[int, int] | bytes, int]]:
    rows = _WORK["builders"][index].build(chunk)
    encoded, position = {}, 0
    with _WORK["slots"].slot(number) as slot:
        for name in [*(name for name, _, _ in Rows.TABLES), "event_plans"]:
            table_rows = getattr(rows, name)
            if table_rows:
                writer = _SlotWriter(slot, position)
                encode_copy(_WORK["connection"], _WORK["plans"][name], table_rows, writer.write)
                encoded[name] = (writer.where(), len(table_rows))
                position = writer.end
    return encoded

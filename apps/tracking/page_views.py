"""Views of tracking-page blocks, counted in the shared cache and written to the database once a minute.

A page view costs no database write: it adds one to a counter for (minute, store, blocks shown). Each web
process adds up its views for up to PUSH_EVERY_SECONDS, then pushes them into the cache with one atomic
increment per counter (on Redis, INCRBY: one round trip), so the busiest page does not pay a round trip per
view. The first push to a counter in its minute also registers the counter in the minute's member list (an
incremented index, then the member under it), so the flush can find every counter with plain cache reads;
Django's cache API has no key scan. Views held back past their minute's flush moment go into the current
minute instead of a minute already written: late by a minute at most, never lost.

`page_views_flush` (the beat task in tasks.py, every minute) writes each closed minute to PageViewCount
and records the minute in PageViewFlush in the same transaction: a second flush of a minute, a retried
task or two beats at once add nothing. A minute is closed FLUSH_GRACE_SECONDS after it ends, so a request
that counted on the boundary is in.

What a restart loses: a web process that stops normally pushes what it holds (atexit); one killed outright
loses its last PUSH_EVERY_SECONDS of views. Workers and beat restarting lose nothing (the counts live in
Redis). Losing Redis itself (a restart without persistence, a flush of the cache) loses the views counted
since the last flush: at most one flush interval (a minute) plus the grace. Counters not flushed within
COUNTER_SECONDS (the beat stopped for two days) expire and are lost too.
"""

import atexit
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils import timezone

from apps.stores.models import Store

from .models import PageBlock, PageViewCount, PageViewFlush

SLOT_SECONDS = 60
FLUSH_GRACE_SECONDS = 5
PUSH_EVERY_SECONDS = 1.0
COUNTER_SECONDS = 2 * 24 * 60 * 60
BACKLOG_SLOTS = COUNTER_SECONDS // SLOT_SECONDS
CURSOR_KEY = "tracking:views:flushed-through"


def _slot(moment: datetime) -> int:
    return int(moment.timestamp()) // SLOT_SECONDS


def _counter_key(slot: int, member: str) -> str:
    return f"tracking:views:{slot}:c:{member}"


def _size_key(slot: int) -> str:
    return f"tracking:views:{slot}:n"


def _member_key(slot: int, index: int) -> str:
    return f"tracking:views:{slot}:m:{index}"


def _incr(key: str) -> int | None:
    try:
        return cache.incr(key)
    except ValueError:  # not there (yet, or any more)
        return None


def _incr_creating(key: str, delta: int = 1) -> int:
    """Add `delta` to a counter, creating it: Redis's INCRBY, one round trip (Django's `incr` checks that the
    key exists first, a second one). Other caches: add, else incr. The result equals `delta` only for the
    increment that created the counter."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(key, write=True).incr(backend.make_and_validate_key(key), delta)
    if cache.add(key, delta, COUNTER_SECONDS):
        return delta
    try:
        return cache.incr(key, delta)
    except ValueError:  # expired between add and incr: count afresh
        return _incr_creating(key, delta)


_pending: Counter = Counter()  # (slot, member) → views this process has not pushed yet
_pending_lock = threading.Lock()  # threaded workers share it
_pushed_at = time.monotonic()


def page_view_count(*, store_id: int, blocks, now: datetime | None = None) -> None:
    """Count one view of each block shown on a page of this store (pushed to the cache within a second)."""
    global _pushed_at
    shown = sorted({str(block) for block in blocks})
    if not shown:
        return
    with _pending_lock:
        _pending[(_slot(now or timezone.now()), f"{store_id}:{','.join(shown)}")] += 1
        due = time.monotonic() - _pushed_at >= PUSH_EVERY_SECONDS
        if due:
            _pushed_at = time.monotonic()
    if due:
        page_views_push(now=now)


def page_views_push(*, now: datetime | None = None) -> int:
    """Move the views this process holds into the cache counters; returns how many."""
    with _pending_lock:
        pending = dict(_pending)
        _pending.clear()
    moment = (now or timezone.now()).timestamp()
    current = int(moment) // SLOT_SECONDS
    merged: Counter = Counter()
    for (slot, member), views in pending.items():
        # A minute whose flush may have begun gets the views in the current minute, not in none.
        too_late = moment >= (slot + 1) * SLOT_SECONDS + FLUSH_GRACE_SECONDS / 2
        merged[(current if too_late else slot, member)] += views
    for (slot, member), views in merged.items():
        key = _counter_key(slot, member)
        if _incr_creating(key, views) == views:  # this push made the counter: expiry, and list it for the flush
            cache.touch(key, COUNTER_SECONDS)
            _register(slot, member)
    return sum(merged.values())


atexit.register(page_views_push)


def _register(slot: int, member: str) -> None:
    size_key = _size_key(slot)
    cache.add(size_key, 0, COUNTER_SECONDS)
    index = _incr(size_key)
    if index is None:
        cache.set(size_key, 1, COUNTER_SECONDS)
        index = 1
    cache.set(_member_key(slot, index), member, COUNTER_SECONDS)


def _slot_counts(slot: int) -> tuple[Counter, list[str]]:
    """(views per (store id, block), the cache keys read) of one slot."""
    size = cache.get(_size_key(slot)) or 0
    member_keys = [_member_key(slot, index) for index in range(1, size + 1)]
    members = set(cache.get_many(member_keys).values())
    counter_keys = {_counter_key(slot, member): member for member in members}
    views: Counter = Counter()
    for key, count in cache.get_many(list(counter_keys)).items():
        store_id, _sep, blocks = counter_keys[key].partition(":")
        for block in blocks.split(","):
            if block in PageBlock.values:
                views[(int(store_id), block)] += int(count)
    return views, [_size_key(slot), *member_keys, *counter_keys]


def _flush_slot(slot: int) -> int:
    views, keys = _slot_counts(slot)
    if not views:
        return 0
    counted_at = datetime.fromtimestamp(slot * SLOT_SECONDS, tz=UTC)
    stores = set(Store.objects.filter(pk__in={store_id for store_id, _block in views}).values_list("pk", flat=True))
    rows = [
        PageViewCount(store_id=store_id, block=block, counted_at=counted_at, views=n)
        for (store_id, block), n in sorted(views.items())
        if store_id in stores  # a store deleted since: its views go with it
    ]
    with transaction.atomic():
        _flush, created = PageViewFlush.objects.get_or_create(slot=slot, defaults={"views": sum(r.views for r in rows)})
        if not created:
            return 0
        PageViewCount.objects.bulk_create(rows)
    cache.delete_many(keys)
    return sum(row.views for row in rows)


def _newest_closed(now: datetime) -> int:
    """The newest slot whose views are all in: over, and by FLUSH_GRACE_SECONDS."""
    return _slot(now) - 1 if int(now.timestamp()) % SLOT_SECONDS >= FLUSH_GRACE_SECONDS else _slot(now) - 2


def page_views_flush(*, now: datetime | None = None) -> int:
    """Write every closed, unwritten minute of counted views to the database; returns the views written."""
    page_views_push()  # this process's own (none in beat; the views of a test)
    now = now or timezone.now()
    newest_closed = _newest_closed(now)
    oldest_kept = _slot(now) - BACKLOG_SLOTS
    cursor = cache.get(CURSOR_KEY)
    if cursor is None:
        cursor = oldest_kept - 1
    slots = range(max(cursor + 1, oldest_kept), newest_closed + 1)
    with_views = cache.get_many([_size_key(slot) for slot in slots])  # one read for the whole backlog
    written = 0
    for slot in slots:
        if with_views.get(_size_key(slot)):
            written += _flush_slot(slot)
    # Never past the real clock: a flush told of a later `now` (a benchmark emptying the counters) must
    # not make the next real flushes skip minutes.
    cache.set(CURSOR_KEY, max(cursor, min(newest_closed, _newest_closed(timezone.now()))), COUNTER_SECONDS)
    # Slots older than the counters cannot be flushed again: their records have done their job.
    PageViewFlush.objects.filter(slot__lt=oldest_kept).delete()
    return written

"""Page-view analytics counted in the cache and flushed to the database by a beat task: no write per view,
the dashboard's totals unchanged, and a flush never counts a minute twice."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache, caches
from django.utils import timezone

from apps.core.schedules import SCHEDULES
from apps.tracking import page_views
from apps.tracking.models import PageEvent, PageViewCount, PageViewFlush
from apps.tracking.page_views import CURSOR_KEY, page_view_count, page_views_flush
from apps.tracking.selectors import page_block_counts, page_block_counts_by_day
from tests.orders.factories import OrderFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=2)


@pytest.fixture
def order():
    """A page that shows social links and the newsletter form (no recommendations, no coupon)."""
    return OrderFactory(store=StoreFactory(social_links={"instagram": "https://instagram.com/shop"}))


def views_of(store) -> dict[str, int]:
    return {block: n["views"] for block, n in page_block_counts(store=store).items() if n["views"]}


def test_views_are_counted_without_a_database_write_then_flushed_once(client, order, django_assert_num_queries):
    # given three views of the page (the first finds the order, the second caches it) and a link checker's HEAD
    for _ in range(2):
        client.get(order.get_tracking_url())
    with django_assert_num_queries(0):
        client.get(order.get_tracking_url())
    client.head(order.get_tracking_url())
    assert not PageEvent.objects.exists() and not PageViewCount.objects.exists()
    # when the beat flushes
    assert page_views_flush(now=timezone.now() + LATER) == 6
    # then the merchant's report counts each view of each block once
    assert views_of(order.store) == {"social": 3, "newsletter": 3}
    # and a second flush adds nothing
    assert page_views_flush(now=timezone.now() + LATER) == 0
    assert views_of(order.store) == {"social": 3, "newsletter": 3}


def test_a_flush_that_died_before_clearing_the_cache_is_not_counted_again(client, order, monkeypatch):
    client.get(order.get_tracking_url())
    # the first flush commits, then its process dies before it clears the counters and moves its cursor
    monkeypatch.setattr(page_views.cache, "delete_many", lambda keys: None)
    monkeypatch.setattr(page_views.cache, "set", lambda *args, **kwargs: None)
    assert page_views_flush(now=timezone.now() + LATER) == 2
    monkeypatch.undo()
    assert cache.get(CURSOR_KEY) is None
    # the next run finds the same counters, and the minute already written
    assert page_views_flush(now=timezone.now() + LATER) == 0
    assert views_of(order.store) == {"social": 1, "newsletter": 1}
    assert PageViewFlush.objects.count() == 1


def test_the_current_minute_is_written_only_once_it_is_over(order):
    page_view_count(store_id=order.store_id, blocks=["social"], now=datetime(2026, 3, 14, 12, 0, 30, tzinfo=UTC))
    assert page_views_flush(now=datetime(2026, 3, 14, 12, 0, 59, tzinfo=UTC)) == 0
    assert page_views_flush(now=datetime(2026, 3, 14, 12, 1, 2, tzinfo=UTC)) == 0  # a request may still count
    assert page_views_flush(now=datetime(2026, 3, 14, 12, 1, 6, tzinfo=UTC)) == 1
    row = PageViewCount.objects.get()
    assert (row.block, row.views, row.counted_at) == ("social", 1, datetime(2026, 3, 14, 12, 0, tzinfo=UTC))


def test_counts_are_kept_per_store_and_minute_and_by_day_in_the_stores_zone(order):
    other = StoreFactory()
    first = datetime(2026, 3, 14, 22, 30, tzinfo=UTC)  # 23:30 in Rome
    for moment, store, blocks in [
        (first, order.store, ["social", "newsletter"]),
        (first, order.store, ["social"]),
        (first + timedelta(hours=1), order.store, ["social"]),  # 00:30 in Rome: the next day
        (first, other, ["coupon"]),
    ]:
        page_view_count(store_id=store.pk, blocks=blocks, now=moment)
    assert page_views_flush(now=first + timedelta(hours=2)) == 5
    assert views_of(order.store) == {"social": 3, "newsletter": 1}
    assert views_of(other) == {"coupon": 1}
    days = page_block_counts_by_day(store=order.store, since=first - timedelta(days=1), until=first + timedelta(days=1))
    assert days == {
        datetime(2026, 3, 14).date(): {"social": [2, 0], "newsletter": [1, 0]},
        datetime(2026, 3, 15).date(): {"social": [1, 0]},
    }


def test_a_web_process_pushes_its_views_each_second_and_late_ones_into_the_current_minute(order, monkeypatch):
    monkeypatch.setattr(page_views, "PUSH_EVERY_SECONDS", 3600)
    viewed = datetime(2026, 3, 14, 12, 0, 30, tzinfo=UTC)
    for _ in range(3):
        page_view_count(store_id=order.store_id, blocks=["social"], now=viewed)
    # held in the process: nothing in the shared cache yet, so another process's flush finds nothing
    assert cache.get(page_views._size_key(page_views._slot(viewed))) is None
    # pushed only after its minute's flush may have begun: counted in the current minute, not lost
    pushed = datetime(2026, 3, 14, 12, 1, 4, tzinfo=UTC)
    assert page_views.page_views_push(now=pushed) == 3
    assert page_views_flush(now=pushed) == 0  # 12:00 was empty after all; 12:01 is still open
    assert page_views_flush(now=pushed + LATER) == 3
    row = PageViewCount.objects.get()
    assert (row.views, row.counted_at) == (3, datetime(2026, 3, 14, 12, 1, tzinfo=UTC))


def test_flushed_views_and_recorded_rows_add_up_in_the_report(order):
    PageEvent.objects.create(store=order.store, order=order, block="social", kind="view")
    PageEvent.objects.create(store=order.store, order=order, block="social", kind="click")
    page_view_count(store_id=order.store_id, blocks=["social"])
    page_views_flush(now=timezone.now() + LATER)
    assert page_block_counts(store=order.store)["social"] == {"views": 2, "clicks": 1, "click_rate": 0.5}


def test_views_of_a_store_deleted_before_the_flush_are_dropped(order):
    page_view_count(store_id=order.store_id, blocks=["social"])
    order.store.delete()
    assert page_views_flush(now=timezone.now() + LATER) == 0


def test_the_flush_runs_every_minute_from_beat():
    from apps.tracking.tasks import page_views_flush_task

    (schedule,) = [s for s in SCHEDULES if s.task == "apps.tracking.tasks.page_views_flush_task"]
    assert schedule.every_minutes == 1
    assert page_views_flush_task() == 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL=redis://... (CI does)")
def test_on_redis_a_view_is_one_increment_and_the_flush_reads_it(order, settings):
    # given the production cache backend (one INCR per view, not Django's exists-then-incr)
    settings.CACHES = {"default": {"BACKEND": "apps.core.redis_cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}
    cache.clear()
    moment = timezone.now()
    for _ in range(3):
        page_view_count(store_id=order.store_id, blocks=["social", "newsletter"], now=moment)
    page_view_count(store_id=order.store_id, blocks=["social"], now=moment)
    # then the counters carry an expiry, and one flush writes them, once
    backend = caches["default"]
    key = backend.make_and_validate_key(page_views._counter_key(page_views._slot(moment), f"{order.store_id}:social"))
    assert 0 < backend._cache.get_client(key).ttl(key) <= page_views.COUNTER_SECONDS
    assert page_views_flush(now=moment + LATER) == 7
    assert page_views_flush(now=moment + LATER) == 0
    assert views_of(order.store) == {"social": 4, "newsletter": 3}
    cache.clear()

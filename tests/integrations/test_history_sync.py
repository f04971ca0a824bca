"""A shop's history import: page by page, resumable after a killed worker or a rate limit, never twice."""

import dataclasses
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.integrations import registry
from apps.integrations.calls import RateLimited, Unauthorized
from apps.integrations.models import ConnectionState, HistorySync, SyncStatus
from apps.integrations.remotes import HistoryPage
from apps.integrations.services import shop_history
from apps.integrations.services.shop_history import history_resume_stalled, history_retry, history_run, history_start
from tests.integrations import fake_remote

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(monkeypatch):
    script = fake_remote.install(monkeypatch, "shopify")
    script.pages = {
        "products": [HistoryPage(items=["p1", "p2"], next_cursor=None, total=2)],
        "customers": [HistoryPage(items=["c1"], next_cursor=None, total=1)],
        "orders": [HistoryPage(items=[f"o{n}", f"o{n}b"], next_cursor=None, total=6) for n in range(3)],
    }
    return script


@pytest.fixture
def connection(connect):
    return connect("shopify", api_token="shpat_x", state=ConnectionState.CONNECTED)


@pytest.fixture
def queued(monkeypatch):
    """Tasks the runner queued, instead of a broker."""
    sent: list[int] = []

    class Task:
        def delay(self, sync_id):
            sent.append(sync_id)

        def apply_async(self, args, eta=None):
            sent.append(args[0])

    monkeypatch.setattr(shop_history, "_run_task", lambda: Task())
    return sent


def test_an_import_walks_every_stage_and_page_once(shop, connection, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sync = history_start(connection=connection, days=365)
    assert queued == [sync.pk]

    sync = history_run(sync_id=sync.pk)
    history_run(sync_id=sync.pk)  # a redelivered task: nothing more

    assert sync.status == SyncStatus.DONE and sync.percent == 100
    assert [stage for stage, _ in shop.applied] == ["products", "customers", "orders", "orders", "orders"]
    assert sync.counts == {
        "products": {"done": 2, "total": 2},
        "customers": {"done": 1, "total": 1},
        "orders": {"done": 6, "total": 6},
    }
    assert sync.since < timezone.now() - timedelta(days=364)


def test_starting_twice_gives_the_import_already_under_way(shop, connection, queued):
    first = history_start(connection=connection, days=30)
    assert history_start(connection=connection, days=30) == first
    assert HistorySync.objects.count() == 1


def test_a_killed_worker_resumes_at_the_page_it_had_not_finished(shop, connection, queued, monkeypatch):
    sync = history_start(connection=connection, days=365)
    shop.failures = []

    # The worker dies while fetching the second orders page (after products, customers, orders page 1).
    original = shop.pages["orders"]

    class Killed(BaseException):
        pass

    calls = {"n": 0}
    real_page = shop_history.remote_for("shopify").history_page

    def dying_page(conn, stage, cursor, since):
        calls["n"] += 1
        if stage == "orders" and cursor == "1" and calls["n"] < 10:
            raise Killed
        return real_page(conn, stage, cursor, since)

    remote = shop_history.remote_for("shopify")
    monkeypatch.setitem(registry.remotes(), "shopify", dataclasses.replace(remote, history_page=dying_page))
    with pytest.raises(Killed):
        history_run(sync_id=sync.pk)
    sync.refresh_from_db()
    assert (sync.status, sync.stage, sync.cursor) == (SyncStatus.RUNNING, "orders", "1")

    # Another worker does not take it while the heartbeat is fresh; the sweeper does once it is stale.
    assert history_run(sync_id=sync.pk) is None
    assert history_resume_stalled() == 0
    calls["n"] = 100
    with time_machine.travel(timezone.now() + shop_history.STALE_AFTER + timedelta(seconds=5)):
        assert history_resume_stalled() == 1
        sync = history_run(sync_id=sync.pk)

    assert sync.status == SyncStatus.DONE
    applied_orders = [items for stage, items in shop.applied if stage == "orders"]
    assert applied_orders == [tuple(page.items) for page in original]  # every page once, none twice


def test_a_rate_limit_parks_the_import_until_the_shop_is_ready(shop, connection, queued):
    sync = history_start(connection=connection, days=365)
    shop.failures = [RateLimited("slow down", status=429, retry_after=40)]

    sync = history_run(sync_id=sync.pk)

    assert sync.status == SyncStatus.WAITING
    assert sync.resume_at > timezone.now() + timedelta(seconds=30)
    assert history_run(sync_id=sync.pk) is None  # too early
    assert history_resume_stalled() == 0
    with time_machine.travel(sync.resume_at + timedelta(seconds=1)):
        assert history_resume_stalled() == 1
        assert history_resume_stalled() == 1  # still due until a worker takes it; taking it twice is harmless
        sync = history_run(sync_id=sync.pk)
    assert sync.status == SyncStatus.DONE
    assert len(shop.applied) == 5


def test_refused_credentials_fail_the_import_and_mark_the_connection(shop, connection, queued):
    sync = history_start(connection=connection, days=365)
    shop.failures = [Unauthorized("https://shop/graphql.json refused our credentials (HTTP 401).", status=401)]

    sync = history_run(sync_id=sync.pk)

    assert sync.status == SyncStatus.FAILED and "credentials" in sync.failure
    connection.refresh_from_db()
    assert connection.state == ConnectionState.FAILING and "credentials" in connection.last_error

    sync = history_retry(sync=sync)
    assert sync.status == SyncStatus.QUEUED
    assert history_run(sync_id=sync.pk).status == SyncStatus.DONE


def test_a_long_import_hands_over_between_slices(shop, connection, queued, django_capture_on_commit_callbacks):
    sync = history_start(connection=connection, days=365)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sync = history_run(sync_id=sync.pk, slice_seconds=0)

    sync.refresh_from_db()
    assert sync.status == SyncStatus.QUEUED and queued == [sync.pk]
    assert len(shop.applied) == 1  # a slice with no time left still moves the import one page on
    runs = 1
    while sync.status != SyncStatus.DONE:
        history_run(sync_id=sync.pk, slice_seconds=0)
        sync.refresh_from_db()
        runs += 1
    assert len(shop.applied) == 5 and runs == 5

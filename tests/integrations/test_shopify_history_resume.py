"""A Shopify history import over several pages survives what real shops and workers do to it: a 429 with a
long Retry-After, and a worker killed in the middle of a page. It resumes where it stopped, writes every
row once, and emails nobody. Against the local Shopify stand-in (shopify_fake.py)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.campaigns.models import Message
from apps.customers.models import Customer
from apps.integrations.models import HistorySync, OutboundCall, SyncStatus
from apps.integrations.services import shop_history
from apps.integrations.services.shop_history import history_resume_stalled, history_run, history_start
from apps.orders.models import Order, Product
from tests.integrations.shopify_fake import TOKEN, FakeShopify
from tests.integrations.test_shopify_remote import flows  # noqa: F401  (every flow on: history must start none)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_shop(settings, httpserver, monkeypatch):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.SHOPIFY_ADMIN_BASE_URL = httpserver.url_for("/").rstrip("/")
    monkeypatch.setattr(shop_history, "_run_task", lambda: NoBroker())


class NoBroker:
    """Tasks the runner queues go nowhere: this test plays the workers and the sweeper itself."""

    def delay(self, *args):
        pass

    def apply_async(self, *args, **kwargs):
        pass


@pytest.fixture
def shop(httpserver, settings):
    return FakeShopify(httpserver, version=settings.SHOPIFY_API_VERSION)


class WorkerKilled(BaseException):
    """What SIGKILL looks like from inside: nothing after it runs, no except clause catches it."""


def test_an_import_survives_a_429_and_a_killed_worker_and_writes_everything_once(
    connect,
    store,
    shop,
    flows,  # noqa: F811
    monkeypatch,
):
    connection = connect("shopify", "secret", address="northwind.myshopify.com", api_token=TOKEN)
    sync = history_start(connection=connection, days=3650)

    # the shop answers the second customers page with a 429 and a long Retry-After
    shop.script("AfterglowCustomers", {"errors": "Throttled"}, status=429, headers={"Retry-After": "90"})
    sync = history_run(sync_id=sync.pk)
    assert sync.status == SyncStatus.WAITING and sync.stage == "customers"
    assert sync.resume_at >= timezone.now() + timedelta(seconds=85)
    assert history_run(sync_id=sync.pk) is None  # a worker that comes early leaves it waiting

    # when the wait is over, a worker resumes; it is killed while writing the first orders page
    remote = shop_history.remote_for("shopify")
    real_apply = remote.history_apply
    kills = {"left": 1}

    def apply_then_die(conn, stage, items):
        written = real_apply(conn, stage, items)
        if stage == "orders" and kills["left"]:
            kills["left"] -= 1
            raise WorkerKilled  # after the rows, before the cursor: the transaction dies with the worker
        return written

    from dataclasses import replace

    from apps.integrations import registry

    monkeypatch.setitem(registry.remotes(), "shopify", replace(remote, history_apply=apply_then_die))
    with time_machine.travel(sync.resume_at + timedelta(seconds=1)):
        assert history_resume_stalled() == 1
        with pytest.raises(WorkerKilled):
            history_run(sync_id=sync.pk)
    sync.refresh_from_db()
    assert (sync.status, sync.stage, sync.cursor) == (SyncStatus.RUNNING, "orders", "")
    assert not Order.objects.filter(store=store).exists()  # the killed page's rows went with its transaction

    # then the sweeper finds the silent import and a new worker finishes it
    with time_machine.travel(sync.heartbeat_at + shop_history.STALE_AFTER + timedelta(minutes=1)):
        assert history_resume_stalled() == 1
        sync = history_run(sync_id=sync.pk)
        history_run(sync_id=sync.pk)  # the redelivered task: nothing more

    assert sync.status == SyncStatus.DONE and sync.percent == 100
    assert Order.objects.filter(store=store).count() == 3
    assert all(order.is_history for order in Order.objects.filter(store=store))
    assert Customer.objects.filter(store=store).count() >= sync.counts["customers"]["done"] > 0
    assert Product.objects.filter(store=store).exists()
    assert sync.counts["orders"]["done"] == 3  # the killed page counted once, when it was written
    assert not Message.objects.exists()
    assert OutboundCall.objects.filter(connection=connection, status_code=429).count() == 1
    assert HistorySync.objects.filter(connection=connection).count() == 1

"""The database goes away in the middle of a daily scan run by a real worker: every connection to it is
terminated, as a PostgreSQL restart does. Nothing is half-planned, the failure is on record, and the
next offer that day runs the scan to its end, once."""

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from apps.campaigns.flows import win_back
from apps.campaigns.models import FlowKind, FlowStep, Message, ScanRun
from apps.campaigns.scans import run_scan
from tests.customers.factories import CustomerFactory
from tests.faults.conftest import enqueue, wait_until, zone_at_local_hour

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SCAN_TASK = "apps.campaigns.tasks.scan_store_task"


def lock_holder():
    """A second session that lets the scan read but holds back its first ledger write."""
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                             dbname=db["NAME"])  # fmt: skip
    holder.execute("LOCK TABLE campaigns_message IN SHARE MODE")
    return holder


def scan_waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def restart_database(*, spare: int) -> int:
    """Terminate every session of the test database but ours and `spare`: what a restart does to them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
            [spare],
        )
        return cursor.fetchone()[0]


def test_a_database_restart_mid_scan_loses_nothing_and_the_scan_runs_again_that_day(workers, flows, store):
    # given a store where it is early afternoon, and 30 consenting customers whose lapse came due yesterday
    store.time_zone = zone_at_local_hour(14)
    store.save(update_fields=["time_zone"])
    now = timezone.now()
    for n in range(30):
        CustomerFactory(store=store, email=f"lapsed{n}@example.com", consenting=True, time_zone=store.time_zone,
                        last_order_at=now - timezone.timedelta(days=200),
                        lapse_due_at=now - timezone.timedelta(days=1))  # fmt: skip
    # the series each of them gets: the offer for their audience (they ordered once), values, farewell
    all_steps = FlowStep.objects.filter(store=store, flow__kind=FlowKind.WIN_BACK, enabled=True)
    steps = sum(1 for step in all_steps if win_back.step_is_for(step, win_back.ONE_TIME))
    assert steps == 3
    workers.start()

    # when the daily scan has read its candidates and the database restarts before it writes them
    holder = lock_holder()
    enqueue(SCAN_TASK, "lapsed_customers", store.pk)
    assert wait_until(scan_waiting_on_lock, timeout=60)
    assert restart_database(spare=holder.info.backend_pid) >= 1
    holder.close()
    runs = ScanRun.objects.filter(name="lapsed_customers", store=store)
    assert wait_until(lambda: runs.exclude(error="").exists(), timeout=30)
    # then nothing was half-planned and the failure is on record
    assert Message.objects.filter(step__flow__kind=FlowKind.WIN_BACK).count() == 0
    assert "terminating connection" in runs.get().error

    # when beat offers the scan again that day
    enqueue(SCAN_TASK, "lapsed_customers", store.pk)
    assert wait_until(lambda: runs.filter(error="", finished_at__isnull=False).exists(), timeout=60)
    # then each customer has the whole win-back series, once
    planned = Message.objects.filter(step__flow__kind=FlowKind.WIN_BACK)
    assert planned.count() == 30 * steps
    assert planned.values("customer_id").distinct().count() == 30
    # and a further offer that day, or a run by hand, plans nothing more
    assert run_scan("lapsed_customers", store=store, once_per_day=True) == []
    assert run_scan("lapsed_customers", store=store)[0].messages_created == 0
    assert planned.count() == 30 * steps
    assert runs.filter(local_day__isnull=False).count() == 1

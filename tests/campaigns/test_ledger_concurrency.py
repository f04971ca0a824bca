"""Two workers writing the same (step, subject) into the partitioned ledger at once: one row, whoever wins.
Needs PostgreSQL: each thread has its own connection and transaction, and the second really waits."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.campaigns.models import FlowKind, Message, MessageKey
from apps.campaigns.services.ledger import insert_from_select
from apps.campaigns.services.messages import Planned, messages_schedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COLUMNS = [
    "store_id",
    "step_id",
    "subject_key",
    "email",
    "scheduled_for",
    "status",
    "transactional",
    "priority",
    "trace",
]
CANDIDATES = (
    "SELECT %s, %s, 'cart:' || n, 'buyer' || n || '@example.com', %s, 'scheduled', false, 50, '[]' "
    "FROM generate_series(1, %s) AS n"
)


def insert_carts(step, count):
    return insert_from_select(
        select_sql=CANDIDATES, params=[step.store_id, step.pk, timezone.now(), count], columns=COLUMNS
    )


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def wait_until_blocked_on_a_lock(pid: int) -> None:
    """Until the other backend waits on a row lock (the first worker's uncommitted claim), asked of the
    database itself: no sleeping and hoping."""
    with connection.cursor() as cursor:
        for _ in range(100_000):
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees its first look forever
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
    raise AssertionError("the second worker never waited for the first")


def race(first_work, second_work, *, first_commits: bool):
    """The first worker inserts and holds its transaction open until the second is blocked behind it; then
    commits (or rolls back). Returns what each one's insert returned."""
    results, errors = {}, []
    first_inserted, second_started, second_pid = threading.Event(), threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                results["first"] = first_work()
                first_inserted.set()
                second_started.wait()
                wait_until_blocked_on_a_lock(second_pid[0])
                if not first_commits:
                    transaction.set_rollback(True)
        except Exception as exc:  # surfaced below
            errors.append(exc)
            first_inserted.set()
        finally:
            connection.close()

    def second():
        try:
            first_inserted.wait()
            second_pid.append(backend_pid())
            second_started.set()
            results["second"] = second_work()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return results


def test_two_scans_racing_over_the_same_carts_write_each_once(flows):
    step = flows[FlowKind.ABANDONED_CART].steps.first()

    # when two workers insert the same 30 carts, the second while the first's claims are uncommitted
    results = race(lambda: insert_carts(step, 30), lambda: insert_carts(step, 40), first_commits=True)

    # then each cart has one row: the first wrote 30, the second only the 10 the first did not have
    assert len(results["first"]) == 30
    assert sorted(key for _, key in results["second"]) == sorted(f"cart:{n}" for n in range(31, 41))
    assert Message.objects.filter(step=step).count() == 40
    assert MessageKey.objects.filter(step=step).count() == 40


def test_when_the_first_worker_rolls_back_the_second_writes_the_rows(flows):
    step = flows[FlowKind.ABANDONED_CART].steps.first()

    results = race(lambda: insert_carts(step, 5), lambda: insert_carts(step, 5), first_commits=False)

    assert len(results["second"]) == 5
    assert set(Message.objects.filter(step=step).values_list("pk", flat=True)) == {pk for pk, _ in results["second"]}
    # the ledger and its keys agree row for row
    assert set(MessageKey.objects.filter(step=step).values_list("message_id", flat=True)) == {
        pk for pk, _ in results["second"]
    }


def test_a_replayed_webhook_racing_its_original_schedules_one_email(flows):
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()

    def schedule():
        return messages_schedule(
            [Planned(step=step, subject_key="order:42", email="buyer@example.com", scheduled_for=timezone.now())]
        )

    results = race(schedule, schedule, first_commits=True)

    assert len(results["first"]) == 1 and results["second"] == []
    assert Message.objects.filter(step=step, subject_key="order:42").count() == 1

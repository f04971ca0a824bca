"""Migration 0009 on a ledger that already holds mail: every row, id, event and coupon link survives the move
into month partitions, and going back to 0008 gives the same ledger again. Needs PostgreSQL."""

import importlib
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.campaigns.models import Coupon, FlowKind, Message, MessageEvent, MessageKey
from apps.campaigns.partitions import DEFAULT_PARTITION, is_partitioned
from tests.campaigns.factories import MessageFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = ("campaigns", "0008_default_steps_on_blocks")
MONTHS = [
    datetime(2025, 11, 3, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
    datetime(2026, 2, 1, tzinfo=UTC),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def snapshot():
    messages = sorted(Message.objects.values_list("pk", "step_id", "subject_key", "created_at", "status", "email"))
    events = sorted(MessageEvent.objects.values_list("pk", "message_id", "esp_event_id"))
    coupons = sorted(Coupon.objects.values_list("pk", "message_id"))
    return messages, events, coupons


def partition_of(message_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM campaigns_message WHERE id = %s", [message_id])
        return cursor.fetchone()[0]


@pytest.fixture
def ledger_before_partitioning(flows, store, monkeypatch):
    """The ledger as 0008 left it (one plain table), holding mail from three months, with events and a coupon."""
    migrate([BEFORE])
    assert not is_partitioned()
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    messages = []
    for month, created_at in enumerate(MONTHS):
        for n in range(3):
            message = MessageFactory(store=store, step=step, subject_key=f"order:{month}-{n}", sent=n == 0)
            Message.objects.filter(pk=message.pk).update(created_at=created_at)
            MessageEvent.objects.create(
                message=message, event_type="delivered", occurred_at=created_at, esp_event_id=f"ev-{message.pk}"
            )
            messages.append(message)
    Coupon.objects.create(store=store, code="KEEP-1", kind="percent", message=messages[4])
    # batches of two rows: the copy's paging is exercised on three rows a month
    migration = importlib.import_module("apps.campaigns.migrations.0009_partition_message_ledger")
    monkeypatch.setattr(migration, "BATCH", 2)
    yield step, messages
    migrate(latest())  # whatever happened, the next test gets the current schema


def test_partitioning_an_existing_ledger_keeps_every_row_id_and_link(ledger_before_partitioning, store):
    step, messages = ledger_before_partitioning
    before = snapshot()

    # when the ledger is partitioned
    migrate(latest())

    # then it is, with every row, id, event and coupon link as it was, each row in its month
    assert is_partitioned()
    assert snapshot() == before
    assert [partition_of(m.pk) for m in messages[::3]] == [
        "campaigns_message_p202511",
        "campaigns_message_p202512",
        "campaigns_message_p202602",
    ]
    assert not Message.objects.extra(where=[f"tableoid = '{DEFAULT_PARTITION}'::regclass"]).exists()
    assert Message.objects.get(pk=messages[4].pk).coupon.code == "KEEP-1"
    assert {e.esp_event_id for e in Message.objects.get(pk=messages[0].pk).events.all()} == {f"ev-{messages[0].pk}"}
    # every row holds its key, and the next message continues the id sequence
    assert sorted(MessageKey.objects.values_list("message_id", flat=True)) == sorted(m.pk for m in messages)
    new = MessageFactory(store=store, step=step, subject_key="order:new")
    assert new.pk > max(m.pk for m in messages)
    # and a second row for a (step, subject) that came over is refused
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory(store=store, step=step, subject_key=messages[0].subject_key)


def test_going_back_to_0008_gives_the_same_plain_ledger(ledger_before_partitioning):
    before = snapshot()
    migrate(latest())

    migrate([BEFORE])

    assert not is_partitioned()
    assert snapshot() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'campaigns_message'::regclass AND contype = 'u'"
        )
        assert cursor.fetchall() == [("message_once_per_step_subject",)]

"""The ledger partitioned by month on PostgreSQL: rows land in their month, the coming months' partitions are
made ahead by a beat task (idempotent), and a whole old month can go at the cost of a DROP TABLE."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.campaigns.models import Coupon, FlowKind, Message, MessageEvent, MessageKey
from apps.campaigns.partitions import (
    DEFAULT_PARTITION,
    ledger_month_drop,
    ledger_partitions,
    ledger_partitions_ensure,
    ledger_partitions_task,
)
from apps.campaigns.services.ledger import insert_from_select
from apps.campaigns.services.messages import Planned, messages_schedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

COLUMNS = ["store_id", "step_id", "subject_key", "email", "scheduled_for", "status", "transactional", "priority"]
COLUMNS += ["trace", "created_at"]


def write_at(step, key, created_at):
    """A ledger row written at `created_at` (the partition key), as a scan running then would have."""
    ((pk, _),) = insert_from_select(
        select_sql="SELECT %s, %s, %s, 'buyer@example.com', %s, 'scheduled', false, 50, '[]', %s",
        params=[step.store_id, step.pk, key, created_at, created_at],
        columns=COLUMNS,
    )
    return pk


def table_of(message_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM campaigns_message WHERE id = %s", [message_id])
        return cursor.fetchone()[0]


def test_the_ledger_is_partitioned_by_month_and_rows_land_in_their_month(flows):
    step = flows[FlowKind.WIN_BACK].steps.first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat, a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
            "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] WHERE partrelid = 'campaigns_message'::regclass"
        )
        assert cursor.fetchone() == ("r", "created_at")

    ledger_partitions_ensure(now=datetime(2031, 1, 10, tzinfo=UTC), months_ahead=1)
    january = write_at(step, "customer:1", datetime(2031, 1, 31, 23, 59, tzinfo=UTC))
    february = write_at(step, "customer:2", datetime(2031, 2, 1, 0, 0, tzinfo=UTC))
    (today,) = messages_schedule(
        [Planned(step=step, subject_key="customer:3", email="c@example.com", scheduled_for=timezone.now())]
    )

    assert table_of(january) == "campaigns_message_p203101"
    assert table_of(february) == "campaigns_message_p203102"
    assert table_of(today.pk) == f"campaigns_message_p{timezone.now():%Y%m}"
    # and the ORM reads them as one table
    assert set(Message.objects.filter(step=step).values_list("subject_key", flat=True)) == {
        "customer:1",
        "customer:2",
        "customer:3",
    }


def test_a_row_of_a_month_without_partition_waits_in_the_default_and_moves_into_its_month(flows):
    step = flows[FlowKind.WIN_BACK].steps.first()
    # a row from a month no partition covers (an import of old mail, a clock far off) is still written
    old = write_at(step, "customer:1", datetime(2019, 5, 4, tzinfo=UTC))
    MessageEvent.objects.create(
        message_id=old, event_type="delivered", occurred_at=datetime(2019, 5, 4, tzinfo=UTC), esp_event_id="e1"
    )
    assert table_of(old) == DEFAULT_PARTITION

    # when its month's partition is made, the row moves into it, with its id, key and events
    made = ledger_partitions_ensure(now=datetime(2019, 5, 1, tzinfo=UTC), months_ahead=0)

    assert made == ["campaigns_message_p201905"]
    assert table_of(old) == "campaigns_message_p201905"
    assert Message.objects.get(pk=old).events.get().esp_event_id == "e1"
    assert MessageKey.objects.get(step=step, subject_key="customer:1").message_id == old
    # and the (step, subject) is still taken
    assert write_at_or_none(step, "customer:1", timezone.now()) is None


def write_at_or_none(step, key, created_at):
    inserted = insert_from_select(
        select_sql="SELECT %s, %s, %s, 'buyer@example.com', %s, 'scheduled', false, 50, '[]', %s",
        params=[step.store_id, step.pk, key, created_at, created_at],
        columns=COLUMNS,
    )
    return inserted[0][0] if inserted else None


def test_the_maintenance_task_makes_the_coming_months_once():
    far = datetime(2035, 11, 20, tzinfo=UTC)

    made = ledger_partitions_ensure(now=far)
    again = ledger_partitions_ensure(now=far)

    assert made == [f"campaigns_message_p{month}" for month in ("203511", "203512", "203601", "203602")]
    assert again == []
    bounds = dict(ledger_partitions())
    assert bounds["campaigns_message_p203512"] == (
        "FOR VALUES FROM ('2035-12-01 00:00:00+00') TO ('2036-01-01 00:00:00+00')"
    )
    assert bounds[DEFAULT_PARTITION] == "DEFAULT"


def test_the_beat_task_keeps_this_month_and_the_next_three_ready():
    ledger_partitions_task()
    ledger_partitions_task()

    names = [name for name, _ in ledger_partitions()]
    start = timezone.now().replace(day=1)
    expected = []
    for _ in range(4):
        expected.append(f"campaigns_message_p{start:%Y%m}")
        start = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    assert set(expected) <= set(names)
    assert names[-1] == DEFAULT_PARTITION


@pytest.mark.django_db(transaction=True)
def test_dropping_an_old_month_removes_its_rows_events_and_keys_and_nothing_else(flows, store):
    step = flows[FlowKind.WIN_BACK].steps.first()
    ledger_partitions_ensure(now=datetime(2020, 3, 1, tzinfo=UTC), months_ahead=1)
    march = write_at(step, "customer:1", datetime(2020, 3, 15, tzinfo=UTC))
    april = write_at(step, "customer:2", datetime(2020, 4, 15, tzinfo=UTC))
    for message_id in (march, april):
        MessageEvent.objects.create(
            message_id=message_id, event_type="delivered", occurred_at=timezone.now(), esp_event_id=f"e{message_id}"
        )
    coupon = Coupon.objects.create(store=store, code="MARCH-1", kind="percent", message_id=march)

    assert ledger_month_drop(month=date(2020, 3, 1)) == 1

    # then March is gone with its events and key, its coupon stays (unlinked), April is untouched
    assert list(Message.objects.values_list("pk", flat=True)) == [april]
    assert list(MessageEvent.objects.values_list("message_id", flat=True)) == [april]
    assert list(MessageKey.objects.values_list("message_id", flat=True)) == [april]
    coupon.refresh_from_db()
    assert coupon.message_id is None
    assert "campaigns_message_p202003" not in dict(ledger_partitions())
    # dropping it again changes nothing; the current month is refused
    assert ledger_month_drop(month=date(2020, 3, 1)) == 0
    with pytest.raises(ValueError, match="before the current one"):
        ledger_month_drop(month=timezone.now().date())
    # (and April goes too: partitions made in a test that commits outlive it)
    assert ledger_month_drop(month=date(2020, 4, 1)) == 1
    assert not Message.objects.exists() and not MessageKey.objects.exists()


def test_an_insert_naming_a_partition_itself_still_keeps_one_row_per_subject(flows):
    step = flows[FlowKind.WIN_BACK].steps.first()
    (existing,) = messages_schedule(
        [Planned(step=step, subject_key="customer:9", email="c@example.com", scheduled_for=timezone.now())]
    )
    partition = table_of(existing.pk)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {partition} (store_id, step_id, subject_key, email, scheduled_for, status, transactional, "
            "priority, trace, created_at, modified_at, language, attempts, esp_message_id, reason, subject, body_html, "
            "body_text, machine_opened, attributed_revenue, id) SELECT store_id, step_id, subject_key, email, "
            "scheduled_for, status, transactional, priority, trace, created_at, modified_at, '', 0, '', '', '', '', "
            f"'', false, 0, nextval(pg_get_serial_sequence('campaigns_message', 'id')) FROM {partition} WHERE id = %s",
            [existing.pk],
        )

    assert Message.objects.filter(step=step, subject_key="customer:9").count() == 1


def test_a_flows_earlier_email_is_found_through_the_step_and_subject_in_each_month(flows):
    """A partitioned ledger cannot keep the (step, subject) unique index, so every month has a plain one: the
    previous-step lookup (and a scan's "already in the ledger?") reads the subject's rows, not the step's."""
    step = flows[FlowKind.WIN_BACK].steps.first()
    ledger_partitions_ensure(now=datetime(2031, 1, 10, tzinfo=UTC), months_ahead=1)
    for n in range(3):
        write_at(step, f"customer:{n}", datetime(2031, 1, 5, tzinfo=UTC))
    lookup = Message.objects.filter(step=step, subject_key="customer:1").values_list("pk", flat=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = lookup.explain()
    january = [line for line in plan.splitlines() if "campaigns_message_p203101" in line]
    assert january and "step_id_subject_key" in january[0], plan
    assert "subject_key" in plan.split("campaigns_message_p203101", 1)[1].splitlines()[1], plan


def test_sent_bodies_are_compressed_with_lz4_in_every_month_made_now_or_later(flows):
    step = flows[FlowKind.WIN_BACK].steps.first()
    made = ledger_partitions_ensure(now=datetime(2031, 5, 1, tzinfo=UTC), months_ahead=0)
    assert made == ["campaigns_message_p203105"]
    page = "<p>" + " ".join(f"buyer {n} opened the email" for n in range(2_000)) + "</p>"  # well over the TOAST line
    for created_at in (timezone.now(), datetime(2031, 5, 9, tzinfo=UTC)):
        pk = write_at(step, f"customer:{created_at:%Y%m}", created_at)
        Message.objects.filter(pk=pk).update(body_html=page, body_text=page)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_column_compression(body_html), pg_column_compression(body_text), body_html = %s "
                "FROM campaigns_message WHERE id = %s",
                [page, pk],
            )
            assert cursor.fetchone() == ("lz4", "lz4", True)

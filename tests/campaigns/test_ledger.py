"""The ledger's set-based insert (campaigns.services.ledger): one row per (step, subject), however often it is asked,
on SQLite and on PostgreSQL's partitioned ledger alike."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.campaigns.models import FlowKind, Message, MessageStatus
from apps.campaigns.services.ledger import ROWS_PER_STATEMENT, insert_from_select
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.campaigns.factories import MessageFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

COLUMNS = [
    "store_id",
    "step_id",
    "subject_key",
    "email",
    "order_id",
    "scheduled_for",
    "status",
    "transactional",
    "priority",
    "trace",
]
# Each paid order of a store becomes an order confirmation: the shape of a set-based scan's candidates.
CONFIRMATIONS = (
    "SELECT o.store_id, %s, 'order:' || o.id, o.email, o.id, %s, 'scheduled', %s, 10, %s "
    "FROM orders_order o WHERE o.store_id = %s"
)


def confirm_orders(store, step):
    now = timezone.now()
    params = [step.pk, now, True, '[{"action": "scheduled", "rule": "trigger"}]', store.pk]
    return insert_from_select(select_sql=CONFIRMATIONS, params=params, columns=COLUMNS)


def test_insert_from_select_twice_writes_each_order_once(store, flows, django_assert_num_queries):
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    orders = OrderFactory.create_batch(3, store=store)

    # when the same candidates are inserted twice (a second beat, a retried scan)
    with django_assert_num_queries(1):
        first = confirm_orders(store, step)
    second = confirm_orders(store, step)

    # then each order has one confirmation, named in what the first call returned, none in the second
    messages = Message.objects.filter(step=step).order_by("id")
    assert sorted(key for _, key in first) == sorted(f"order:{order.pk}" for order in orders)
    assert [(m.pk, m.subject_key) for m in messages] == sorted(first)
    assert second == []
    # and every row is whole: the caller's values, Django's defaults for the rest
    message = messages[0]
    assert message.status == MessageStatus.SCHEDULED and message.transactional and message.priority == 10
    assert message.trace == [{"action": "scheduled", "rule": "trigger"}]
    assert message.order.email == message.email
    assert (message.language, message.attempts, message.reason, message.machine_opened) == ("", 0, "", False)
    assert message.created_at is not None and message.modified_at is not None


def test_a_new_order_between_two_runs_gets_only_its_own_row(store, flows):
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    OrderFactory(store=store)
    confirm_orders(store, step)
    late = OrderFactory(store=store)

    assert [key for _, key in confirm_orders(store, step)] == [f"order:{late.pk}"]
    assert Message.objects.filter(step=step).count() == 2


def test_a_select_missing_a_required_column_is_refused_and_writes_nothing(store, flows):
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    OrderFactory(store=store)
    with pytest.raises(ValueError, match="trace"):
        insert_from_select(
            select_sql="SELECT o.store_id, %s, 'order:' || o.id, o.email, o.id, %s, 'scheduled', %s, 10 "
            "FROM orders_order o",
            params=[step.pk, timezone.now(), True],
            columns=COLUMNS[:-1],
        )
    with pytest.raises(ValueError, match="not ledger columns"):
        insert_from_select(select_sql="SELECT 1", params=[], columns=[*COLUMNS, "id"])
    assert not Message.objects.exists()


def plan(step, keys, when=None):
    when = when or timezone.now()
    return [
        Planned(step=step, subject_key=key, email=f"{key.replace(':', '')}@example.com", scheduled_for=when)
        for key in keys
    ]


def test_messages_schedule_twice_writes_one_row_and_returns_it_once(flows):
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()

    (created,) = messages_schedule(plan(step, ["order:1"]))
    again = messages_schedule(plan(step, ["order:1"]))

    assert again == []
    stored = Message.objects.get(step=step)
    assert created.pk == stored.pk and not created._state.adding
    assert (stored.email, stored.created_at) == ("order1@example.com", created.created_at)


def test_one_call_naming_a_subject_twice_writes_it_once_and_keeps_steps_apart(flows):
    confirmation = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    follow_up = flows[FlowKind.DELIVERED_FOLLOWUP].steps.first()

    # the same subject twice for one step, and the same subject key for another step
    created = messages_schedule(plan(confirmation, ["order:7", "order:7"]) + plan(follow_up, ["order:7"]))

    assert sorted((m.step_id, m.subject_key) for m in created) == sorted(
        [(confirmation.pk, "order:7"), (follow_up.pk, "order:7")]
    )
    assert {m.pk for m in created} == set(Message.objects.values_list("pk", flat=True))


def test_more_rows_than_one_statement_takes_are_all_written_once(flows):
    step = flows[FlowKind.WIN_BACK].steps.first()
    keys = [f"customer:{n}" for n in range(ROWS_PER_STATEMENT + 7)]

    created = messages_schedule(plan(step, keys))
    messages_schedule(plan(step, keys))

    assert len(created) == len(keys)
    assert Message.objects.filter(step=step).count() == len(keys)
    assert {m.pk for m in created} == set(Message.objects.filter(step=step).values_list("pk", flat=True))


def test_a_second_row_written_any_other_way_is_refused(store, flows):
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    messages_schedule(plan(step, ["order:3"]))

    # an ORM save (an import, the admin, a bug) of a second row for the same (step, subject)
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory(store=store, step=step, subject_key="order:3")

    assert Message.objects.filter(step=step, subject_key="order:3").count() == 1
    # while a row for a new subject saves as it always did
    MessageFactory(store=store, step=step, subject_key="order:4")


@pytest.mark.postgres
def test_a_ledger_row_cannot_be_moved_onto_another_subject(store, flows):
    # (on SQLite the unique constraint covers updates; on the partitioned ledger a trigger does)
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    first, second = messages_schedule(plan(step, ["order:1", "order:2"]))

    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=second.pk).update(subject_key="order:1")

    assert sorted(Message.objects.values_list("subject_key", flat=True)) == ["order:1", "order:2"]
    # while saving a row as it is, or changing anything else, works as ever
    first.status = MessageStatus.SENT
    first.save()
    Message.objects.filter(pk=second.pk).update(reason="kept")

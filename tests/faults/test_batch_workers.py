"""Real worker processes sending marketing mail in batches: killed mid-batch, redelivered, and an ESP that
takes part of a batch. Afterwards every message is accounted for and none went out twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.dispatch import messages_sweep_stuck
from apps.campaigns.models import FlowKind, Message, MessageStatus, MessagingPolicy
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.customers.factories import CustomerFactory
from tests.faults.conftest import enqueue, sent_lines, wait_until, zone_at_local_hour

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BATCH_TASK = "apps.campaigns.tasks.send_batch_task"


def due_win_backs(store, flows, count: int) -> list[Message]:
    """`count` due win-back emails to consenting buyers for whom it is midday (outside quiet hours)."""
    MessagingPolicy.objects.filter(store=store).update(frequency_cap_count=0)
    step = flows[FlowKind.WIN_BACK].steps.get(key="values")
    planned = []
    for n in range(count):
        buyer = CustomerFactory(store=store, email=f"fan{n}@example.com", consenting=True,
                                time_zone=zone_at_local_hour(12))  # fmt: skip
        planned.append(Planned(step=step, subject_key=f"customer:{buyer.pk}", email=buyer.email,
                               customer_id=buyer.pk, scheduled_for=timezone.now() - timedelta(seconds=1)))  # fmt: skip
    return messages_schedule(planned)


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Message.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def esp_mood(env, text: str) -> None:
    with open(env["FAULT_ESP_MODE"], "w") as mode:
        mode.write(text)


def test_a_worker_killed_mid_batch_leaves_the_batch_to_the_sweeper_and_nothing_is_resent(
    workers, fault_env, flows, store
):
    # given a worker half-way through handing a batch of 12 to a slow ESP
    messages = due_win_backs(store, flows, 12)
    slow = workers.start(queues="marketing", extra_env={"FAULT_ESP_DELAY": "0.5", "CELERY_VISIBILITY_TIMEOUT": "3"})
    enqueue(BATCH_TASK, queue="marketing")
    assert wait_until(lambda: len(sent_lines(fault_env)) >= 3, timeout=60)
    # when it is killed, and another worker gets the redelivered task and a second one
    workers.kill(slow)
    taken = sent_lines(fault_env)
    workers.start(queues="marketing", extra_env={"CELERY_VISIBILITY_TIMEOUT": "3"})
    enqueue(BATCH_TASK, queue="marketing")
    wait_until(lambda: False, timeout=8)  # the redelivery happens after the visibility timeout
    # then nothing was sent again: the whole batch stays `sending` until the sweeper hands it to a person
    assert sent_lines(fault_env) == taken and len(set(taken)) == len(taken) < 12
    assert statuses() == {MessageStatus.SENDING: 12}
    assert messages_sweep_stuck(now=timezone.now() + timedelta(minutes=11)) == 12
    assert statuses() == {MessageStatus.UNKNOWN: 12}
    enqueue(BATCH_TASK, queue="marketing")
    wait_until(lambda: False, timeout=3)
    assert sent_lines(fault_env) == taken
    assert {message.email for message in messages} >= set(taken)


def test_two_workers_on_one_batch_queue_send_each_email_once(workers, fault_env, flows, store):
    # given 30 due win-backs, batches of 7, two workers and every batch task delivered twice
    messages = due_win_backs(store, flows, 30)
    extra = {"CAMPAIGNS_SEND_BATCH_SIZE": "7", "FAULT_ESP_DELAY": "0.05"}
    workers.start(queues="marketing", extra_env=extra, name="a")
    workers.start(queues="marketing", extra_env=extra, name="b")
    for _ in range(5):
        enqueue(BATCH_TASK, queue="marketing")
        enqueue(BATCH_TASK, queue="marketing")
    assert wait_until(lambda: statuses() == {MessageStatus.SENT: 30}, timeout=90)
    wait_until(lambda: False, timeout=2)  # let a duplicate run to its end
    assert sorted(sent_lines(fault_env)) == sorted(message.email for message in messages)


def test_an_esp_that_takes_part_of_a_batch_then_503s_gets_the_rest_on_retry_once_each(workers, fault_env, flows, store):
    # given 20 due win-backs and an ESP that takes 8, then answers 503
    messages = due_win_backs(store, flows, 20)
    esp_mood(fault_env, "503-after 8")
    workers.start(queues="marketing")
    enqueue(BATCH_TASK, queue="marketing")
    assert wait_until(lambda: MessageStatus.SENDING not in statuses() and len(statuses()) > 1, timeout=60)
    # then what it took is sent, the rest waits for a retry
    taken = sent_lines(fault_env)
    assert statuses() == {MessageStatus.SENT: 8, MessageStatus.SCHEDULED: 12} and len(taken) == 8
    waiting = Message.objects.filter(status=MessageStatus.SCHEDULED)
    assert all(message.scheduled_for > timezone.now() for message in waiting)
    assert {message.trace[-1]["reason"] for message in waiting} == {"ESP error 503"}
    # when the ESP is back, the backoff has passed, and the batch task runs twice
    esp_mood(fault_env, "accept")
    waiting.update(scheduled_for=timezone.now() - timedelta(seconds=1))
    enqueue(BATCH_TASK, queue="marketing")
    enqueue(BATCH_TASK, queue="marketing")
    assert wait_until(lambda: statuses() == {MessageStatus.SENT: 20}, timeout=60)
    wait_until(lambda: False, timeout=2)
    # then every buyer got exactly one email
    assert sorted(sent_lines(fault_env)) == sorted(message.email for message in messages)

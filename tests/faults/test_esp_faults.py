"""The ESP breaks mid-batch while real workers send: it refuses part of the batch with 503s, or takes
emails and never answers. Afterwards every message is accounted for and none went out twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.models import Message, MessageStatus
from tests.faults.conftest import due_confirmations, enqueue, sent_lines, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DISPATCH = "apps.campaigns.tasks.dispatch_due_task"


def esp_mood(env, text: str) -> None:
    with open(env["FAULT_ESP_MODE"], "w") as mode:
        mode.write(text)


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Message.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def settled() -> bool:
    """No message is being sent and none is due: what is left waits for a retry or for a person."""
    now = timezone.now()
    busy = Message.objects.filter(status=MessageStatus.SENDING).exists()
    due = Message.objects.filter(status=MessageStatus.SCHEDULED, scheduled_for__lte=now).exists()
    return not busy and not due


def send_through_moody_esp(workers, env, flows, store, *, count: int, mood: str, handed_out: int) -> list[str]:
    """`count` due confirmations, an ESP in `mood`, two workers, one beat tick; waits until at least
    `handed_out` messages left `scheduled` and nothing is in flight. Returns the buyers' addresses."""
    messages = due_confirmations(store, flows, count)
    esp_mood(env, mood)
    workers.start(name="a")
    workers.start(name="b")
    enqueue(DISPATCH)
    assert wait_until(lambda: Message.objects.exclude(status=MessageStatus.SCHEDULED).count() >= handed_out, 60)
    assert wait_until(settled, timeout=60)
    return sorted(message.email for message in messages)


def test_an_esp_that_accepts_part_of_a_batch_then_503s_gets_the_rest_on_retry_once_each(
    workers, fault_env, flows, store
):
    # given 30 due confirmations and an ESP that takes 12 and then answers 503, when beat hands them out
    addresses = send_through_moody_esp(workers, fault_env, flows, store, count=30, mood="503-after 12", handed_out=12)
    # then what the ESP took is sent, the rest waits for a retry with the 503 on its trace
    taken = sent_lines(fault_env)
    counts = statuses()
    assert counts.get(MessageStatus.SENT, 0) == len(taken) == len(set(taken)) >= 12
    refused = Message.objects.filter(status=MessageStatus.SCHEDULED)
    assert refused.count() == 30 - len(taken) > 0
    for message in refused:
        assert message.scheduled_for > timezone.now()  # backing off, not hammering the ESP
        assert message.trace[-1]["action"] == "retry" and message.trace[-1]["reason"] == "ESP error 503"

    # when the ESP is back and the backoff has passed, and beat ticks twice
    esp_mood(fault_env, "accept")
    refused.update(scheduled_for=timezone.now() - timedelta(seconds=1))
    enqueue(DISPATCH)
    enqueue(DISPATCH)
    assert wait_until(lambda: statuses() == {MessageStatus.SENT: 30}, timeout=60)
    wait_until(lambda: False, timeout=2)  # let a duplicate hand-out run to its end
    # then every buyer got exactly one email
    assert sorted(sent_lines(fault_env)) == addresses
    assert Message.objects.filter(attempts=2).count() == 30 - len(taken)


def test_an_esp_that_takes_emails_and_never_answers_leaves_them_unknown_and_never_resends(
    workers, fault_env, flows, store
):
    # given 20 due confirmations and an ESP that answers 8 times, then takes emails without answering;
    # when beat hands them out
    addresses = send_through_moody_esp(
        workers, fault_env, flows, store, count=20, mood="timeout-after 8", handed_out=20
    )
    # then the answered ones are sent and the unanswered ones unknown: all 20 went out, once each
    counts = statuses()
    assert counts[MessageStatus.SENT] >= 8 and counts[MessageStatus.UNKNOWN] >= 1
    assert counts[MessageStatus.SENT] + counts[MessageStatus.UNKNOWN] == 20
    assert sorted(sent_lines(fault_env)) == addresses
    unknown = Message.objects.filter(status=MessageStatus.UNKNOWN).first()
    assert unknown.trace[-1]["rule"] == "esp_timeout"

    # when the ESP answers again and beat keeps ticking, nothing unknown is sent a second time
    esp_mood(fault_env, "accept")
    enqueue(DISPATCH)
    enqueue(DISPATCH)
    wait_until(lambda: False, timeout=3)
    assert sorted(sent_lines(fault_env)) == addresses
    assert statuses() == counts

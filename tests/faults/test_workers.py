"""Real worker processes killed, redelivered and raced: every message accounted for, none sent twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.dispatch import messages_sweep_stuck
from apps.campaigns.models import Message, MessageStatus
from tests.faults.conftest import due_confirmations, enqueue, sent_lines, wait_until

SEND_TASK = "apps.campaigns.tasks.message_send_task"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def due_confirmation(flows, store):
    (message,) = due_confirmations(store, flows, 1)
    return message


def status_of(message) -> str:
    return Message.objects.values_list("status", flat=True).get(pk=message.pk)


def test_a_worker_killed_after_the_esp_accepted_leaves_the_message_unknown_never_resent(
    workers, fault_env, due_confirmation
):
    # given a worker that hands the email to the ESP and then dies before recording it
    slow = workers.start(extra_env={"FAULT_ESP_DELAY_AFTER": "30", "CELERY_VISIBILITY_TIMEOUT": "3"})
    enqueue(SEND_TASK, due_confirmation.pk, queue="transactional")
    assert wait_until(lambda: len(sent_lines(fault_env)) == 1, timeout=60)
    assert status_of(due_confirmation) == MessageStatus.SENDING
    workers.kill(slow)
    # when another worker gets the redelivered task
    workers.start(extra_env={"CELERY_VISIBILITY_TIMEOUT": "3"})
    wait_until(lambda: False, timeout=8)  # the redelivery happens after the visibility timeout
    # then it does not send again; the sweeper marks it unknown for a person
    assert len(sent_lines(fault_env)) == 1
    assert status_of(due_confirmation) == MessageStatus.SENDING
    assert messages_sweep_stuck(now=timezone.now() + timedelta(minutes=11)) == 1
    assert status_of(due_confirmation) == MessageStatus.UNKNOWN
    assert len(sent_lines(fault_env)) == 1


def test_a_task_redelivered_while_still_running_sends_once(workers, fault_env, due_confirmation):
    # given a slow ESP and a visibility timeout shorter than the send, so Redis hands the task out again
    settings_env = {"FAULT_ESP_DELAY": "5", "CELERY_VISIBILITY_TIMEOUT": "1"}
    workers.start(extra_env=settings_env, name="first")
    workers.start(extra_env=settings_env, name="second")
    enqueue(SEND_TASK, due_confirmation.pk, queue="transactional")
    assert wait_until(lambda: status_of(due_confirmation) == MessageStatus.SENT, timeout=60)
    wait_until(lambda: False, timeout=6)  # let any redelivered copy run to its end
    assert sent_lines(fault_env) == [due_confirmation.email]


def test_a_worker_killed_before_the_esp_answered_is_swept_and_the_email_was_not_sent(
    workers, fault_env, due_confirmation
):
    slow = workers.start(extra_env={"FAULT_ESP_DELAY": "30"})
    enqueue(SEND_TASK, due_confirmation.pk, queue="transactional")
    assert wait_until(lambda: status_of(due_confirmation) == MessageStatus.SENDING, timeout=60)
    workers.kill(slow)
    assert messages_sweep_stuck(now=timezone.now() + timedelta(minutes=11)) == 1
    assert status_of(due_confirmation) == MessageStatus.UNKNOWN
    assert sent_lines(fault_env) == []

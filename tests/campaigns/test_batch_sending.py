"""Marketing mail goes out in batches: one claim, one render of each template, one ESP call per batch of up
to 500 (Postmark's /email/batch), and each recipient's result lands on its own ledger row. Every test runs
the batch twice: the second run never sends anything again."""

import json
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.campaigns import rendering, tasks
from apps.campaigns.dispatch import messages_sweep_stuck
from apps.campaigns.models import FlowKind, Message, MessageStatus, MessagingPolicy
from apps.campaigns.sending import transport
from apps.campaigns.sending.batch import send_due_batch
from apps.campaigns.sending.claim import claim_due
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.customers.models import Customer
from tests.campaigns.batch_esp import TOKEN, FakePostmark
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db
NOON_ROME = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)  # 12:00 in Rome: outside quiet hours


@pytest.fixture(autouse=True)
def at_noon():
    with time_machine.travel(NOON_ROME, tick=True):
        yield


def win_backs(store, flows, count: int, *, first: int = 0) -> list[Message]:
    """`count` due win-back emails, each to its own consenting buyer."""
    step = flows[FlowKind.WIN_BACK].steps.get(key="values")
    planned = []
    for n in range(first, first + count):
        buyer = CustomerFactory(store=store, email=f"buyer{n}@example.com", first_name=f"Ana{n}", consenting=True)
        planned.append(
            Planned(step=step, subject_key=f"customer:{buyer.pk}", email=buyer.email, customer_id=buyer.pk,
                    scheduled_for=timezone.now() - timedelta(minutes=1))
        )  # fmt: skip
    return messages_schedule(planned)


def rows(messages) -> dict[str, Message]:
    return {message.email: message for message in Message.objects.filter(pk__in=[m.pk for m in messages])}


def test_a_batch_goes_to_postmark_in_one_call_and_each_row_keeps_its_own_message_id(store, flows, postmark):
    messages = win_backs(store, flows, 3)

    first, second = send_due_batch(), send_due_batch()

    assert first[MessageStatus.SENT] == 3 and not second
    (batch,) = postmark.batches
    assert sorted(message["To"] for message in batch) == ["buyer0@example.com", "buyer1@example.com",
                                                          "buyer2@example.com"]  # fmt: skip
    # each email is rendered for its own recipient (its own unsubscribe link), not merged from one template
    assert len({message["HtmlBody"] for message in batch}) == 3
    unsubscribe = {header["Value"] for message in batch for header in message["Headers"]
                   if header["Name"] == "List-Unsubscribe"}  # fmt: skip
    assert len(unsubscribe) == 3
    for message in batch:
        assert message["Metadata"]["store"] == store.slug and message["Tag"] == FlowKind.WIN_BACK  # one tag
    ids = {message["Metadata"]["message_id"] for message in batch}
    assert ids == {str(message.pk) for message in messages}
    for row in rows(messages).values():
        assert row.status == MessageStatus.SENT and row.attempts == 1 and row.esp_message_id
        assert row.trace[-1]["action"] == MessageStatus.SENT and row.body_html and row.subject
    assert len({row.esp_message_id for row in rows(messages).values()}) == 3


def test_a_batch_larger_than_the_esp_takes_goes_in_several_calls_and_each_answer_lands_on_its_row(
    store, flows, postmark, settings
):
    # given an ESP that takes two emails per call, and five due, one of them refused
    settings.CAMPAIGNS_ESP_BATCH_SIZE = 2
    messages = win_backs(store, flows, 5)
    postmark.inactive.add("buyer3@example.com")
    # when the batch runs, twice (full calls leave while the rest is rendered)
    first, second = send_due_batch(), send_due_batch()
    # then three calls of two, two and one, in order, and each row got its own answer
    assert [len(batch) for batch in postmark.batches] == [2, 2, 1] and not second
    assert first[MessageStatus.SENT] == 4 and first[MessageStatus.FAILED] == 1
    by_email = rows(messages)
    assert by_email["buyer3@example.com"].status == MessageStatus.FAILED
    sent = [row for email, row in by_email.items() if email != "buyer3@example.com"]
    assert {row.status for row in sent} == {MessageStatus.SENT} and len({row.esp_message_id for row in sent}) == 4


def test_a_batch_postmark_takes_in_part_leaves_exactly_the_right_rows_sent_failed_and_retried(store, flows, postmark):
    messages = win_backs(store, flows, 4)
    postmark.inactive.add("buyer1@example.com")
    postmark.throttled.add("buyer2@example.com")

    first, second = send_due_batch(), send_due_batch()

    assert first == {MessageStatus.SENT: 2, MessageStatus.FAILED: 1, "retry": 1, "released": 0}
    assert not second  # the retry is not due yet: nothing else went to the ESP
    assert len(postmark.batches) == 1
    by_email = rows(messages)
    assert {email: row.status for email, row in by_email.items()} == {
        "buyer0@example.com": MessageStatus.SENT,
        "buyer1@example.com": MessageStatus.FAILED,
        "buyer2@example.com": MessageStatus.SCHEDULED,
        "buyer3@example.com": MessageStatus.SENT,
    }
    refused = by_email["buyer1@example.com"]
    assert refused.trace[-1]["rule"] == "esp_refused" and "inactive" in refused.reason and not refused.sent_at
    retried = by_email["buyer2@example.com"]
    assert retried.scheduled_for > timezone.now() and retried.trace[-1]["action"] == "retry"

    # when the backoff has passed and the ESP takes it: only that email goes out again
    postmark.throttled.clear()
    Message.objects.filter(pk=retried.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
    assert send_due_batch()[MessageStatus.SENT] == 1 and not send_due_batch()
    assert sorted(postmark.sent_to) == ["buyer0@example.com", "buyer1@example.com", "buyer2@example.com",
                                        "buyer2@example.com", "buyer3@example.com"]  # fmt: skip
    retried.refresh_from_db()
    assert retried.status == MessageStatus.SENT and retried.attempts == 2


def test_a_batch_postmark_answers_with_503_waits_for_a_retry_whole(store, flows, settings, httpserver):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": httpserver.url_for("/")}
    httpserver.expect_request("/email/batch", method="POST").respond_with_json({"Message": "busy"}, status=503)
    messages = win_backs(store, flows, 3)

    assert send_due_batch() == {"retry": 3, "released": 0} and not send_due_batch()

    for row in rows(messages).values():
        assert row.status == MessageStatus.SCHEDULED and row.scheduled_for > timezone.now()
        assert row.trace[-1]["reason"] == "ESP error 503"
    assert len(httpserver.log) == 1


def test_a_batch_postmark_takes_without_answering_in_time_is_unknown_and_never_resent(
    store, flows, settings, httpserver
):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": httpserver.url_for("/"),
                        "REQUESTS_TIMEOUT": 0.3}  # fmt: skip
    slow = FakePostmark()

    def answer_late(request):
        response = slow(request)  # the batch arrived; the answer comes after the client gave up
        time.sleep(1)
        return response

    httpserver.expect_request("/email/batch", method="POST").respond_with_handler(answer_late)
    messages = win_backs(store, flows, 2)

    assert send_due_batch() == {MessageStatus.UNKNOWN: 2, "released": 0} and not send_due_batch()
    assert messages_sweep_stuck(now=timezone.now() + timedelta(minutes=11)) == 0
    for row in rows(messages).values():
        assert row.status == MessageStatus.UNKNOWN and row.trace[-1]["rule"] == "esp_timeout"
    assert len(slow.batches) == 1


def test_an_answer_that_does_not_match_the_batch_leaves_every_email_unknown(store, flows, settings, httpserver):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": httpserver.url_for("/")}
    one_answer = FakePostmark()
    httpserver.expect_request("/email/batch", method="POST").respond_with_handler(
        lambda request: one_answer(request).__class__(json.dumps(json.loads(one_answer(request).data)[:1]), 200)
    )
    messages = win_backs(store, flows, 2)

    assert send_due_batch() == {MessageStatus.UNKNOWN: 2, "released": 0} and not send_due_batch()
    assert {row.status for row in rows(messages).values()} == {MessageStatus.UNKNOWN}


def test_a_worker_that_died_mid_batch_leaves_its_rows_to_the_sweeper_and_nothing_is_resent(store, flows, postmark):
    # given a worker that claimed a batch and died before sending it
    messages = win_backs(store, flows, 3)
    claimed = claim_due(transactional=False, limit=500)
    assert sorted(claimed) == sorted(message.pk for message in messages)
    # when the task is redelivered, and again later
    assert not send_due_batch() and not send_due_batch()
    # then nothing went out twice (nothing went out at all), and the sweeper hands the rows to a person
    assert postmark.batches == []
    assert messages_sweep_stuck(now=timezone.now() + timedelta(minutes=11)) == 3
    assert messages_sweep_stuck(now=timezone.now() + timedelta(minutes=12)) == 0
    assert {row.status for row in rows(messages).values()} == {MessageStatus.UNKNOWN}
    assert not send_due_batch() and postmark.batches == []


def test_the_batch_task_delivered_twice_sends_each_email_once(store, flows, postmark):
    messages = win_backs(store, flows, 3)
    tasks.send_batch_task.apply()
    tasks.send_batch_task.apply()
    assert sorted(postmark.sent_to) == sorted(message.email for message in messages)
    assert {row.status for row in rows(messages).values()} == {MessageStatus.SENT}


def test_two_emails_for_one_buyer_are_paced_across_batches_not_both_held(store, flows, postmark):
    # given a store that sends one marketing email per day, and two due for the same buyer
    MessagingPolicy.objects.filter(store=store).update(frequency_cap_count=1, frequency_cap_hours=24)
    (first,) = win_backs(store, flows, 1)
    (second,) = messages_schedule(
        [Planned(step=first.step, subject_key=f"{first.subject_key}:again", email=first.email,
                 customer_id=first.customer_id, scheduled_for=timezone.now() - timedelta(minutes=1))]
    )  # fmt: skip
    # when two batches run
    one, two = send_due_batch(), send_due_batch()
    # then the first batch sent one and gave the other back; the next batch paced it (not both held back)
    assert one[MessageStatus.SENT] == 1 and one["released"] == 1
    assert two.get("deferred") == 1 and len(postmark.sent_to) == 1
    statuses = dict(Message.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "trace__-1__rule"))
    assert MessageStatus.SENT in statuses and statuses.get(MessageStatus.SCHEDULED) == "frequency_cap"


def test_each_template_is_compiled_once_per_batch_not_once_per_email(store, flows, postmark):
    rendering._compiled_merchant.cache_clear()
    win_backs(store, flows, 30)
    with mock.patch.object(rendering.ENGINE, "from_string", wraps=rendering.ENGINE.from_string) as compile_:
        assert send_due_batch()[MessageStatus.SENT] == 30
    sources = {call.args[0] for call in compile_.call_args_list}
    languages = set(Message.objects.filter(status=MessageStatus.SENT).values_list("language", flat=True))
    # each source once: subject, preheader and body of the one step, in each language the buyers read
    assert compile_.call_count == len(sources) <= 3 * len(languages) < 30


def test_a_batch_reads_the_database_a_fixed_number_of_times_whatever_its_size(store, flows, postmark):
    # Pacing on (the store's default cap): each buyer's recent sends are read for the whole batch at once, like
    # everything else a batch decides, renders and records.
    assert MessagingPolicy.objects.get(store=store).frequency_cap_count > 0
    win_backs(store, flows, 4)
    with CaptureQueriesContext(connection) as small:
        assert send_due_batch()[MessageStatus.SENT] == 4
    win_backs(store, flows, 40, first=100)
    with CaptureQueriesContext(connection) as large:
        assert send_due_batch()[MessageStatus.SENT] == 40
    assert len(large) == len(small) <= 25


def test_beat_puts_order_mail_on_its_own_queue_and_marketing_in_batch_tasks(store, flows, settings):
    settings.CAMPAIGNS_SEND_BATCH_SIZE = 2
    win_backs(store, flows, 5)
    buyer = CustomerFactory(store=store, email="order@example.com")
    order = OrderFactory(store=store, customer=buyer, email=buyer.email)
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    (confirmation,) = messages_schedule(
        [Planned(step=step, subject_key=f"order:{order.pk}", email=buyer.email, customer_id=buyer.pk,
                 order_id=order.pk, scheduled_for=timezone.now() - timedelta(minutes=1))]
    )  # fmt: skip
    with (
        mock.patch.object(tasks.message_send_task, "apply_async") as single,
        mock.patch.object(tasks.send_batch_task, "apply_async") as batch,
    ):
        assert tasks.dispatch_due_task() == 6
    single.assert_called_once_with((confirmation.pk,), queue="transactional")
    assert batch.call_args_list == [mock.call(queue="marketing")] * 3  # 5 emails, 2 per batch


def test_a_batch_records_suppressions_skips_and_deferrals_on_their_own_rows(store, flows, postmark):
    # given four due win-backs: a suppressed address, a buyer who withdrew consent, one paced by an email an
    # hour ago, and one free to receive it
    suppressed, withdrawn, paced, free = win_backs(store, flows, 4)
    Customer.objects.filter(pk=suppressed.customer_id).update(suppressed_at=timezone.now(), suppression_reason="bounce")
    Customer.objects.filter(pk=withdrawn.customer_id).update(marketing_consent=False)
    MessagingPolicy.objects.filter(store=store).update(frequency_cap_count=1, frequency_cap_hours=24)
    earlier = messages_schedule(
        [Planned(step=paced.step, subject_key=f"{paced.subject_key}:earlier", email=paced.email,
                 customer_id=paced.customer_id, scheduled_for=timezone.now() + timedelta(days=1))]
    )[0]  # fmt: skip
    Message.objects.filter(pk=earlier.pk).update(status=MessageStatus.SENT, sent_at=timezone.now() - timedelta(hours=1))
    # when the batch runs, twice
    first, second = send_due_batch(), send_due_batch()
    # then each row says what became of it and why; only the free buyer got an email, once
    assert first[MessageStatus.SENT] == 1 and first["deferred"] == 1 and not second
    assert postmark.sent_to == [free.email]
    after = rows([suppressed, withdrawn, paced, free])
    assert [(after[m.email].status, after[m.email].trace[-1]["rule"]) for m in (suppressed, withdrawn, paced)] == [
        (MessageStatus.SUPPRESSED, "suppression"),
        (MessageStatus.SKIPPED, "consent"),
        (MessageStatus.SCHEDULED, "frequency_cap"),
    ]
    assert after[paced.email].scheduled_for == Message.objects.get(pk=earlier.pk).sent_at + timedelta(hours=24)
    assert after[paced.email].attempts == 0  # a deferral is not an attempt
    assert after[suppressed.email].reason.startswith("address suppressed")


def test_a_connection_to_the_esp_idle_past_its_keep_alive_is_not_reused(monkeypatch):
    # A batch posted on a connection the ESP is closing cannot tell whether it arrived (500 emails `unknown`):
    # a connection idle for longer than the keep-alive allowance is replaced, a busy one is kept.
    clock = [1_000.0]
    monkeypatch.setattr(transport.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(transport._local, "session", None, raising=False)
    first = transport._session()
    clock[0] += transport.KEEP_ALIVE_SECONDS - 1
    assert transport._session() is first
    clock[0] += transport.KEEP_ALIVE_SECONDS + 1
    with mock.patch.object(first, "close", wraps=first.close) as close:
        second = transport._session()
    assert second is not first and close.called

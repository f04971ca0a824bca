"""The ledger sends each message once, retries what the ESP refused, never resends what it may have
sent, and paces marketing mail (consent, frequency cap, quiet hours)."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from anymail.exceptions import AnymailRequestsAPIError
from django.utils import timezone

from apps.campaigns.dispatch import message_send, messages_due, messages_sweep_stuck
from apps.campaigns.models import FlowKind, Message, MessageStatus, MessagingPolicy
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.campaigns.tasks import dispatch_due_task
from tests.campaigns.esp import esp_error
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db
NOON_ROME = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)  # 12:00 in Rome


def schedule(flows, kind, key, *, customer, at, subject_key="k", order=None):
    step = flows[kind].steps.get(key=key)
    planned = Planned(
        step=step,
        subject_key=subject_key,
        email=customer.email,
        scheduled_for=at,
        customer_id=customer.pk,
        order_id=order.pk if order else None,
    )
    return messages_schedule([planned])[0]


@pytest.fixture
def buyer(store):
    return CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")


@pytest.fixture
def order(store, buyer):
    return OrderFactory(store=store, customer=buyer, email=buyer.email)


@time_machine.travel(NOON_ROME, tick=False)
def test_sending_the_same_message_twice_sends_one_email(flows, buyer, order, mailoutbox):
    message = schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)
    assert message_send(message_id=message.pk).status == MessageStatus.SENT
    assert message_send(message_id=message.pk).status == "not_claimed"
    assert len(mailoutbox) == 1


@time_machine.travel(NOON_ROME, tick=False)
def test_scheduling_the_same_step_and_subject_twice_makes_one_row(flows, buyer, order):
    schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    again = messages_schedule([Planned(step=step, subject_key="k", email=buyer.email, scheduled_for=NOON_ROME)])
    assert again == []
    assert Message.objects.count() == 1


def test_an_esp_that_fails_twice_then_succeeds_sends_one_email_and_records_the_retries(
    flows, buyer, order, scripted_esp, mailoutbox
):
    scripted_esp.extend([esp_error(503), esp_error(503)])
    with time_machine.travel(NOON_ROME, tick=False) as clock:
        message = schedule(
            flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order
        )
        outcomes = []
        for _ in range(4):
            outcomes.append(message_send(message_id=message.pk).status)
            clock.shift(timedelta(minutes=10))
    message.refresh_from_db()
    assert outcomes == ["retry", "retry", MessageStatus.SENT, "not_claimed"]
    assert message.status == MessageStatus.SENT
    assert message.attempts == 3
    assert [entry["action"] for entry in message.trace] == ["scheduled", "retry", "retry", "sent"]
    sent = [email for email in mailoutbox if not hasattr(email, "anymail_test_response")]
    assert len(sent) == 1


@time_machine.travel(NOON_ROME, tick=False)
def test_a_permanent_esp_refusal_fails_without_retrying(flows, buyer, order, scripted_esp):
    scripted_esp.append(esp_error(422))
    message = schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)
    assert message_send(message_id=message.pk).status == MessageStatus.FAILED
    assert messages_due() == []


@time_machine.travel(NOON_ROME, tick=False)
def test_an_esp_timeout_leaves_the_message_unknown_not_resent(flows, buyer, order, scripted_esp):
    timeout = AnymailRequestsAPIError("timed out")
    timeout.__cause__ = requests.exceptions.ReadTimeout("read timed out")
    scripted_esp.append(timeout)
    message = schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)
    assert message_send(message_id=message.pk).status == MessageStatus.UNKNOWN
    assert message_send(message_id=message.pk).status == "not_claimed"


def test_a_worker_that_died_mid_send_leaves_a_message_the_sweeper_marks_unknown(flows, buyer, order):
    message = schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=NOON_ROME)
    assert messages_sweep_stuck(now=NOON_ROME + timedelta(minutes=5)) == 0
    assert messages_sweep_stuck(now=NOON_ROME + timedelta(minutes=11)) == 1
    assert messages_sweep_stuck(now=NOON_ROME + timedelta(minutes=12)) == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert message.trace[-1]["rule"] == "sweeper"


@time_machine.travel(NOON_ROME, tick=False)
def test_beat_firing_twice_still_sends_each_due_message_once(flows, buyer, order, mailoutbox):
    schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)
    assert dispatch_due_task() == 1
    assert dispatch_due_task() == 0
    assert len(mailoutbox) == 1


@time_machine.travel(NOON_ROME, tick=False)
def test_marketing_mail_carries_one_click_unsubscribe_headers(flows, buyer, mailoutbox):
    message = schedule(flows, FlowKind.WIN_BACK, "values", customer=buyer, at=NOON_ROME)
    assert message_send(message_id=message.pk).status == MessageStatus.SENT
    headers = mailoutbox[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http") and "/unsubscribe/" in headers["List-Unsubscribe"]
    assert "/preferences/" in mailoutbox[0].alternatives[0][0]


@time_machine.travel(NOON_ROME, tick=False)
def test_transactional_mail_has_no_unsubscribe_header(flows, buyer, order, mailoutbox):
    message = schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)
    message_send(message_id=message.pk)
    assert "List-Unsubscribe" not in mailoutbox[0].extra_headers


@time_machine.travel(NOON_ROME, tick=False)
def test_marketing_without_consent_is_skipped_but_transactional_goes(flows, store, mailoutbox):
    silent = CustomerFactory(store=store, marketing_consent=False)
    order = OrderFactory(store=store, customer=silent, email=silent.email)
    marketing = schedule(flows, FlowKind.WIN_BACK, "values", customer=silent, at=NOON_ROME)
    confirmation = schedule(
        flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=silent, at=NOON_ROME, order=order
    )
    assert message_send(message_id=marketing.pk).status == MessageStatus.SKIPPED
    assert message_send(message_id=confirmation.pk).status == MessageStatus.SENT
    marketing.refresh_from_db()
    assert marketing.reason == "no marketing consent"


def test_the_frequency_cap_defers_to_the_next_free_slot_and_then_sends(flows, buyer, mailoutbox):
    with time_machine.travel(NOON_ROME, tick=False) as clock:
        first = schedule(flows, FlowKind.WIN_BACK, "offer", customer=buyer, at=NOON_ROME, subject_key="a")
        second = schedule(flows, FlowKind.REPLENISHMENT, "running-low", customer=buyer, at=NOON_ROME, subject_key="b")
        assert message_send(message_id=first.pk).status == MessageStatus.SENT
        assert message_send(message_id=second.pk).status == "deferred"
        second.refresh_from_db()
        assert second.status == MessageStatus.SCHEDULED
        assert second.scheduled_for == NOON_ROME + timedelta(hours=24)
        assert second.trace[-1]["rule"] == "frequency_cap"
        clock.move_to(NOON_ROME + timedelta(hours=24, minutes=1))
        assert message_send(message_id=second.pk).status == MessageStatus.SENT
    assert len(mailoutbox) == 2


def test_quiet_hours_hold_marketing_until_morning_in_the_customers_time_zone(flows, store, mailoutbox):
    seoul = CustomerFactory(store=store, consenting=True, time_zone="Asia/Seoul")
    late_in_seoul = datetime(2026, 6, 10, 14, 30, tzinfo=UTC)  # 23:30 in Seoul
    with time_machine.travel(late_in_seoul, tick=False):
        message = schedule(flows, FlowKind.WIN_BACK, "values", customer=seoul, at=late_in_seoul)
        assert message_send(message_id=message.pk).status == "deferred"
    message.refresh_from_db()
    assert message.scheduled_for == datetime(2026, 6, 10, 23, 0, tzinfo=UTC)  # 08:00 in Seoul
    assert mailoutbox == []
    with time_machine.travel(message.scheduled_for, tick=False):
        assert message_send(message_id=message.pk).status == MessageStatus.SENT


def test_the_store_can_turn_pacing_off(flows, store, buyer, mailoutbox):
    MessagingPolicy.objects.update_or_create(
        store=store, defaults={"frequency_cap_count": 0, "quiet_hours_start": 0, "quiet_hours_end": 0}
    )
    at = datetime(2026, 6, 10, 22, 0, tzinfo=UTC)  # midnight in Rome
    with time_machine.travel(at, tick=False):
        for key in ("a", "b"):
            message = schedule(flows, FlowKind.WIN_BACK, "values", customer=buyer, at=at, subject_key=key)
            assert message_send(message_id=message.pk).status == MessageStatus.SENT


@time_machine.travel(NOON_ROME, tick=False)
def test_an_abandoned_cart_email_exits_when_the_cart_converts(flows, store, buyer, mailoutbox):
    from tests.orders.factories import CartFactory

    cart = CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=NOON_ROME - timedelta(hours=2))
    step = flows[FlowKind.ABANDONED_CART].steps.get(key="reminder-1h")
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key=f"cart:{cart.pk}",
                email=buyer.email,
                scheduled_for=NOON_ROME,
                customer_id=buyer.pk,
                cart_id=cart.pk,
            )
        ]
    )
    OrderFactory(store=store, customer=buyer, email=buyer.email, placed_at=NOON_ROME - timedelta(minutes=30))
    assert message_send(message_id=message.pk).status == MessageStatus.SKIPPED
    message.refresh_from_db()
    assert message.trace[-1]["rule"] == "exit_on_order"
    assert mailoutbox == []


def test_due_transactional_mail_is_handed_out_before_marketing(flows, buyer, order):
    at = timezone.now() - timedelta(minutes=1)
    marketing = schedule(
        flows, FlowKind.WIN_BACK, "values", customer=buyer, at=at - timedelta(hours=1), subject_key="m"
    )
    confirmation = schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=at, order=order)
    assert [pk for pk, _ in messages_due()] == [confirmation.pk, marketing.pk]


@time_machine.travel(NOON_ROME, tick=False)
def test_the_preference_centre_choices_are_respected(flows, store, mailoutbox):
    customer = CustomerFactory(store=store, consenting=True, wants_offers=False, wants_shipping_updates=False)
    order = OrderFactory(store=store, customer=customer, email=customer.email)
    offer = schedule(flows, FlowKind.WIN_BACK, "values", customer=customer, at=NOON_ROME)
    confirmation = schedule(
        flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=customer, at=NOON_ROME, order=order
    )
    assert message_send(message_id=offer.pk).status == MessageStatus.SKIPPED
    assert message_send(message_id=confirmation.pk).status == MessageStatus.SENT
    offer.refresh_from_db()
    assert offer.trace[-1]["rule"] == "preferences"


@time_machine.travel(NOON_ROME, tick=False)
def test_paused_marketing_is_skipped(flows, store):
    customer = CustomerFactory(store=store, consenting=True, marketing_paused_until=NOON_ROME + timedelta(days=30))
    offer = schedule(flows, FlowKind.WIN_BACK, "values", customer=customer, at=NOON_ROME)
    assert message_send(message_id=offer.pk).status == MessageStatus.SKIPPED

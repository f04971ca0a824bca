"""Two dispatchers racing over the same due messages still send one email per (step, subject).
Needs PostgreSQL: SQLite has no row locks to skip."""

import threading
import time
from datetime import timedelta

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.campaigns.dispatch import message_send, messages_due
from apps.campaigns.models import FlowKind, Message, MessageStatus, MessagingPolicy
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_dispatchers_racing_send_each_message_once(flows, store):
    # given 40 due order confirmations
    due_at = timezone.now() - timedelta(seconds=1)
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    planned = []
    for _ in range(40):
        customer = CustomerFactory(store=store)
        order = OrderFactory(store=store, customer=customer, email=customer.email)
        planned.append(
            Planned(
                step=step,
                subject_key=f"order:{order.pk}",
                email=customer.email,
                scheduled_for=due_at,
                customer_id=customer.pk,
                order_id=order.pk,
            )
        )
    messages_schedule(planned)
    ids = [pk for pk, _ in messages_due()]
    assert len(ids) == 40
    mail.outbox = []
    start = threading.Barrier(2)
    errors = []

    def dispatcher(order_of_work):
        try:
            start.wait()
            for message_id in order_of_work:
                message_send(message_id=message_id)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    # when two dispatchers work through the same list, one from each end
    threads = [threading.Thread(target=dispatcher, args=(ids,)), threading.Thread(target=dispatcher, args=(ids[::-1],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # then every message went out exactly once
    assert errors == []
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 40
    recipients = [email.to[0] for email in mail.outbox]
    assert len(recipients) == 40
    assert len(set(recipients)) == 40


def test_a_message_being_sent_is_skipped_by_the_other_worker_not_waited_for(flows, store):
    customer = CustomerFactory(store=store)
    order = OrderFactory(store=store, customer=customer, email=customer.email)
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key="order:1",
                email=customer.email,
                scheduled_for=timezone.now() - timedelta(seconds=1),
                order_id=order.pk,
            )
        ]
    )
    held = threading.Event()
    release = threading.Event()
    outcome = {}

    def holder():
        from django.db import transaction

        with transaction.atomic():
            Message.objects.select_for_update().get(pk=message.pk)
            held.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    outcome["second"] = message_send(message_id=message.pk).status  # returns at once: the row is locked
    release.set()
    thread.join(10)
    assert outcome["second"] == "not_claimed"


def test_two_scans_at_once_plan_each_message_once(flows, store):
    from apps.campaigns.scans import run_scan
    from tests.orders.factories import CartFactory, CartLineFactory

    # given 60 abandoned carts
    now = timezone.now()
    for n in range(60):
        CartLineFactory(cart=CartFactory(store=store, email=f"c{n}@example.com", updated_at=now - timedelta(hours=2)))
    start = threading.Barrier(2)
    errors = []

    def scanner():
        try:
            start.wait()
            run_scan("abandoned_carts", store=store, now=now)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Message.objects.filter(step__flow__kind=FlowKind.ABANDONED_CART).count() == 60


class SlowEsp(AnymailTestBackend):
    """An ESP that takes a moment to accept each email, as real ones do: long enough for a second worker
    to decide about the same buyer while the first email is still in flight."""

    def send_messages(self, email_messages):
        time.sleep(0.05)
        return super().send_messages(email_messages)


def test_two_workers_sending_different_flows_to_the_same_buyers_respect_the_frequency_cap(flows, store, settings):
    # given 20 consenting buyers, a cap of one marketing email a day and no quiet hours,
    # and for each buyer a win-back offer and a replenishment reminder, both due now
    settings.EMAIL_BACKEND = f"{__name__}.SlowEsp"
    MessagingPolicy.objects.update_or_create(
        store=store,
        defaults={"frequency_cap_count": 1, "frequency_cap_hours": 24, "quiet_hours_start": 0, "quiet_hours_end": 0},
    )
    due_at = timezone.now() - timedelta(seconds=1)
    win_back = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    reminder = flows[FlowKind.REPLENISHMENT].steps.get(key="running-low")
    buyers = [CustomerFactory(store=store, consenting=True) for _ in range(20)]
    planned = [
        Planned(step=step, subject_key=f"cap:{buyer.pk}", email=buyer.email, scheduled_for=due_at, customer_id=buyer.pk)
        for buyer in buyers
        for step in (win_back, reminder)
    ]
    messages = messages_schedule(planned)
    offers = [m.pk for m in messages if m.step_id == win_back.pk]
    reminders = [m.pk for m in messages if m.step_id == reminder.pk]
    mail.outbox = []
    start = threading.Barrier(2)
    errors = []

    def worker(ids):
        try:
            start.wait()
            for message_id in ids:
                message_send(message_id=message_id)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    # when one worker sends the offers and another the reminders, buyer by buyer, at the same time
    threads = [threading.Thread(target=worker, args=(ids,)) for ids in (offers, reminders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    # then every buyer got exactly one email today; the other waits, deferred by the cap
    assert errors == []
    recipients = sorted(email.to[0] for email in mail.outbox)
    assert recipients == sorted(buyer.email for buyer in buyers)
    for buyer in buyers:
        statuses = sorted(Message.objects.filter(customer=buyer).values_list("status", flat=True))
        assert statuses == [MessageStatus.SCHEDULED, MessageStatus.SENT]

"""Two dispatchers racing over the same due messages still send one email per (step, subject).
Needs PostgreSQL: SQLite has no row locks to skip."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.campaigns.dispatch import message_send, messages_due
from apps.campaigns.models import FlowKind, Message, MessageStatus
from apps.campaigns.services import Planned, messages_schedule
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

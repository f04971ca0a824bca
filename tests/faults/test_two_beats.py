"""Two celery beats on the same schedule (a deploy that started one too many), with real workers: each
scan and each send still happens once."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.campaigns.models import FlowKind, Message, MessageStatus, ScanRun
from tests.customers.factories import CustomerFactory
from tests.faults.conftest import sent_lines, wait_until, zone_at_local_hour
from tests.orders.factories import CartFactory, CartLineFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def every_second(name: str, task: str, *args: str) -> None:
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name=name, task=task, interval=interval, args=json.dumps(list(args)))


def test_two_beats_firing_every_second_plan_and_send_each_email_once(workers, fault_env, flows, store, tmp_path):
    # given a store where it is early afternoon, and 20 buyers who left a cart two hours ago
    zone = zone_at_local_hour(14)
    store.time_zone = zone
    store.save(update_fields=["time_zone"])
    addresses = []
    for n in range(20):
        buyer = CustomerFactory(store=store, email=f"cart{n}@example.com", consenting=True, time_zone=zone)
        cart = CartFactory(
            store=store, customer=buyer, email=buyer.email, updated_at=timezone.now() - timedelta(hours=2)
        )
        CartLineFactory(cart=cart)
        addresses.append(buyer.email)
    # and a schedule that offers the cart scan, a daily scan and dispatch every second
    PeriodicTask.objects.all().delete()
    every_second("carts", "apps.campaigns.tasks.scan_task", "abandoned_carts")
    every_second("lapsed", "apps.campaigns.tasks.scan_task", "lapsed_customers")
    every_second("dispatch", "apps.campaigns.tasks.dispatch_due_task")

    # when two beats and two workers run side by side
    logs = [workers.start_beat(name=name, folder=tmp_path) for name in ("one", "two")]
    workers.start(name="a")
    workers.start(name="b")
    reminders = Message.objects.filter(step__flow__kind=FlowKind.ABANDONED_CART, step__key="reminder-1h")
    assert wait_until(lambda: reminders.filter(status=MessageStatus.SENT).count() == 20, timeout=90)
    wait_until(lambda: False, timeout=5)  # both beats keep firing

    # then both beats really fired, many times
    for log in logs:
        assert log.read_text().count("Sending due task carts") >= 3, log.read_text()[-2000:]
    assert ScanRun.objects.filter(name="abandoned_carts", store=store).count() >= 6
    # and every buyer got one reminder, planned once and sent once
    assert reminders.count() == 20
    assert sorted(sent_lines(fault_env)) == sorted(addresses)
    # and the daily scan ran once for the store's day, however often it was offered
    local_day = timezone.localtime(timezone.now(), store.tz).date()
    assert list(ScanRun.objects.filter(name="lapsed_customers", store=store).values_list("local_day", flat=True)) == [
        local_day
    ]

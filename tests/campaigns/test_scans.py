"""Scans find the moments that matter; each run twice plans nothing new."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError

from apps.campaigns.dispatch import message_send
from apps.campaigns.models import FlowKind, Message, MessageStatus, ScanRun
from apps.campaigns.scans import SCANS, Scan, run_scan
from apps.shipments.models import ShipmentStatus as S
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 3, 8, 0, tzinfo=UTC)  # 10:00 in Rome, outside quiet hours


def twice(name, store, now):
    first = run_scan(name, store=store, now=now)[0]
    second = run_scan(name, store=store, now=now)[0]
    assert second.messages_created == 0, "a second run planned something again"
    return first


def send_due(now):
    sent = []
    for message in Message.objects.filter(status=MessageStatus.SCHEDULED, scheduled_for__lte=now):
        if message_send(message_id=message.pk, now=now).status == MessageStatus.SENT:
            sent.append(message)
    return sent


@pytest.fixture
def buyer(store):
    return CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")


def test_a_cart_walks_through_all_three_reminders_then_out_on_purchase(flows, store, buyer, mailoutbox):
    cart = CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=T0)
    CartLineFactory(cart=cart)
    seen = []
    with time_machine.travel(T0, tick=False) as clock:
        # (the 24 h email waits for the frequency cap: a day after the 1 h one, sent at 1.5 h; the 72 h one
        # keeps its 48 h from the 24 h one)
        for hours in (0.5, 1.5, 25.6, 74):
            now = T0 + timedelta(hours=hours)
            clock.move_to(now)
            twice("abandoned_carts", store, now)
            seen.append(sorted(m.step.key for m in send_due(now)))
        # the buyer comes back and buys: a later step would not go
    assert seen == [[], ["reminder-1h"], ["help-24h"], ["coupon-72h"]]
    coupon_email = mailoutbox[-1].alternatives[0][0]
    assert "NORTHW-" in coupon_email  # the 72 h email carries its own code


def test_a_purchase_ends_the_series(flows, store, buyer, mailoutbox):
    cart = CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=T0)
    CartLineFactory(cart=cart)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        twice("abandoned_carts", store, T0 + timedelta(hours=2))
        assert len(send_due(T0 + timedelta(hours=2))) == 1
    OrderFactory(store=store, customer=buyer, email=buyer.email, placed_at=T0 + timedelta(hours=3))
    later = T0 + timedelta(hours=30)
    with time_machine.travel(later, tick=False):
        result = twice("abandoned_carts", store, later)
        assert result.messages_created == 0
    assert len(mailoutbox) == 1


def test_carts_without_email_or_lines_or_too_old_are_not_chased(flows, store, buyer):
    CartLineFactory(cart=CartFactory(store=store, email="", updated_at=T0))
    CartFactory(store=store, email="nolines@example.com", updated_at=T0)
    CartLineFactory(cart=CartFactory(store=store, email="old@example.com", updated_at=T0 - timedelta(days=30)))
    assert twice("abandoned_carts", store, T0 + timedelta(hours=2)).candidates == 0


def delivered_order(store, customer, *, delivered_at, status=S.DELIVERED, estimated=None):
    order = OrderFactory(
        store=store, customer=customer, email=customer.email, placed_at=delivered_at - timedelta(days=4)
    )
    ShipmentFactory(
        order=order,
        status=status,
        delivered_at=delivered_at if status == S.DELIVERED else None,
        shipped_at=delivered_at - timedelta(days=3),
        estimated_delivery=estimated,
    )
    return order


def test_the_nps_survey_follows_delivery_by_seven_days_then_one_reminder(flows, store, buyer, mailoutbox):
    order = delivered_order(store, buyer, delivered_at=T0)
    assert twice("overdue_reviews", store, T0 + timedelta(days=6)).messages_created == 0
    with time_machine.travel(T0 + timedelta(days=7, hours=1), tick=False):
        assert twice("overdue_reviews", store, T0 + timedelta(days=7, hours=1)).messages_created == 1
        send_due(T0 + timedelta(days=7, hours=1))
    html = mailoutbox[0].alternatives[0][0]
    assert "/nps/" in html and ">10<" in html  # the 0-10 buttons
    with time_machine.travel(T0 + timedelta(days=10, hours=1), tick=False):
        assert twice("overdue_reviews", store, T0 + timedelta(days=10, hours=1)).messages_created == 1
    assert Message.objects.filter(order=order).count() == 2


def test_no_survey_while_a_shipment_is_in_trouble_or_once_answered(flows, store, buyer):
    from apps.feedback.services.nps import nps_record

    troubled = delivered_order(store, buyer, delivered_at=T0)
    ShipmentFactory(order=troubled, status=S.EXCEPTION)
    answered = delivered_order(store, CustomerFactory(store=store), delivered_at=T0)
    nps_record(order=answered, score=9)
    assert twice("overdue_reviews", store, T0 + timedelta(days=8)).messages_created == 0


def test_a_delivery_never_confirmed_counts_from_the_carriers_estimate(flows, store, buyer):
    delivered_order(store, buyer, delivered_at=T0, status=S.IN_TRANSIT, estimated=date(2026, 6, 3))
    assert twice("overdue_reviews", store, T0 + timedelta(days=6)).messages_created == 0
    assert twice("overdue_reviews", store, T0 + timedelta(days=8)).messages_created == 1


def test_the_delivery_watch_flags_stuck_parcels_apologises_once_and_unflags_moving_ones(flows, store, buyer):
    order = OrderFactory(store=store, customer=buyer, email=buyer.email)
    quiet = ShipmentFactory(order=order, status=S.IN_TRANSIT, last_event_at=T0 - timedelta(days=6))
    fine = ShipmentFactory(order=OrderFactory(store=store), status=S.IN_TRANSIT, last_event_at=T0 - timedelta(days=1))
    run = twice("delivery_watch", store, T0)
    quiet.refresh_from_db()
    fine.refresh_from_db()
    assert quiet.delay_flagged_at is not None and fine.delay_flagged_at is None
    assert run.messages_created == 1
    assert Message.objects.get(shipment=quiet).step.flow.kind == FlowKind.DELIVERY_APOLOGY
    quiet.last_event_at = T0
    quiet.save()
    twice("delivery_watch", store, T0 + timedelta(hours=1))
    quiet.refresh_from_db()
    assert quiet.delay_flagged_at is None


def test_a_consumable_is_reminded_three_days_before_it_runs_out_unless_reordered(flows, store, buyer, mailoutbox):
    beans = ProductFactory(store=store, name="Espresso beans 1 kg", replenishment_days=30)
    bought = OrderFactory(store=store, customer=buyer, email=buyer.email, placed_at=T0)
    OrderLineFactory(order=bought, product=beans)
    assert twice("replenishment", store, T0 + timedelta(days=26)).messages_created == 0
    with time_machine.travel(T0 + timedelta(days=27, hours=1), tick=False):
        assert twice("replenishment", store, T0 + timedelta(days=27, hours=1)).messages_created == 1
        send_due(T0 + timedelta(days=27, hours=1))
    assert "Espresso beans 1 kg" in mailoutbox[0].subject
    # a buyer who already reordered is not reminded about the older order
    other = CustomerFactory(store=store, consenting=True)
    for placed in (T0, T0 + timedelta(days=20)):
        OrderLineFactory(
            order=OrderFactory(store=store, customer=other, email=other.email, placed_at=placed), product=beans
        )
    run = twice("replenishment", store, T0 + timedelta(days=27, hours=1))
    assert run.messages_created == 0


def test_an_interval_is_learned_from_repeat_purchases(flows, store):
    from apps.orders.intervals import interval_days, intervals_learn

    filters = ProductFactory(store=store, name="Paper filters", replenishment_days=None)
    for n in range(6):
        customer = CustomerFactory(store=store)
        for k in range(3):
            OrderLineFactory(
                order=OrderFactory(store=store, customer=customer, placed_at=T0 + timedelta(days=21 * k + n)),
                product=filters,
            )
    intervals_learn(store=store)
    filters.refresh_from_db()
    assert (filters.learned_interval_days, filters.learned_observations) == (21, 12)
    assert interval_days(filters) == 21


def test_run_scan_by_hand_reports_what_it_did(flows, store, buyer, capsys):
    CartLineFactory(cart=CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=T0))
    call_command("run_scan", "abandoned_carts", "--store", store.slug, "--now", "2026-06-03T12:00:00+02:00")
    call_command("run_scan", "abandoned_carts", "--store", store.slug, "--now", "2026-06-03T12:00:00+02:00")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("abandoned_carts · northwind: 1 candidates, 1 messages")
    assert "0 messages" in out[1]
    assert ScanRun.objects.filter(name="abandoned_carts", store=store).count() == 2


def test_run_scan_refuses_an_unknown_store_or_a_moment_without_offset(store):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("run_scan", "abandoned_carts", "--store", "nobody")
    with pytest.raises(CommandError):
        call_command("run_scan", "abandoned_carts", "--now", "2026-06-03 12:00")


@pytest.mark.parametrize(
    ("time_zone", "switch"),
    [
        ("Europe/Rome", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        ("Europe/Rome", datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 11, 1, 6, 0, tzinfo=UTC)),
    ],
)
def test_a_daily_scan_runs_once_per_local_day_across_a_dst_change(flows, store, time_zone, switch):
    from zoneinfo import ZoneInfo

    store.time_zone = time_zone
    store.save()
    # beat offers the daily scan every hour for three days around the change (and twice each hour)
    start = switch - timedelta(days=1, hours=12)
    for hour in range(72):
        now = start + timedelta(hours=hour)
        run_scan("replenishment", store=store, now=now, once_per_day=True)
        run_scan("replenishment", store=store, now=now, once_per_day=True)
    runs = ScanRun.objects.filter(name="replenishment", store=store)
    days = [run.local_day for run in runs]
    assert len(days) == len(set(days))  # never twice on one local day
    expected = {
        (start + timedelta(hours=h)).astimezone(ZoneInfo(time_zone)).date()
        for h in range(72)
        if (start + timedelta(hours=h)).astimezone(ZoneInfo(time_zone)).hour >= 10
    }
    assert set(days) == expected  # and on every one of them
    first_day = start.astimezone(ZoneInfo(time_zone)).date()
    for run in runs.exclude(local_day=first_day):  # the window opens mid-day on the first day
        assert run.as_of.astimezone(ZoneInfo(time_zone)).hour == 10  # at the local hour, summer or winter


def test_a_daily_scan_that_failed_is_tried_again_the_same_day_and_then_holds_the_day(flows, store, monkeypatch):
    now = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)  # 11:00 in Rome: the replenishment window is open
    monkeypatch.setitem(SCANS, "replenishment", Scan("replenishment", boom, daily=True, local_hour=10))
    with pytest.raises(OperationalError):
        run_scan("replenishment", store=store, now=now, once_per_day=True)
    monkeypatch.undo()
    # the next hour's offer runs it, and a later one that day does not
    assert len(run_scan("replenishment", store=store, now=now + timedelta(hours=1), once_per_day=True)) == 1
    assert run_scan("replenishment", store=store, now=now + timedelta(hours=2), once_per_day=True) == []
    runs = ScanRun.objects.filter(name="replenishment", store=store)
    assert runs.filter(local_day=date(2026, 6, 3), error="").count() == 1
    assert runs.get(local_day__isnull=True).error == "OperationalError: the database went away"


def test_a_daily_run_that_never_finished_keeps_the_day_until_no_task_could_still_be_running(flows, store):
    now = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False) as clock:
        # a worker started today's run, then vanished with it (no error written)
        ScanRun.objects.create(name="replenishment", store=store, local_day=date(2026, 6, 3), as_of=now,
                               started_at=now)  # fmt: skip
        clock.move_to(now + timedelta(minutes=5))  # it may still be running: nothing starts beside it
        assert run_scan("replenishment", store=store, now=now + timedelta(minutes=5), once_per_day=True) == []
        clock.move_to(now + timedelta(hours=1))  # longer than any task may live: it is dead
        assert len(run_scan("replenishment", store=store, now=now + timedelta(hours=1), once_per_day=True)) == 1
    dead = ScanRun.objects.get(name="replenishment", local_day__isnull=True)
    assert dead.error == "stopped without finishing (worker or database lost)"


def boom(store, now):
    raise OperationalError("the database went away")


def test_revenue_of_a_cart_email_click_is_attributed(flows, store, buyer):
    from apps.campaigns.services.attribution import attribute_order

    cart = CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=T0)
    CartLineFactory(cart=cart)
    twice("abandoned_carts", store, T0 + timedelta(hours=2))
    Message.objects.filter(cart=cart).update(status=MessageStatus.SENT, clicked_at=T0 + timedelta(hours=3))
    order = OrderFactory(
        store=store, customer=buyer, email=buyer.email, placed_at=T0 + timedelta(hours=4), total=Decimal("55.00")
    )
    assert attribute_order(order=order).cart_id == cart.pk

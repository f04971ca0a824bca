"""RFM segments move with behaviour (with history); lapsed customers enter win-back once per lapse."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from apps.campaigns.dispatch import message_send
from apps.campaigns.models import FlowKind, Message, MessageStatus
from apps.campaigns.scans import run_scan
from apps.customers.models import Customer, RfmMove
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def buyer(store, *, days_ago: int, orders: int, spent: str, gap: float | None = None, **extra):
    return CustomerFactory(
        store=store,
        orders_count=orders,
        total_spent=Decimal(spent),
        last_order_at=NOW - timedelta(days=days_ago),
        first_order_at=NOW - timedelta(days=days_ago + 300),
        median_order_gap_days=gap,
        **extra,
    )


@pytest.fixture
def crowd(store):
    """Fifty customers spread over recency, frequency and spend, so quintiles mean something."""
    people = []
    for n in range(50):
        people.append(buyer(store, days_ago=5 + 14 * n, orders=1 + (49 - n) // 5, spent=str(40 + 30 * (49 - n))))
    return people


def test_the_best_customers_are_champions_and_the_long_gone_are_lost(store, crowd):
    run_scan("rfm", store=store, now=NOW)
    first, last = Customer.objects.get(pk=crowd[0].pk), Customer.objects.get(pk=crowd[-1].pk)
    assert (first.rfm_recency, first.rfm_frequency, first.rfm_segment) == (5, 5, "champions")
    assert (last.rfm_recency, last.rfm_segment) == (1, "lost")
    assert first.rfm_top_percent and not last.rfm_top_percent
    assert set(Customer.objects.filter(store=store).values_list("rfm_segment", flat=True)) >= {
        "champions",
        "loyal",
        "lost",
    }


def test_a_customer_moves_through_segments_and_each_move_is_kept(store, crowd):
    star = crowd[0]
    run_scan("rfm", store=store, now=NOW)
    run_scan("rfm", store=store, now=NOW)  # twice the same night: one history row
    # months without an order: the champion slides
    later = NOW + timedelta(days=400)
    Customer.objects.exclude(pk=star.pk).filter(store=store).update(last_order_at=later - timedelta(days=3))
    run_scan("rfm", store=store, now=later)
    moves = list(RfmMove.objects.filter(customer=star).order_by("scored_on"))
    assert moves[0].segment == "champions"
    assert moves[-1].previous_segment == "champions"
    assert moves[-1].segment in {"at_risk", "cant_lose"}
    assert RfmMove.objects.filter(customer=star, scored_on=NOW.date()).count() == 1


def test_median_days_between_orders_comes_from_the_orders(store):
    from tests.orders.factories import OrderFactory

    customer = CustomerFactory(store=store)
    for days in (0, 10, 30, 60):
        OrderFactory(store=store, customer=customer, placed_at=NOW - timedelta(days=90 - days))
    Customer.objects.filter(pk=customer.pk).update(
        orders_count=4, total_spent=100, last_order_at=NOW - timedelta(days=30)
    )
    run_scan("rfm", store=store, now=NOW)
    customer.refresh_from_db()
    assert customer.median_order_gap_days == pytest.approx(20.0)


def test_lapse_waits_for_twice_a_customers_own_rhythm(flows, store):
    slow = buyer(store, days_ago=100, orders=3, spent="300", marketing_consent=True)
    Customer.objects.filter(pk=slow.pk).update(median_order_gap_days=80)  # lapses after 160 days, not 90
    quick = buyer(store, days_ago=100, orders=3, spent="300", marketing_consent=True)
    run_scan("rfm", store=store, now=NOW)
    Customer.objects.filter(pk=slow.pk).update(median_order_gap_days=80)
    run_scan("rfm", store=store, now=NOW)
    run = run_scan("lapsed_customers", store=store, now=NOW)[0]
    assert run_scan("lapsed_customers", store=store, now=NOW)[0].messages_created == 0
    planned = Message.objects.filter(step__flow__kind=FlowKind.WIN_BACK)
    assert set(planned.values_list("customer_id", flat=True)) == {quick.pk}
    keys = sorted(planned.values_list("step__key", flat=True))
    # one offer, the one written for who they are (a best customer of this two-buyer store: the VIP one)
    assert keys == ["farewell", "offer-vip", "values"]
    assert run.messages_created == 3


def test_an_order_ends_the_series_and_a_new_lapse_starts_a_new_one(flows, store):
    from tests.orders.factories import OrderFactory

    customer = buyer(store, days_ago=120, orders=2, spent="90", marketing_consent=True)
    with time_machine.travel(NOW, tick=False):
        run_scan("rfm", store=store, now=NOW)
        run_scan("lapsed_customers", store=store, now=NOW)
    values = Message.objects.get(customer=customer, step__key="values")
    OrderFactory(store=store, customer=customer, email=customer.email, placed_at=NOW + timedelta(days=2))
    with time_machine.travel(values.scheduled_for, tick=False):
        assert message_send(message_id=values.pk).status == MessageStatus.SKIPPED
    # months later they lapse again: a fresh series
    again = NOW + timedelta(days=100)
    Customer.objects.filter(pk=customer.pk).update(last_order_at=NOW + timedelta(days=2))
    with time_machine.travel(again, tick=False):
        run_scan("rfm", store=store, now=again)
        assert run_scan("lapsed_customers", store=store, now=again)[0].messages_created == 3


def test_the_farewell_ends_marketing_for_customers_who_never_engaged(flows, store, mailoutbox):
    customer = buyer(store, days_ago=120, orders=2, spent="90", marketing_consent=True, time_zone="Europe/Rome")
    run_scan("rfm", store=store, now=NOW)
    run_scan("lapsed_customers", store=store, now=NOW)
    # the series goes out in order, each email at its moment; the farewell last
    for message in Message.objects.filter(customer=customer).order_by("scheduled_for"):
        with time_machine.travel(message.scheduled_for, tick=False):
            assert message_send(message_id=message.pk).status == MessageStatus.SENT, message.step.key
    customer.refresh_from_db()
    assert customer.marketing_consent is False
    assert customer.consent_events.first().source == "sunset"

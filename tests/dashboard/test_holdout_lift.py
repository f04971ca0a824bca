"""Holdout lift: conversion and revenue per recipient of the buyers a flow emailed against those it held
out, per distinct recipient, over the last 90 days, in one set-based query; and where the pages show it."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import Flow, FlowKind, Message, MessageStatus
from apps.campaigns.selectors import flow_holdout_lift
from apps.dashboard.reports import flow_lifts
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def win_back(store, holdout: int = 20) -> Flow:
    flow = Flow.objects.get(store=store, kind=FlowKind.WIN_BACK)
    flow.holdout_percent = holdout
    flow.save(update_fields=["holdout_percent"])
    return flow


def ledger(flow, recipients, *, held: bool, at, step_key: str = "offer", status=MessageStatus.SENT) -> list:
    """One ledger row per recipient (a customer, or an address without one) of the flow's step."""
    step = flow.steps.get(key=step_key)
    rows = []
    for n, who in enumerate(recipients):
        customer = who if not isinstance(who, str) else None
        email = who if isinstance(who, str) else who.email
        trace = [{"at": at.isoformat(), "action": "scheduled", "rule": "trigger", "reason": "test"}]
        if held:
            trace.append({"at": at.isoformat(), "action": "skipped", "rule": "holdout", "reason": "held out"})
        rows.append(
            Message(
                store=flow.store,
                step=step,
                subject_key=f"{step_key}:{'held' if held else 'sent'}:{at:%j%H%M}:{n}:{email}",
                email=email,
                customer=customer,
                scheduled_for=at,
                status=MessageStatus.SKIPPED if held else status,
                sent_at=None if held else at,
                trace=trace,
            )
        )
    return Message.objects.bulk_create(rows)


def order(customer=None, *, email=None, at, total, **extra):
    store = extra.pop("store", None) or customer.store
    return OrderFactory(
        store=store,
        customer=customer,
        email=email or customer.email,
        placed_at=at,
        subtotal=Decimal(total),
        shipping_total=Decimal(0),
        **extra,
    )


@pytest.fixture
def known_data_set():
    """400 buyers emailed, 100 held out, 20 days ago (the 5-day window has closed), with known orders.

    Emailed: 60 convert, each with an order of 50.00 two days later; one of them orders twice in the
    window (+20.00): revenue 3,020.00 over 400, so 15 % and 7.55 per recipient. Held out: 10 convert
    (two of them guests known by address) with 40.00 each: 10 % and 4.00 per recipient. Lift: +5 points
    (+50 %), +3.55 per recipient (+89 %), about 1,420 added over the 400 emailed.
    """
    store = StoreFactory()
    flow = win_back(store)
    at = NOW - timedelta(days=20)
    emailed = CustomerFactory.create_batch(400, store=store)
    held = CustomerFactory.create_batch(95, store=store)
    guests = [f"guest{n}@example.com" for n in range(5)]
    ledger(flow, emailed, held=False, at=at)
    ledger(flow, [*held, *guests], held=True, at=at)
    for customer in emailed[:60]:
        order(customer, at=at + timedelta(days=2), total="50.00")
    order(emailed[0], at=at + timedelta(days=3), total="20.00")
    for customer in held[:8]:
        order(customer, at=at + timedelta(days=1), total="40.00")
    for email in guests[:2]:  # guest checkouts, the address typed in capitals
        order(None, store=store, email=email.upper(), at=at + timedelta(days=4), total="40.00")
    # what must not count: an order before the email, one after the window, a cancelled one
    order(emailed[100], at=at - timedelta(hours=1), total="999.00")
    order(emailed[101], at=at + timedelta(days=5, hours=1), total="999.00")
    order(emailed[102], at=at + timedelta(days=1), total="999.00", cancelled=True)
    return SimpleNamespace(store=store, flow=flow, at=at, emailed=emailed)


EMAILED = {"recipients": 400, "converted": 60, "revenue": Decimal("3020.00")}
HELD_OUT = {"recipients": 100, "converted": 10, "revenue": Decimal("400.00")}


def lift_of(data) -> dict:
    return flow_holdout_lift(store=data.store, since=NOW - timedelta(days=90), until=NOW, window_days=5)


def test_lift_figures_equal_the_hand_computed_ones(known_data_set, django_assert_num_queries):
    data = known_data_set
    # when the lift is computed (one query for the figures)
    with django_assert_num_queries(1):
        found = lift_of(data)
    # then each group has its recipients, converters and revenue
    assert found == {data.flow.pk: {"emailed": EMAILED, "held_out": HELD_OUT}}
    # and the report says +5 points (+50 %), 7.55 against 4.00 per recipient (+89 %)
    lift = flow_lifts(store=data.store, now=NOW)[data.flow.pk]
    assert lift.enough
    assert lift.emailed.conversion_rate == pytest.approx(0.15)
    assert lift.held_out.conversion_rate == pytest.approx(0.10)
    assert lift.conversion_points == pytest.approx(5.0)
    assert lift.conversion_relative == pytest.approx(0.5)
    assert lift.emailed.revenue_per_recipient == Decimal("7.55")
    assert lift.held_out.revenue_per_recipient == Decimal("4.00")
    assert lift.revenue_difference == Decimal("3.55")
    assert lift.revenue_relative == pytest.approx(0.8875)
    assert lift.revenue_added == Decimal("1420")


def test_an_order_in_the_windows_of_several_emails_counts_once_and_a_recipient_once(known_data_set):
    # given a second email of the flow a day after the first to the buyers who ordered (windows overlap)
    data = known_data_set
    ledger(data.flow, data.emailed[:60], held=False, at=data.at + timedelta(days=1), step_key="values")
    # when the lift is computed, then nothing doubled
    assert lift_of(data)[data.flow.pk]["emailed"] == EMAILED


def test_emails_stopped_by_a_later_rule_stay_in_the_emailed_group(known_data_set):
    # given ten more buyers the flow planned for, whose email a later rule stopped (they ordered first)
    data = known_data_set
    stopped = CustomerFactory.create_batch(10, store=data.store)
    ledger(data.flow, stopped, held=False, at=data.at, status=MessageStatus.SKIPPED)
    for customer in stopped:
        order(customer, at=data.at + timedelta(minutes=30), total="10.00")
    # when the lift is computed, then they count with the emailed group (both groups are drawn alike)
    assert lift_of(data)[data.flow.pk]["emailed"] == {"recipients": 410, "converted": 70, "revenue": Decimal("3120.00")}


def test_the_comparison_starts_with_the_first_held_out_email_and_needs_a_closed_window(known_data_set):
    # given buyers emailed before the holdout was switched on (who ordered), and emails of yesterday
    data = known_data_set
    early = CustomerFactory.create_batch(20, store=data.store)
    ledger(data.flow, early, held=False, at=NOW - timedelta(days=60))
    for customer in early:
        order(customer, at=NOW - timedelta(days=59), total="10.00")
    ledger(data.flow, CustomerFactory.create_batch(20, store=data.store), held=False, at=NOW - timedelta(days=1))
    ledger(data.flow, ["late-held@example.com"], held=True, at=NOW - timedelta(days=1))
    # when the lift is computed, then none of them changes the figures
    assert lift_of(data) == {data.flow.pk: {"emailed": EMAILED, "held_out": HELD_OUT}}


def test_other_stores_and_flows_without_holdout_are_not_counted(known_data_set):
    data = known_data_set
    # given another store with a buyer of the same address who ordered in the window
    other = StoreFactory()
    twin = CustomerFactory(store=other, email=data.emailed[300].email)
    ledger(win_back(other), [twin], held=False, at=data.at)
    order(twin, at=data.at + timedelta(days=1), total="500.00")
    # and a flow of this store without a holdout
    replenishment = Flow.objects.get(store=data.store, kind=FlowKind.REPLENISHMENT)
    ledger(replenishment, [data.emailed[301]], held=False, at=data.at, step_key=replenishment.steps.first().key)
    # when the lift is computed for the first store, then only its flow with a holdout appears, unchanged
    assert lift_of(data) == {data.flow.pk: {"emailed": EMAILED, "held_out": HELD_OUT}}


def test_below_the_threshold_there_is_not_enough_data(client):
    # given a flow that emailed 99 buyers and held out 50
    store = StoreFactory()
    flow = win_back(store)
    at = NOW - timedelta(days=20)
    ledger(flow, CustomerFactory.create_batch(99, store=store), held=False, at=at)
    ledger(flow, CustomerFactory.create_batch(50, store=store), held=True, at=at)
    # then the lift is not shown as a figure
    lift = flow_lifts(store=store, now=NOW)[flow.pk]
    assert not lift.enough
    # and the pages say so, with the sample sizes
    client.force_login(MembershipFactory(store=store, role="manager").user)
    for url in (reverse("dashboard:flow_list"), reverse("dashboard:flow_detail", args=[flow.pk])):
        page = client.get(url).content.decode()
        assert "Not enough data yet" in page
        assert "99 emailed" in page and "50 held out" in page


def test_the_flow_list_and_detail_show_the_lift_beside_the_revenue(client, known_data_set):
    data = known_data_set
    client.force_login(MembershipFactory(store=data.store, role="manager").user)
    # when the merchant opens the flow list and the flow
    listing = client.get(reverse("dashboard:flow_list")).content.decode()
    detail = client.get(reverse("dashboard:flow_detail", args=[data.flow.pk])).content.decode()
    # then both show the lift with the sample sizes
    for page in (listing, detail):
        assert "+5.0 pts" in page and "+50 %" in page
        assert "400 emailed" in page and "100 held out" in page
    assert "7.55" in detail and "4.00" in detail and "+89 %" in detail


def test_the_flow_list_costs_the_same_queries_for_one_flow_with_lift_or_many(client, django_assert_num_queries):
    # given a store with one flow with a holdout and data
    store = StoreFactory()
    client.force_login(MembershipFactory(store=store, role="manager").user)
    at = NOW - timedelta(days=20)
    flow = win_back(store)
    ledger(flow, CustomerFactory.create_batch(3, store=store), held=False, at=at)
    ledger(flow, CustomerFactory.create_batch(2, store=store), held=True, at=at)
    with django_assert_num_queries(QUERIES_FLOW_LIST):
        assert client.get(reverse("dashboard:flow_list")).status_code == 200
    # when every marketing flow has a holdout and many more rows
    for kind in (FlowKind.ABANDONED_CART, FlowKind.REPLENISHMENT, FlowKind.NPS_SURVEY):
        other = win_back(store) if kind == FlowKind.WIN_BACK else Flow.objects.get(store=store, kind=kind)
        Flow.objects.filter(pk=other.pk).update(holdout_percent=10)
        other.refresh_from_db()
        key = other.steps.first().key
        ledger(other, CustomerFactory.create_batch(30, store=store), held=False, at=at, step_key=key)
        ledger(other, CustomerFactory.create_batch(10, store=store), held=True, at=at, step_key=key)
    # then the page costs the same number of queries (the lift computed afresh)
    cache.clear()
    with django_assert_num_queries(QUERIES_FLOW_LIST):
        assert client.get(reverse("dashboard:flow_list")).status_code == 200
    # and one query less while the lift is kept
    with django_assert_num_queries(QUERIES_FLOW_LIST - 1):
        assert client.get(reverse("dashboard:flow_list")).status_code == 200


# Session, user, membership, figures, flows, step counts, sending rules (click window), lift, the
# memberships of the store switcher.
QUERIES_FLOW_LIST = 9

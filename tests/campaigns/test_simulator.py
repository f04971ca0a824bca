"""The simulator replays a flow over the last 30 days: who would have got which email, when and why,
judged by the dispatch rules, without sending or writing anything."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.campaigns.models import Flow, FlowKind, Message, MessagingPolicy
from apps.campaigns.simulator import LATER, SEND, SKIP, SUPPRESS, WAITING, simulate
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=ZoneInfo("Europe/Rome"))


@pytest.fixture(autouse=True)
def recorded_as_it_happened():
    """The past each test builds was recorded before it happened, as live deliveries are (a row created
    today about last week would be history, which the simulator leaves out as dispatch does)."""
    with time_machine.travel(NOW - timedelta(days=31)):
        yield


def cart_for(store, customer, *, idle_since, converted_after=None):
    order = None
    if converted_after is not None:
        order = OrderFactory(store=store, customer=customer, placed_at=idle_since + converted_after)
    cart = CartFactory(
        store=store,
        customer=customer,
        updated_at=idle_since,
        converted_order=order,
        converted_at=order.placed_at if order else None,
    )
    CartLineFactory(cart=cart)
    return cart


def outcomes(simulation, email):
    return {e.step.key: (e.outcome, e.rule) for e in simulation.emails if e.trigger.email == email}


def test_abandoned_carts_are_replayed_with_the_dispatch_rules_and_nothing_is_written(store):
    # given the abandoned-cart flow (switched off, as it starts) and four carts left two days ago
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    idle = NOW - timedelta(days=2)
    keen = CustomerFactory(store=store, consenting=True, email="keen@example.com")
    silent = CustomerFactory(store=store, marketing_consent=False, email="silent@example.com")
    buyer = CustomerFactory(store=store, consenting=True, email="buyer@example.com")
    bounced = CustomerFactory(
        store=store, suppressed=True, suppressed_at=idle - timedelta(days=5), email="bounced@example.com"
    )
    cart_for(store, keen, idle_since=idle)
    cart_for(store, silent, idle_since=idle)
    cart_for(store, buyer, idle_since=idle, converted_after=timedelta(hours=3))
    cart_for(store, bounced, idle_since=idle)
    messages_before, policies_before = Message.objects.count(), MessagingPolicy.objects.count()

    # when the merchant simulates the flow
    with CaptureQueriesContext(connection) as queries:
        simulation = simulate(flow=flow, now=NOW)

    # then the consenting buyer gets the 1 h and 24 h emails, the 72 h one is not due yet
    assert outcomes(simulation, "keen@example.com") == {
        "reminder-1h": (SEND, "marketing"),
        "help-24h": (SEND, "marketing"),
        "coupon-72h": (WAITING, "scheduled"),
    }
    # and the one without consent gets none, for that reason
    assert {o for o, _rule in outcomes(simulation, "silent@example.com").values()} == {SKIP}
    assert outcomes(simulation, "silent@example.com")["reminder-1h"][1] == "consent"
    # and the one who ordered 3 hours later got the first reminder, then the flow stopped
    assert outcomes(simulation, "buyer@example.com")["reminder-1h"] == (SEND, "marketing")
    assert outcomes(simulation, "buyer@example.com")["help-24h"] == (SKIP, "exit_on_order")
    # and a bounced address is suppressed
    assert outcomes(simulation, "bounced@example.com")["reminder-1h"][0] == SUPPRESS
    assert simulation.counts["Would be sent"] == 3
    # and nothing was sent or written: no ledger rows, no policy, not one write statement
    assert Message.objects.count() == messages_before
    assert MessagingPolicy.objects.count() == policies_before
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []


def test_quiet_hours_move_an_email_to_the_morning(store):
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    night_owl = CustomerFactory(store=store, consenting=True, email="owl@example.com", time_zone="Europe/Rome")
    cart_for(store, night_owl, idle_since=NOW - timedelta(days=1, hours=14))  # idle since 22:00: reminder at 23:00
    outcome, rule = outcomes(simulate(flow=flow, now=NOW), "owl@example.com")["reminder-1h"]
    assert (outcome, rule) == (LATER, "quiet_hours")


def test_order_confirmations_go_to_everyone_not_suppressed(store):
    flow = Flow.objects.get(store=store, kind=FlowKind.ORDER_CONFIRMATION)
    OrderFactory(
        store=store, customer=CustomerFactory(store=store, email="a@example.com"), placed_at=NOW - timedelta(days=3)
    )
    OrderFactory(
        store=store, customer=CustomerFactory(store=store, email="old@example.com"), placed_at=NOW - timedelta(days=40)
    )
    simulation = simulate(flow=flow, now=NOW)
    assert [(e.trigger.email, e.outcome, e.rule) for e in simulation.emails] == [
        ("a@example.com", SEND, "transactional")
    ]


def test_lapsed_customers_are_replayed_through_the_win_back_series(store):
    flow = Flow.objects.get(store=store, kind=FlowKind.WIN_BACK)
    CustomerFactory(
        store=store,
        consenting=True,
        email="gone@example.com",
        orders_count=4,
        last_order_at=NOW - timedelta(days=200),
        lapse_due_at=NOW - timedelta(days=10),
    )
    result = outcomes(simulate(flow=flow, now=NOW), "gone@example.com")
    # a regular customer gets the everyone-else offer, not the champions' nor the one-time buyers'
    assert "offer-vip" not in result and "offer-one-time" not in result
    assert result["offer"] == (SEND, "marketing")
    assert result["values"] == (SEND, "marketing")
    assert result["farewell"][0] == WAITING  # 21 days after the lapse: still ahead

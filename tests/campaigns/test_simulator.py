"""The simulator replays a flow over the last 30 days: who would have got which email, when and why,
judged by the dispatch rules, without sending or writing anything."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.campaigns.flows.base import Trigger
from apps.campaigns.models import Flow, FlowKind, Message, MessagingPolicy
from apps.campaigns.simulator import LATER, SEND, SKIP, SUPPRESS, WAITING, ReplayWorld, simulate
from apps.shipments.models import ShipmentStatus
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory

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


def buyer_with_parcels(store, email, *, parcels, idle_since):
    """A consenting buyer who left a cart, with earlier orders each shipped and scanned."""
    buyer = CustomerFactory(store=store, consenting=True, email=email)
    for _ in range(parcels):
        order = OrderFactory(store=store, customer=buyer, email=email, placed_at=idle_since - timedelta(days=20))
        shipment = ShipmentFactory(order=order, status=ShipmentStatus.DELIVERED, delivered_at=idle_since)
        TrackingEventFactory(shipment=shipment, status=ShipmentStatus.DELIVERED, occurred_at=idle_since)
    cart_for(store, buyer, idle_since=idle_since)
    return buyer


def reads_of_parcels(queries) -> dict[str, int]:
    """How many statements read each table of the buyers' orders and parcels (pacing reads the ledger per email)."""
    tables = ("orders_order", "shipments_shipment", "shipments_trackingevent")
    return {
        table: sum(1 for q in queries.captured_queries if q["sql"].startswith(f'SELECT "{table}"')) for table in tables
    }


def test_replaying_for_more_buyers_with_more_parcels_reads_their_parcels_together(store):
    # given one buyer with one parcel, then four more buyers with three parcels each
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    idle = NOW - timedelta(days=2)
    buyer_with_parcels(store, "first@example.com", parcels=1, idle_since=idle)
    with CaptureQueriesContext(connection) as one:
        assert simulate(flow=flow, now=NOW).going_out
    for n in range(4):
        buyer_with_parcels(store, f"buyer{n}@example.com", parcels=3, idle_since=idle)
    # when the merchant simulates again, then the parcels are read together, not one buyer's orders at a time
    with CaptureQueriesContext(connection) as five:
        simulation = simulate(flow=flow, now=NOW)
    assert len({e.trigger.email for e in simulation.emails}) == 5
    assert (
        reads_of_parcels(five)
        == reads_of_parcels(one)
        == {"orders_order": 1, "shipments_shipment": 1, "shipments_trackingevent": 1}
    )


def test_a_parcel_that_went_wrong_after_the_reminder_does_not_hold_it_back(store):
    # given a buyer who left a cart two days ago and whose earlier parcel hit an exception only yesterday
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    idle = NOW - timedelta(days=2)
    buyer = CustomerFactory(store=store, consenting=True, email="later@example.com")
    order = OrderFactory(store=store, customer=buyer, email=buyer.email, placed_at=idle - timedelta(days=5))
    shipment = ShipmentFactory(order=order, status=ShipmentStatus.EXCEPTION)
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.IN_TRANSIT, occurred_at=idle - timedelta(days=3))
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.EXCEPTION, occurred_at=NOW - timedelta(days=1))
    cart_for(store, buyer, idle_since=idle)
    # when the flow is replayed, then the 1 h reminder went out (the parcel was on its way then), the 24 h one
    # was held for the trouble that had begun by then
    result = outcomes(simulate(flow=flow, now=NOW), "later@example.com")
    assert result["reminder-1h"] == (SEND, "marketing")
    assert result["help-24h"] == (LATER, "shipment_troubled")


def test_replenishment_replays_the_reminders_due_in_the_window_however_many_orders_came_since(store, monkeypatch):
    # given a coffee that lasts 30 days, one buyer whose bag runs out in the window, and more recent orders
    # than the replay reads (their bags run out after today)
    monkeypatch.setattr("apps.campaigns.flows.replenishment.MAX_TRIGGERS", 2)
    flow = Flow.objects.get(store=store, kind=FlowKind.REPLENISHMENT)
    coffee = ProductFactory(store=store, name="House blend", replenishment_days=30)
    due = CustomerFactory(store=store, consenting=True, email="due@example.com")
    OrderLineFactory(order=OrderFactory(store=store, customer=due, placed_at=NOW - timedelta(days=40)), product=coffee)
    for n in range(12):
        recent = CustomerFactory(store=store, consenting=True, email=f"recent{n}@example.com")
        OrderLineFactory(
            order=OrderFactory(store=store, customer=recent, placed_at=NOW - timedelta(days=3)), product=coffee
        )
    # when the merchant simulates the flow, then the due buyer's reminder is there, 27 days after the order
    simulation = simulate(flow=flow, now=NOW)
    assert [(e.trigger.email, e.outcome) for e in simulation.emails] == [("due@example.com", SEND)]
    assert simulation.emails[0].send_at == NOW - timedelta(days=40) + timedelta(days=27)


@pytest.mark.postgres
def test_the_shipment_update_replay_reads_the_stores_events_of_the_window_by_index(store):
    # given a store with carrier events (the table a busy store has tens of millions of)
    flow = Flow.objects.get(store=store, kind=FlowKind.SHIPMENT_UPDATE)
    TrackingEventFactory(shipment__order__store=store, store=store, occurred_at=NOW - timedelta(days=2))
    with CaptureQueriesContext(connection) as queries:
        simulate(flow=flow, now=NOW)
    events = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "shipments_trackingevent"'))
    # then PostgreSQL can read them in time order from an index on (store, occurred_at), not sort every event
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {events}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "event_store_occurred" in plan, plan


def test_a_transactional_replay_reads_no_parcels_of_the_buyers_other_orders(store):
    # given buyers with earlier orders and parcels, and a new order each
    flow = Flow.objects.get(store=store, kind=FlowKind.ORDER_CONFIRMATION)
    for n in range(3):
        buyer = buyer_with_parcels(store, f"again{n}@example.com", parcels=2, idle_since=NOW - timedelta(days=9))
        OrderFactory(store=store, customer=buyer, email=buyer.email, placed_at=NOW - timedelta(days=1))
    # when the order confirmations are replayed, then each goes out, and no parcel was read to decide it
    with CaptureQueriesContext(connection) as queries:
        simulation = simulate(flow=flow, now=NOW)
    assert {(e.trigger.email, e.outcome) for e in simulation.emails} >= {
        (f"again{n}@example.com", SEND) for n in range(3)
    }
    assert reads_of_parcels(queries)["shipments_shipment"] == 0
    assert reads_of_parcels(queries)["shipments_trackingevent"] == 0


def test_a_large_catalogue_replays_with_one_condition_per_interval(store):
    # given forty products that last 30 days and ten that last 60, and a buyer whose 60-day tin runs out now
    flow = Flow.objects.get(store=store, kind=FlowKind.REPLENISHMENT)
    ProductFactory.create_batch(40, store=store, replenishment_days=30)
    tins = ProductFactory.create_batch(10, store=store, replenishment_days=60)
    due = CustomerFactory(store=store, consenting=True, email="tin@example.com")
    OrderLineFactory(order=OrderFactory(store=store, customer=due, placed_at=NOW - timedelta(days=60)), product=tins[3])
    # when the flow is replayed
    with CaptureQueriesContext(connection) as queries:
        simulation = simulate(flow=flow, now=NOW)
    # then the tin's reminder is there, and the lines were asked for by interval (two), not product by product
    assert [(e.trigger.email, e.outcome) for e in simulation.emails] == [("tin@example.com", SEND)]
    (lines,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "orders_orderline"')]
    assert lines.count('"placed_at" >=') == 3  # one per interval, and the span of them all


def test_a_trigger_without_an_address_does_not_load_every_order_without_one(store):
    # given orders imported without an email, and a replayed trigger that has no address either
    OrderFactory.create_batch(3, store=store, email="", customer=None)
    trigger = Trigger(NOW, "", "a cart", "cart:1", "idle")
    # when the replay loads the buyers' orders, then it loads none: "" is nobody's address
    world = ReplayWorld(store, [trigger])
    assert dict(world.orders_by_email) == {} and dict(world.orders_by_customer) == {}

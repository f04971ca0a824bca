"""The set-based scans (one INSERT … SELECT per step on PostgreSQL) write exactly the ledger rows the row-by-row
path writes (candidates read into Python, planned through messages_schedule), over a store full of the cases
the rules are about: history, events before the flow went live, late reports, converted carts, cancelled and
refunded orders, answered surveys, parcels in trouble, the holdout group and A/B variants."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from apps.campaigns.abtest import in_holdout, variant_for
from apps.campaigns.flows import win_back
from apps.campaigns.models import Flow, FlowKind, FlowStep, Message, MessageStatus, MessagingPolicy, Variant
from apps.campaigns.rules import policy_for
from apps.campaigns.scans import run_scan, set_based
from apps.campaigns.scans.abtest_sql import Sha256Point, holdout_condition, variant_expression
from apps.campaigns.scans.replenishment import interval_days
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.customers.models import Customer
from apps.feedback.services.nps import nps_record
from apps.orders.intervals import interval_days as python_interval_days
from apps.orders.models import OrderStatus, Product
from apps.shipments.models import ShipmentStatus as S
from apps.stores.models import Store
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)
LIVE_SINCE = NOW - timedelta(days=40)
SCANS = ["abandoned_carts", "overdue_reviews", "lapsed_customers", "replenishment", "delivery_watch"]
KINDS = {
    "abandoned_carts": FlowKind.ABANDONED_CART,
    "overdue_reviews": FlowKind.NPS_SURVEY,
    "lapsed_customers": FlowKind.WIN_BACK,
    "replenishment": FlowKind.REPLENISHMENT,
    "delivery_watch": FlowKind.DELIVERY_APOLOGY,
}
KEYS = [
    "cart:1",
    "order:123456789",
    "lapse:42:20260101",
    "replenish:7:8:9",
    *[f"shipment:{n}" for n in range(150)],
    *[f"lapse:{n}:2026{n % 12 + 1:02d}15" for n in range(150)],
]
EMAILS = [
    "ana@example.com",
    "  Bob.Smith@Example.COM ",
    "\tcarla@example.com\n",
    "zoë@exämple.de",
    "ÉLODIE@EXAMPLE.FR",
    "dmitry@пример.рф",
    *[f"buyer{n}@example.com" for n in range(200)],
]


def created(row, at):
    """Back-date when Afterglow heard of a row (auto_now_add sets it to the wall clock)."""
    type(row).objects.filter(pk=row.pk).update(created_at=at)


@pytest.fixture
def world(store, flows):
    """Flows live since LIVE_SINCE, a store that counts anything reported a day late as history, a holdout on
    every marketing flow, and A/B variants (one step with a winner)."""
    Flow.objects.filter(store=store).update(live_since=LIVE_SINCE)
    MessagingPolicy.objects.update_or_create(store=store, defaults={"history_max_age_hours": 24})
    Flow.objects.filter(store=store).exclude(kind=FlowKind.DELIVERY_APOLOGY).update(holdout_percent=30)
    # The holdout side hangs on the flow's id, which depends on what ran before: pick the NPS flow's share so that
    # the buyers its scan plans for (nps1…nps5) land on both sides, whatever the ids.
    nps = Flow.objects.get(store=store, kind=FlowKind.NPS_SURVEY)
    emails = [f"nps{n}@example.com" for n in range(1, 6)]
    for percent in range(20, 51):
        nps.holdout_percent = percent
        if 0 < sum(in_holdout(nps, email) for email in emails) < len(emails):
            break
    nps.save(update_fields=["holdout_percent"])
    for key, weights in (("reminder-1h", (50, 30, 20)), ("survey", (60, 40)), ("values", (1, 1)), ("apology", (5, 5))):
        step = FlowStep.objects.get(store=store, key=key)
        for label, weight in zip("ABC", weights, strict=False):
            Variant.objects.create(step=step, label=label, weight=weight, subject={"en": f"{key} {label}"})
    Variant.objects.create(step=FlowStep.objects.get(store=store, key="help-24h"), label="A", weight=10)
    Variant.objects.create(step=FlowStep.objects.get(store=store, key="help-24h"), label="B", is_winner=True)
    Variant.objects.create(step=FlowStep.objects.get(store=store, key="offer"), label="A", retired=True)
    _carts(store)
    _deliveries(store)
    _lapses(store)
    _consumables(store)
    _parcels(store)


def _carts(store):
    for n, hours in enumerate([0.5, 1.5, 3, 11, 12.5, 14, 23, 25.5, 30, 47, 50, 73, 90, 119, 130, 24 * 60]):
        buyer = CustomerFactory(store=store, email=f"cart{n}@Example.com ", consenting=n % 2 == 0)
        cart = CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=NOW - timedelta(hours=hours))
        CartLineFactory(cart=cart)
        created(cart, cart.updated_at - timedelta(minutes=10))
        guest = CartFactory(store=store, customer=None, email=f"guest{n}@example.com", updated_at=cart.updated_at)
        CartLineFactory(cart=guest)
    idle = NOW - timedelta(hours=2)
    history = CartFactory(store=store, email="history@example.com", updated_at=idle, is_history=True)
    late = CartFactory(store=store, email="late@example.com", updated_at=idle)  # heard of it now: fine
    reported_late = CartFactory(store=store, email="reported@example.com", updated_at=NOW - timedelta(hours=50))
    created(reported_late, NOW)  # we learned of it two days after it was left: history
    before = CartFactory(store=store, email="before@example.com", updated_at=LIVE_SINCE - timedelta(hours=1))
    converted_order = OrderFactory(store=store, email="conv@example.com", placed_at=idle + timedelta(minutes=5))
    converted = CartFactory(store=store, email="conv@example.com", updated_at=idle, converted_order=converted_order)
    bought = CartFactory(store=store, email="bought@example.com", updated_at=idle)
    OrderFactory(store=store, customer=None, email="bought@example.com", placed_at=idle + timedelta(minutes=30))
    cancelled = CartFactory(store=store, email="cancelled@example.com", updated_at=idle)
    OrderFactory(
        store=store,
        customer=None,
        email="cancelled@example.com",
        placed_at=idle + timedelta(minutes=30),
        cancelled=True,
    )
    for cart in (history, late, reported_late, before, converted, bought, cancelled):
        CartLineFactory(cart=cart)
    CartFactory(store=store, email="nolines@example.com", updated_at=idle)
    CartLineFactory(cart=CartFactory(store=store, email="", updated_at=idle))


def _deliveries(store):
    answered = []
    for n, days in enumerate([6, 7.5, 8, 10.5, 11, 13, 14.5, 16, 20, 30]):
        buyer = CustomerFactory(store=store, email=f"nps{n}@example.com")
        at = NOW - timedelta(days=days)
        for kind in ("delivered", "estimated", "transit", "cancelled", "refunded", "troubled", "history", "late"):
            status = (
                OrderStatus.CANCELLED
                if kind == "cancelled"
                else OrderStatus.REFUNDED
                if kind == "refunded"
                else OrderStatus.FULFILLED
            )
            order = OrderFactory(store=store, customer=buyer, placed_at=at - timedelta(days=4), status=status)
            shipment = ShipmentFactory(
                order=order,
                status=S.DELIVERED if kind not in ("estimated", "transit") else S.IN_TRANSIT,
                delivered_at=at if kind not in ("estimated", "transit") else None,
                estimated_delivery=at.date() if kind == "estimated" else None,
                shipped_at=at - timedelta(days=3) if kind != "transit" else at - timedelta(days=10),
                is_history=kind == "history",
            )
            created(shipment, at + timedelta(days=3) if kind == "late" else at - timedelta(days=3))
            if kind == "troubled":
                ShipmentFactory(order=order, status=S.EXCEPTION, shipped_at=at - timedelta(days=3))
            if kind == "delivered" and n % 3 == 0:
                answered.append(order)
    for order in answered:
        nps_record(order=order, score=9)
    # reminders follow surveys that went out
    survey = FlowStep.objects.get(store=store, key="survey")
    for n, days in enumerate([10.5, 11, 13]):
        order = OrderFactory(store=store, placed_at=NOW - timedelta(days=days + 4), status=OrderStatus.FULFILLED)
        ShipmentFactory(
            order=order,
            status=S.DELIVERED,
            delivered_at=NOW - timedelta(days=days),
            shipped_at=NOW - timedelta(days=days + 3),
        )
        planned = messages_schedule(
            [
                Planned(
                    step=survey,
                    subject_key=f"order:{order.pk}",
                    email=order.email,
                    order_id=order.pk,
                    scheduled_for=NOW - timedelta(days=days - 7),
                )
            ]
        )
        Message.objects.filter(pk=planned[0].pk).update(status=MessageStatus.SENT if n < 2 else MessageStatus.FAILED)


def _lapses(store):
    segments = ["champions", "loyal", "", "lost", "at_risk"]
    for n, days in enumerate([-5, 0.5, 3, 10, 30, 45, 59, 61, 90]):
        for k, (orders, top, consent) in enumerate(
            [(1, False, True), (4, True, True), (3, False, True), (2, False, False)]
        ):
            due = NOW - timedelta(days=days)
            customer = CustomerFactory(
                store=store,
                email=f"lapse{n}-{k}@example.com",
                consenting=consent,
                orders_count=orders,
                rfm_top_percent=top,
                rfm_segment=segments[(n + k) % len(segments)],
                last_order_at=due - timedelta(days=90),
                lapse_due_at=due,
            )
            created(customer, due - timedelta(days=200) if k != 2 or n % 2 else due + timedelta(days=3))
    gone = CustomerFactory(
        store=store,
        email="gone@example.com",
        suppressed=True,
        last_order_at=NOW - timedelta(days=95),
        lapse_due_at=NOW - timedelta(days=5),
        orders_count=2,
    )
    created(gone, NOW - timedelta(days=300))


def _consumables(store):
    products = [
        ProductFactory(store=store, name="Beans 1 kg", replenishment_days=30),
        ProductFactory(
            store=store, name="Filters", replenishment_days=None, learned_interval_days=20, learned_observations=6
        ),
        ProductFactory(
            store=store, name="Rare", replenishment_days=None, learned_interval_days=20, learned_observations=2
        ),
        ProductFactory(store=store, name="Sold out", replenishment_days=30, in_stock=False),
        ProductFactory(store=store, name="Daily", replenishment_days=2),
    ]
    for k in range(6):  # repeat purchases of the filters, 20 days apart, long ago: an interval learned from them
        regular = CustomerFactory(store=store, email=f"regular{k}@example.com")
        for placed in (NOW - timedelta(days=300 + k), NOW - timedelta(days=280 + k)):
            OrderLineFactory(order=OrderFactory(store=store, customer=regular, placed_at=placed), product=products[1])
    for n, offset in enumerate([-1, 0.2, 1, 3, 6.5, 8, 12, 50, 0.5, 2, 4, 5] * 4):
        customer = CustomerFactory(store=store, email=f"refill{n}@example.com", consenting=n != 3)
        for product in products:
            days = python_interval_days(product) or 30
            placed = NOW - timedelta(days=days - 3 + offset)
            for status in (OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED):
                order = OrderFactory(store=store, customer=customer, placed_at=placed, status=status, is_history=n == 5)
                OrderLineFactory(order=order, product=product)
                created(order, placed + (timedelta(days=days) if n == 6 else timedelta(hours=1)))
        if n == 2:  # reordered the beans since
            reorder = OrderFactory(store=store, customer=customer, placed_at=NOW - timedelta(days=2))
            OrderLineFactory(order=reorder, product=products[0])


def _parcels(store):
    for n, (status, quiet_days, shipped_days) in enumerate(
        4
        * [
            (S.IN_TRANSIT, 6, 8),
            (S.IN_TRANSIT, 5.5, 9),
            (S.IN_TRANSIT, 2, 4),
            (S.OUT_FOR_DELIVERY, 8, 10),
            (S.INFO_RECEIVED, 6.5, 7),
            (S.EXCEPTION, 1, 5),
            (S.ATTEMPT_FAILED, 0.5, 3),
            (S.EXCEPTION, 4, 6),
            (S.IN_TRANSIT, 6, 40),
            (S.DELIVERED, 9, 12),
            (S.RETURNED, 1, 12),
        ]
    ):
        order = OrderFactory(store=store, placed_at=NOW - timedelta(days=shipped_days + 1))
        shipment = ShipmentFactory(
            order=order,
            status=status,
            last_event_at=NOW - timedelta(days=quiet_days),
            shipped_at=NOW - timedelta(days=shipped_days),
            is_history=n == 1,
        )
        created(shipment, NOW - timedelta(days=shipped_days))


def ledger(kind, before):
    rows = Message.objects.filter(step__flow__kind=kind).exclude(pk__in=before).order_by("step_id", "subject_key")
    return [
        (
            m.step.key,
            m.subject_key,
            m.email,
            m.scheduled_for,
            m.latest_at,
            m.variant_id,
            m.status,
            m.reason,
            m.transactional,
            m.priority,
            m.customer_id,
            m.order_id,
            m.cart_id,
            m.shipment_id,
            m.product_id,
            [(entry["action"], entry["rule"], entry["reason"]) for entry in m.trace],
        )
        for m in rows
    ]


def outcome(name, store):
    """The ledger rows the scan writes, run twice, and the first run's record; rolled back afterwards."""
    before = list(Message.objects.values_list("pk", flat=True))
    with transaction.atomic():
        first = run_scan(name, store=store, now=NOW)[0]
        second = run_scan(name, store=store, now=NOW)[0]
        rows = ledger(KINDS[name], before)
        transaction.set_rollback(True)
    return first, second, rows


@pytest.mark.postgres
@pytest.mark.parametrize("name", SCANS)
def test_the_set_based_scan_writes_the_rows_the_row_by_row_scan_writes(world, store, name):
    # given a store full of edge cases, when the scan runs as one statement per step, and, on the same data,
    # reading candidates into Python
    assert set_based.set_based()
    one_statement, again, rows = outcome(name, store)
    with set_based.row_by_row():
        python, python_again, python_rows = outcome(name, store)
    # then both write the same ledger rows, to the address, the moment, the variant, the holdout and the trace
    assert rows == python_rows
    assert len(rows) >= 3, "the data set should give the scan something to plan"
    assert {row[6] for row in rows} >= (
        {MessageStatus.SCHEDULED} if name == "delivery_watch" else {MessageStatus.SCHEDULED, MessageStatus.SKIPPED}
    )
    if name != "replenishment":  # (its step has no variants)
        assert len({row[5] for row in rows} - {None}) >= 2
    # and count the same, and a second run inserts nothing either way
    assert (one_statement.candidates, one_statement.messages_created) == (python.candidates, python.messages_created)
    assert one_statement.messages_created == len(rows)
    assert again.messages_created == python_again.messages_created == 0
    # one statement per step, whatever the candidates: a handful of queries in all
    assert one_statement.queries <= 16


@pytest.mark.postgres
def test_the_win_back_scan_reads_its_lapsed_customers_once_for_every_step_and_audience(world, store):
    # given win-back steps for three audiences and for everyone, when the scan runs (twice)
    with CaptureQueriesContext(connection) as queries:
        first = run_scan("lapsed_customers", store=store, now=NOW)[0]
        again = run_scan("lapsed_customers", store=store, now=NOW)[0]
    # then each run plans every step in one statement that reads the customers once
    statements = [query["sql"] for query in queries if query["sql"].startswith("WITH candidates")]
    assert len(statements) == 2
    assert statements[0].count('FROM "customers_customer"') == 1
    # and every step got the customers of its audience: the offers one audience each, the rest everyone
    planned = Message.objects.filter(step__flow__kind=FlowKind.WIN_BACK, customer__isnull=False)
    by_step = {step.key: step for step in FlowStep.objects.filter(store=store, flow__kind=FlowKind.WIN_BACK)}
    for key, step in by_step.items():
        audience = (step.conditions or {}).get("audience")
        customers = list(Customer.objects.filter(messages__in=planned.filter(step=step)))
        assert customers, f"step {key} planned nobody"
        if audience:
            assert {win_back.audience(top_percent=c.rfm_top_percent, segment=c.rfm_segment,
                                      orders_count=c.orders_count) for c in customers} == {audience}  # fmt: skip
    assert first.messages_created == planned.count() and again.messages_created == 0


@pytest.mark.postgres
def test_steps_whose_values_differ_only_in_type_each_write_their_own(world, store):
    from apps.campaigns.scans import lapsed_customers

    # given two win-back steps whose reasons differ only as True and 1 (equal to Python, not to PostgreSQL)
    steps = list(FlowStep.objects.filter(store=store, flow__kind=FlowKind.WIN_BACK).select_related("flow"))[-2:]
    flow = steps[0].flow
    found = lapsed_customers.candidates(store, steps, NOW, flow=flow, policy=policy_for(store))
    plans = []
    for step, reason in zip(steps, (Value(True), Value(1)), strict=True):
        row = lapsed_customers.ledger_row(step, NOW)
        plans.append(set_based.StepPlan(step, dataclasses.replace(row, why=Cast(reason, TextField()))))
    # when both are planned in one statement
    inserted = set_based.insert(found, plans)
    # then each step's rows carry its own reason
    assert inserted
    for step, expected in zip(steps, ("true", "1"), strict=True):
        reasons = {message.trace[0]["reason"] for message in Message.objects.filter(step=step)}
        assert reasons == {expected}


@pytest.mark.postgres
def test_a_win_back_step_for_an_audience_nobody_is_in_plans_nobody_either_way(world, store):
    # given a step whose audience is misspelt
    step = FlowStep.objects.get(store=store, key="offer-vip")
    FlowStep.objects.filter(pk=step.pk).update(conditions={"audience": "VIP "})
    # when the scan runs as one statement and row by row, then neither plans that step
    _first, _again, rows = outcome("lapsed_customers", store)
    with set_based.row_by_row():
        _first, _again, python_rows = outcome("lapsed_customers", store)
    assert rows == python_rows and rows
    assert not Message.objects.filter(step=step).exists()
    assert not Customer.objects.filter(store=store).filter(win_back.audience_q("VIP ")).exists()


def test_a_sliced_candidate_query_is_refused_not_planned_in_part(store, flows):
    from apps.campaigns.scans import lapsed_customers

    step = FlowStep.objects.filter(store=store, flow__kind=FlowKind.WIN_BACK).select_related("flow").first()
    plans = [set_based.StepPlan(step, lapsed_customers.ledger_row(step, NOW))]
    with pytest.raises(ValueError, match="not a slice"):
        set_based.compiled_select(Customer.objects.filter(store=store)[:10], plans)


@pytest.mark.postgres
def test_variants_and_holdout_in_sql_agree_with_python_key_by_key(store, flows):
    step = FlowStep.objects.get(store=store, key="reminder-1h")
    flow = step.flow
    flow.holdout_percent = 37
    variants = [
        Variant.objects.create(step=step, label=label, weight=weight)
        for label, weight in (("A", 7), ("B", 0), ("C", 19))
    ]
    # the hash itself, on keys of every shape
    texts = [*KEYS, *EMAILS, "", "ключ:1", "🙂"]
    sql = _evaluate(store, [Sha256Point(Value(text)) for text in texts])
    import hashlib

    assert sql == [int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) for text in texts]
    # the variant each key gets, and who is held out
    assert _evaluate(store, [variant_expression(step, Value(key), variants) for key in KEYS]) == [
        variant_for(step, key, variants).pk for key in KEYS
    ]
    held = _evaluate(store, [holdout_condition(flow, Value(email)) for email in EMAILS])
    assert held == [in_holdout(flow, email) for email in EMAILS]
    assert 0 < sum(held) < len(held)


def _evaluate(store, expressions):
    """Each expression's value, evaluated by the database (one query per 100)."""
    values = []
    for start in range(0, len(expressions), 100):
        chunk = {f"e{n}": expression for n, expression in enumerate(expressions[start : start + 100])}
        row = Store.objects.filter(pk=store.pk).annotate(**chunk).values_list(*chunk).get()
        values.extend(row)
    return values


def test_interval_days_in_sql_agrees_with_python(store):
    cases = [(30, None, 0), (None, 20, 6), (None, 20, 4), (0, 12, 5), (None, None, 9), (None, 0, 7), (7, 50, 50)]
    products = [
        ProductFactory(store=store, replenishment_days=days, learned_interval_days=learned, learned_observations=seen)
        for days, learned, seen in cases
    ]
    sql = dict(Product.objects.filter(store=store).annotate(days=interval_days("")).values_list("pk", "days"))
    assert [sql[product.pk] for product in products] == [python_interval_days(product) for product in products]


def test_the_win_back_audience_in_sql_agrees_with_python(store):
    from apps.campaigns.flows import win_back

    people = [
        CustomerFactory(store=store, rfm_top_percent=top, rfm_segment=segment, orders_count=orders)
        for top in (True, False)
        for segment in ("champions", "loyal", "")
        for orders in (0, 1, 2, 9)
    ]
    python = [
        win_back.audience(top_percent=c.rfm_top_percent, segment=c.rfm_segment, orders_count=c.orders_count)
        for c in people
    ]
    customers = Customer.objects.filter(store=store)
    sql = dict(customers.annotate(who=win_back.audience_case()).values_list("pk", "who"))
    assert [sql[c.pk] for c in people] == python
    for who in win_back.AUDIENCES:  # and each step's filter picks exactly its audience
        picked = set(customers.filter(win_back.audience_q(who)).values_list("pk", flat=True))
        assert picked == {c.pk for c, audience in zip(people, python, strict=True) if audience == who}
    assert set(python) == set(win_back.AUDIENCES)


@pytest.mark.postgres
def test_a_set_based_scan_that_loses_the_database_at_a_step_keeps_what_it_planned_and_the_next_run_finishes(
    flows, store, monkeypatch
):
    from django.db import OperationalError

    from apps.campaigns.models import ScanRun

    for n in range(30):
        cart = CartFactory(store=store, email=f"c{n}@example.com", updated_at=NOW - timedelta(hours=2 + 24 * (n % 2)))
        CartLineFactory(cart=cart)
    real_insert = set_based.insert_from_select
    calls = {"n": 0}

    def failing_insert(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_insert(**kwargs)

    # the second step's statement fails: the run records it, the first step's rows stand
    monkeypatch.setattr(set_based, "insert_from_select", failing_insert)
    with pytest.raises(OperationalError):
        run_scan("abandoned_carts", store=store, now=NOW)
    assert "server closed the connection" in ScanRun.objects.get(name="abandoned_carts").error
    assert set(Message.objects.values_list("step__key", flat=True)) == {"reminder-1h"}
    monkeypatch.setattr(set_based, "insert_from_select", real_insert)
    # the next runs plan the rest, once
    finished = run_scan("abandoned_carts", store=store, now=NOW)[0]
    assert run_scan("abandoned_carts", store=store, now=NOW)[0].messages_created == 0
    assert finished.messages_created == 15
    assert Message.objects.filter(step__key="reminder-1h").count() == 15
    assert Message.objects.filter(step__key="help-24h").count() == 15

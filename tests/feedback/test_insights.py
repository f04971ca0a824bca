"""NPS insights: the breakdowns on a small store whose figures are worked out by hand, the period, the
tenancy, the CSV (formula cells neutralised) and the page's query budget."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import FlowKind, FlowStep
from apps.campaigns.services.steps import resurvey_step_get_or_create
from apps.dashboard.csv_download import csv_cell
from apps.feedback.insights import (
    nps_by_carrier,
    nps_by_flow,
    nps_by_lateness,
    nps_by_product,
    nps_by_transit_days,
    nps_by_week,
    nps_comments,
    nps_insights,
    nps_total,
)
from apps.feedback.models import NpsResponse
from apps.shipments.models import ShipmentStatus
from tests.campaigns.factories import MessageFactory
from tests.feedback.factories import NpsResponseFactory
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@dataclass
class World:
    store: object
    now: datetime
    since: datetime
    until: datetime


def _answer(order, score, *, at, comment="", topics=()):
    response = NpsResponseFactory(order=order, score=score, comment=comment, topics=list(topics))
    NpsResponse.objects.filter(pk=response.pk).update(modified_at=at, created_at=at)
    return response


def _asked(order, step, *, at):
    return MessageFactory(
        store=order.store, step=step, order=order, subject_key=f"order:{order.pk}", sent=True, sent_at=at
    )


@pytest.fixture
def world() -> World:
    """Seven answers in the last 30 days (three more outside it or in another store):

    | order | score | carrier | transit         | promised         | products | asked by         |
    | o1    | 10    | ups     | 2 days          | on time          | A        | survey           |
    | o2    | 9     | ups     | 4 days          | late (a day)     | A, B     | survey           |
    | o3    | 3     | dhl     | 6 days          | late             | B        | reminder         |
    | o4    | 7     | dhl     | 9 days (scan)   | on time          | A        | nothing          |
    | o5    | 0     | ups     | not delivered   | late (past it)   | B        | re-survey        |
    | o6    | 8     | none    | —               | no promised day  | A        | nothing          |
    | o7    | 10    | dhl     | 16 days         | no promised day  | A        | survey, but after|
    """
    now = timezone.now()
    store = StoreFactory()

    # Promised days are the store's (Rome's) calendar days: near midnight UTC they are not the UTC ones.
    def local_day(moment):
        return timezone.localtime(moment, store.tz).date()

    today = local_day(now)
    beans = ProductFactory(store=store, name="Beans")
    grinder = ProductFactory(store=store, name="Grinder")
    steps = {s.key: s for s in FlowStep.objects.filter(store=store, flow__kind=FlowKind.NPS_SURVEY)}
    steps["re-survey"] = resurvey_step_get_or_create(store=store)
    answered = now - 3 * DAY

    def order(*products):
        o = OrderFactory(store=store)
        for product in products:
            OrderLineFactory(order=o, product=product)
        return o

    o1 = order(beans)
    ShipmentFactory(order=o1, carrier="ups", shipped_at=now - 10 * DAY, delivered_at=now - 8 * DAY,
                    estimated_delivery=local_day(now - 8 * DAY), status=ShipmentStatus.DELIVERED)  # fmt: skip
    _asked(o1, steps["survey"], at=now - 5 * DAY)
    _answer(o1, 10, at=answered, comment="Lovely beans", topics=["product"])

    o2 = order(beans, grinder)
    ShipmentFactory(order=o2, carrier="ups", shipped_at=now - 12 * DAY, delivered_at=now - 8 * DAY,
                    estimated_delivery=local_day(now - 9 * DAY), status=ShipmentStatus.DELIVERED)  # fmt: skip
    _asked(o2, steps["survey"], at=now - 5 * DAY)
    _answer(o2, 9, at=answered)

    o3 = order(grinder)
    ShipmentFactory(order=o3, carrier="dhl", shipped_at=now - 14 * DAY, delivered_at=now - 8 * DAY,
                    estimated_delivery=local_day(now - 10 * DAY), status=ShipmentStatus.DELIVERED)  # fmt: skip
    _asked(o3, steps["survey"], at=now - 6 * DAY)
    _asked(o3, steps["reminder"], at=now - 4 * DAY)
    _answer(o3, 3, at=answered, comment="=cmd|' /C calc'!A0", topics=["delivery", "packaging"])

    o4 = order(beans)
    s4 = ShipmentFactory(order=o4, carrier="dhl", shipped_at=None, delivered_at=now - 3 * DAY,
                         estimated_delivery=local_day(now - 2 * DAY), status=ShipmentStatus.DELIVERED)  # fmt: skip
    TrackingEventFactory(shipment=s4, status=ShipmentStatus.INFO_RECEIVED, occurred_at=now - 13 * DAY)
    TrackingEventFactory(shipment=s4, status=ShipmentStatus.IN_TRANSIT, occurred_at=now - 12 * DAY)
    TrackingEventFactory(shipment=s4, status=ShipmentStatus.IN_TRANSIT, occurred_at=now - 6 * DAY)
    _answer(o4, 7, at=answered, comment="Fine", topics=["delivery"])

    o5 = order(grinder)
    ShipmentFactory(order=o5, carrier="ups", shipped_at=now - 15 * DAY, delivered_at=None,
                    estimated_delivery=today - 2 * DAY, status=ShipmentStatus.IN_TRANSIT)  # fmt: skip
    _asked(o5, steps["survey"], at=now - 20 * DAY)
    _asked(o5, steps["re-survey"], at=now - 4 * DAY)
    _answer(o5, 0, at=answered, comment="Still waiting", topics=["delivery"])

    o6 = order(beans)
    _answer(o6, 8, at=answered - DAY, comment="Good coffee", topics=["product"])

    o7 = order(beans)
    ShipmentFactory(order=o7, carrier="dhl", shipped_at=now - 20 * DAY, delivered_at=now - 4 * DAY,
                    estimated_delivery=None, status=ShipmentStatus.DELIVERED)  # fmt: skip
    _asked(o7, steps["survey"], at=now - DAY)  # after the answer: it did not ask for it
    _answer(o7, 10, at=answered)

    # outside the period, and in another store: never counted
    old = order(beans)
    ShipmentFactory(order=old, carrier="ups", shipped_at=now - 120 * DAY, delivered_at=now - 118 * DAY)
    _answer(old, 0, at=now - 100 * DAY, comment="Old complaint")
    other = StoreFactory()
    foreign = OrderFactory(store=other)
    OrderLineFactory(order=foreign, product=ProductFactory(store=other, name="Foreign tea"))
    ShipmentFactory(order=foreign, carrier="ups", shipped_at=now - 5 * DAY, delivered_at=now - 4 * DAY)
    _answer(foreign, 0, at=answered, comment="Another store's words")

    return World(store=store, now=now, since=now - 30 * DAY, until=now + timedelta(seconds=1))


def figures(groups) -> dict:
    return {str(g.label): (g.responses, g.promoters, g.detractors, g.nps) for g in groups}


def test_total_counts_only_the_period_and_the_store(world):
    # when the period's total is read, then 7 answers: 3 promoters, 2 detractors → NPS round(100 × 1/7) = 14
    total = nps_total(store=world.store, since=world.since, until=world.until)
    assert (total.responses, total.promoters, total.passives, total.detractors, total.nps) == (7, 3, 2, 2, 14)


def test_nps_by_carrier(world):
    groups = nps_by_carrier(store=world.store, since=world.since, until=world.until)
    # then UPS: o1 P, o2 P, o5 D → 33; DHL: o3 D, o4 -, o7 P → 0; no shipment: o6 passive → 0 (n 1, greyed)
    assert figures(groups) == {"UPS": (3, 2, 1, 33), "DHL Express": (3, 1, 1, 0), "No shipment": (1, 0, 0, 0)}
    assert [g.small for g in groups] == [True, True, True]  # fewer than 5 answers each


def test_nps_by_transit_days(world):
    groups = nps_by_transit_days(store=world.store, since=world.since, until=world.until)
    # then each bucket in its order; o4's transit starts at its first in-transit scan (12 → 3 days ago: 9 days)
    assert [g.key for g in groups] == ["0-2", "3-4", "5-7", "8-14", "15+", "not_delivered"]
    assert [g.nps for g in groups] == [100, 100, -100, 0, 100, -100]
    assert [g.responses for g in groups] == [1, 1, 1, 1, 1, 1]


def test_nps_late_against_on_time(world):
    groups = nps_by_lateness(store=world.store, since=world.since, until=world.until, now=world.now)
    # late: o2 P, o3 D, o5 D (undelivered past its day) → −33; on time: o1 P, o4 passive → 50; none: o6, o7 → 50
    assert [g.key for g in groups] == ["late", "on_time", "no_promise"]
    found = [(g.responses, g.promoters, g.detractors, g.nps) for g in groups]
    assert found == [(3, 1, 2, -33), (2, 1, 0, 50), (2, 1, 0, 50)]


def test_nps_by_product_counts_a_two_product_order_for_both(world):
    groups = nps_by_product(store=world.store, since=world.since, until=world.until)
    # then Beans: o1 P, o2 P, o4, o6, o7 P → 60 (n 5, not greyed); Grinder: o2 P, o3 D, o5 D → −33
    assert figures(groups) == {"Beans": (5, 3, 0, 60), "Grinder": (3, 1, 2, -33)}
    assert [g.small for g in groups] == [False, True]
    assert "Foreign tea" not in figures(groups)


def test_nps_by_the_email_that_asked(world):
    groups = nps_by_flow(store=world.store, since=world.since, until=world.until)
    # then the last NPS email sent before the answer: o1, o2 survey; o3 reminder; o5 re-survey; o4, o6, o7 none
    # (o7's survey went out after its answer)
    assert [g.key for g in groups] == ["survey", "reminder", "re-survey", "none"]
    assert [(g.responses, g.nps) for g in groups] == [(2, 100), (1, -100), (1, -100), (3, 33)]


def test_nps_per_iso_week_in_the_store_time_zone():
    # given a store in Rome and answers on Monday 16 Nov, Sunday 22 Nov 23:30 UTC (Monday 23 in Rome), 25 Nov
    store = StoreFactory(time_zone="Europe/Rome")
    for score, at in ((10, datetime(2026, 11, 16, 9, tzinfo=UTC)), (2, datetime(2026, 11, 22, 23, 30, tzinfo=UTC)),
                      (9, datetime(2026, 11, 25, 12, tzinfo=UTC))):  # fmt: skip
        _answer(OrderFactory(store=store), score, at=at)
    since = datetime(2026, 11, 9, tzinfo=store.tz)
    until = datetime(2026, 11, 30, tzinfo=store.tz)
    # when the weeks are read
    weeks = nps_by_week(store=store, since=since, until=until)
    # then three ISO weeks, the empty one included: W46 none, W47 one promoter, W48 a detractor and a promoter
    found = [(w.key, w.responses, w.nps) for w in weeks]
    assert found == [("2026-W46", 0, None), ("2026-W47", 1, 100), ("2026-W48", 2, 0)]


def test_comments_filter_by_topic_and_segment_newest_first(world):
    comments = nps_comments(store=world.store, since=world.since, until=world.until)
    assert "Another store's words" not in [c.comment for c in comments]
    assert "Old complaint" not in [c.comment for c in comments]
    assert comments[len(comments) - 1].comment == "Good coffee"  # answered a day before the others
    delivery = nps_comments(store=world.store, since=world.since, until=world.until, topic="delivery")
    assert {c.comment for c in delivery} == {"=cmd|' /C calc'!A0", "Fine", "Still waiting"}
    detractors = nps_comments(
        store=world.store, since=world.since, until=world.until, topic="delivery", segment="detractor"
    )
    assert {c.comment for c in detractors} == {"=cmd|' /C calc'!A0", "Still waiting"}


def test_the_period_filter_excludes_answers_outside_it(world):
    # when the last 365 days are asked, the old answer is in; a custom period before it leaves all out
    longer = nps_total(store=world.store, since=world.now - 365 * DAY, until=world.until)
    assert (longer.responses, longer.detractors) == (8, 3)
    earlier = nps_total(store=world.store, since=world.now - 365 * DAY, until=world.now - 30 * DAY)
    assert earlier.responses == 1


# --- The page and its CSV -------------------------------------------------------------------
@pytest.fixture
def member(client, world):
    membership = MembershipFactory(store=world.store, role="support")  # whoever works the critics queue
    client.force_login(membership.user)
    return membership


def test_the_page_shows_the_breakdowns_in_a_bounded_number_of_queries(
    client, member, world, django_assert_max_num_queries
):
    # when a support member opens the page (the last 30 days)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("dashboard:nps_insights"), {"period": "30"})
    # then every breakdown is there with its figures, the other store's never
    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("By carrier", "By days in transit", "Late or on time", "By product", "By the email that asked"):
        assert heading in page
    assert "Another store" not in page and "Foreign tea" not in page and "Old complaint" not in page
    assert 'data-group="ups"' in page and 'data-nps="33"' in page
    # and the same page with many more answers costs no more queries
    for n in range(30):
        o = OrderFactory(store=world.store)
        OrderLineFactory(order=o)
        ShipmentFactory(order=o, delivered_at=world.now - DAY)
        _answer(o, n % 11, at=world.now - 2 * DAY, comment=f"Comment {n}", topics=["service"])
    with django_assert_max_num_queries(13):
        assert client.get(reverse("dashboard:nps_insights"), {"period": "30"}).status_code == 200


def test_a_custom_period_and_a_bad_one(client, member, world):
    url = reverse("dashboard:nps_insights")
    # a custom period of the days before the answers shows none of them
    start, end = (world.now - 60 * DAY).date(), (world.now - 10 * DAY).date()
    page = client.get(url, {"period": "custom", "start": start, "end": end}).content.decode()
    assert "Lovely beans" not in page and "Old complaint" not in page
    # an end before the start says so and shows the default period
    page = client.get(url, {"period": "custom", "start": end, "end": start}).content.decode()
    assert "The last day comes before the first." in page and "Lovely beans" in page


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "UTF-8 with a BOM, for spreadsheets"
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_matches_the_figures_and_has_every_breakdown(client, member, world):
    response = client.get(reverse("dashboard:nps_insights_csv"), {"period": "30"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0][:3] == ["breakdown", "group_key", "group"]
    by = {(r[0], r[1]): r for r in rows[1:]}
    insights = nps_insights(store=world.store, since=world.now - 30 * DAY, until=timezone.now())
    for breakdown, groups in [("all", [insights.total]), *insights.breakdowns(), ("week", insights.weeks)]:
        for g in groups:
            row = by.pop((breakdown, g.key))
            nps = "" if g.nps is None else g.nps
            expected = [g.responses, g.promoters, g.passives, g.detractors, nps, int(g.small)]
            assert row[3:] == [str(v) for v in expected], (breakdown, g.key)
    assert not by, "nothing in the CSV that the page does not show"
    assert not any("Foreign tea" in r for r in rows)


def test_the_comments_csv_neutralises_formulas(client, member, world):
    rows = _csv(client.get(reverse("dashboard:nps_insights_csv"), {"period": "30", "data": "comments"}))
    assert rows[0] == ["answered_at", "order", "score", "segment", "topics", "comment"]
    comments = [r[5] for r in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in comments
    assert "=cmd|' /C calc'!A0" not in comments
    assert "Another store's words" not in comments and "Old complaint" not in comments
    # filtered as on the page
    query = {"period": "30", "data": "comments", "topic": "product"}
    rows = _csv(client.get(reverse("dashboard:nps_insights_csv"), query))
    assert sorted(r[5] for r in rows[1:]) == ["Good coffee", "Lovely beans"]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"])
def test_a_text_cell_that_starts_like_a_formula_is_prefixed(value):
    assert csv_cell(value) == "'" + value
    assert csv_cell(-33) == -33 and csv_cell("Beans") == "Beans"


def test_another_stores_member_sees_none_of_it(client, world):
    outsider = MembershipFactory(role="owner")
    client.force_login(outsider.user)
    page = client.get(reverse("dashboard:nps_insights"), {"period": "30"}).content.decode()
    assert "Lovely beans" not in page and "No answers in this period yet." in page


def test_an_unknown_topic_is_ignored_and_the_period_kept(client, member, world):
    page = client.get(reverse("dashboard:nps_insights"), {"period": "365", "topic": "nonsense"}).content.decode()
    assert "Old complaint" in page  # the 365 days were kept

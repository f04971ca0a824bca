"""The dashboard home: KPIs and charts for 7, 30 or 90 days, in a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import FlowKind, FlowStep, MessageStatus
from apps.feedback.services.nps import nps_record
from apps.rollups.tasks import rollups_refresh_task
from apps.shipments.models import ShipmentStatus
from apps.tracking.models import PageBlock, PageEvent, PageEventKind
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    return membership


def fill(store, n):
    """n of everything the home counts: orders, shipments, emails, recovered carts, NPS answers, views."""
    cart_step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    now = timezone.now()
    for i in range(n):
        customer = CustomerFactory(store=store)
        order = OrderFactory(store=store, customer=customer, total=Decimal("50.00"))
        ShipmentFactory(order=order, status=ShipmentStatus.EXCEPTION if i % 3 == 0 else ShipmentStatus.DELIVERED)
        cart = CartFactory(
            store=store,
            customer=customer,
            converted_order=order if i % 2 == 0 else None,
            converted_at=now if i % 2 == 0 else None,
            updated_at=now - timedelta(hours=5),
        )
        MessageFactory(
            store=store,
            step=cart_step,
            cart=cart,
            customer=customer,
            status=MessageStatus.SENT,
            transactional=False,
            sent_at=now - timedelta(hours=4),
            delivered_at=now,
            opened_at=now if i % 2 == 0 else None,
            attributed_order=order if i % 2 == 0 else None,
            attributed_revenue=Decimal("50.00") if i % 2 == 0 else 0,
        )
        nps_record(order=order, score=i % 11)
        PageEvent.objects.create(store=store, order=order, block=PageBlock.RECOMMENDATIONS, kind=PageEventKind.VIEW)


def test_the_home_shows_kpis_and_charts(client, owner):
    # given four orders, two recovered carts of four emailed, and NPS answers 0, 1, 2, 3
    fill(owner.store, 4)
    # when the owner opens the home for 30 days
    response = client.get(reverse("dashboard:home"))
    home = response.context["home"]
    # then the figures add up
    assert home.overview.orders == 4
    assert home.emails["sent"] == 4 and home.emails["opened"] == 2
    assert home.emails["revenue"] == Decimal("100.00")
    assert home.cart_recovery == {"emailed": 4, "recovered": 2, "rate": 0.5}
    assert home.nps.answers == 4 and home.nps.score == -100
    assert home.attention["troubled"] == 2
    cart_row = next(row for row in home.flows if row.flow.kind == FlowKind.ABANDONED_CART)
    assert (cart_row.sent, cart_row.conversions, cart_row.revenue) == (4, 2, Decimal("100.00"))
    assert next(b for b in home.blocks if b.key == PageBlock.RECOMMENDATIONS).views == 4
    # and the charts are server-side SVG without style attributes
    page = response.content.decode()
    assert page.count("<svg") >= 6
    assert "<polyline" in page  # the weekly NPS line
    assert " style=" not in page


def test_the_period_is_chosen_with_htmx(client, owner):
    old = OrderFactory(store=owner.store, placed_at=timezone.now() - timedelta(days=20))
    assert old
    week = client.get(
        reverse("dashboard:home"), {"days": 7}, headers={"HX-Request": "true", "HX-Target": "home-figures"}
    )
    assert "<html" not in week.content.decode()
    assert week.context["home"].overview.orders == 0
    assert client.get(reverse("dashboard:home"), {"days": 30}).context["home"].overview.orders == 1
    assert client.get(reverse("dashboard:home"), {"days": 12345}).context["days"] == 30


def test_the_home_takes_the_same_queries_for_3_or_30_of_everything(client, owner):
    fill(owner.store, 3)
    client.get(reverse("dashboard:home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard:home"))
    fill(owner.store, 27)
    rollups_refresh_task()  # the home reads the daily figures beat keeps current
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("dashboard:home"))
    assert response.context["home"].overview.orders == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 25


def test_the_tracking_page_report_counts_block_views_and_clicks(client, owner):
    order = OrderFactory(store=owner.store)
    for kind in (PageEventKind.VIEW, PageEventKind.VIEW, PageEventKind.CLICK):
        PageEvent.objects.create(store=owner.store, order=order, block=PageBlock.COUPON, kind=kind)
    rows = client.get(reverse("dashboard:tracking_report")).context["rows"]
    coupon = next(row for row in rows if row.key == PageBlock.COUPON)
    assert (coupon.views, coupon.clicks, coupon.click_rate) == (2, 1, 0.5)

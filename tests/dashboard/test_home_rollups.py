"""The dashboard home reads daily figures beat keeps (apps/rollups), not the orders, emails and shipments
themselves: what it shows must be what counting those rows directly gives, after any run of the task, and
a store never seen before must not show zeros it has not counted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import FlowKind, FlowStep, Message, MessageStatus
from apps.campaigns.selectors import email_totals, flow_figures
from apps.feedback.models import NpsResponse
from apps.feedback.selectors import nps_distribution
from apps.feedback.services.nps import nps_record
from apps.orders.models import Cart, Order, OrderStatus
from apps.orders.selectors import order_counts_by_day
from apps.rollups.models import RollupState, StoreDay
from apps.rollups.refresh import FULL_EVERY
from apps.rollups.tasks import rollups_refresh_task
from apps.shipments.models import ATTENTION_STATUSES, Shipment, ShipmentStatus
from apps.shipments.selectors import attention_counts
from apps.tracking.models import PageBlock, PageEvent, PageEventKind
from apps.tracking.selectors import page_block_counts
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db

# Days back from now: today, around the 7- and 30-day edges, inside 90 days, and outside every period.
AGES = (0, 1, 6, 7, 8, 29, 30, 31, 60, 89, 90, 120)


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    return membership


def history(store):
    """A bit of everything the home counts, on days spread over the periods' edges (the store is in
    Europe/Rome, so local days are not UTC days)."""
    now = timezone.now()
    cart_step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    later_step = FlowStep.objects.filter(store=store, flow__kind=FlowKind.ABANDONED_CART).exclude(pk=cart_step.pk)
    other_step = FlowStep.objects.filter(store=store).exclude(flow__kind=FlowKind.ABANDONED_CART).first()
    for i, age in enumerate(AGES):
        at = now - timedelta(days=age, hours=i % 5)
        customer = CustomerFactory(store=store)
        order = OrderFactory(store=store, customer=customer, placed_at=at, total=Decimal(10 + i))
        OrderFactory(store=store, customer=customer, placed_at=at, status=OrderStatus.CANCELLED)
        status = (ShipmentStatus.EXCEPTION, ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED)[i % 3]
        shipment = ShipmentFactory(order=order, status=status, delay_flagged_at=now if i % 4 == 1 else None)
        Shipment.objects.filter(pk=shipment.pk).update(created_at=at)
        cart = CartFactory(
            store=store,
            customer=customer,
            converted_order=order if i % 2 == 0 else None,
            converted_at=at + timedelta(hours=3) if i % 2 == 0 else None,
        )
        for step, sent_at in ((cart_step, at), (later_step.first() or cart_step, at + timedelta(days=1))):
            MessageFactory(
                store=store,
                step=step,
                cart=cart,
                customer=customer,
                status=MessageStatus.SENT,
                transactional=False,
                sent_at=min(sent_at, now),
                delivered_at=now,
                opened_at=now if i % 2 == 0 else None,
                clicked_at=now if i % 3 == 0 else None,
                attributed_order=order if i % 2 == 0 and step == cart_step else None,
                attributed_revenue=order.total if i % 2 == 0 and step == cart_step else 0,
            )
        MessageFactory(store=store, step=other_step, customer=customer, status=MessageStatus.SENT, sent_at=at)
        MessageFactory(store=store, step=other_step, customer=customer, status=MessageStatus.FAILED)
        response = nps_record(order=order, score=i % 11)
        NpsResponse.objects.filter(pk=response.pk).update(modified_at=at)
        for kind in (PageEventKind.VIEW, PageEventKind.VIEW, PageEventKind.CLICK):
            event = PageEvent.objects.create(store=store, order=order, block=PageBlock.COUPON, kind=kind)
            PageEvent.objects.filter(pk=event.pk).update(created_at=at)


def carts_first_emailed(store, since):
    """Carts whose first abandoned-cart email went out in the period, and those that became an order after it.
    (A cart counts in the period of its first email, so a reminder sent a day later never counts it twice.)"""
    first = {}
    emails = Message.objects.filter(
        store=store, status=MessageStatus.SENT, step__flow__kind=FlowKind.ABANDONED_CART, cart__isnull=False
    )
    for message in emails.select_related("cart"):
        if message.cart_id not in first or message.sent_at < first[message.cart_id][0]:
            first[message.cart_id] = (message.sent_at, message.cart)
    cohort = [(at, cart) for at, cart in first.values() if at >= since]
    recovered = sum(1 for at, cart in cohort if cart.converted_order_id and cart.converted_at >= at)
    return {"emailed": len(cohort), "recovered": recovered, "rate": recovered / len(cohort) if cohort else None}


def counted_directly(store, since):
    """The home's figures from the source rows, through the apps' own live selectors."""
    daily = order_counts_by_day(store=store, since=since)
    shipments = Shipment.objects.filter(store=store, created_at__gte=since)
    flows = flow_figures(store=store, since=since)
    return {
        "orders": sum(row["orders"] for row in daily),
        "revenue": sum((row["revenue"] for row in daily), Decimal(0)),
        "shipments": shipments.count(),
        "troubled": shipments.filter(status__in=ATTENTION_STATUSES).count(),
        "emails": email_totals(store=store, since=since),
        "flows": {pk: (row["sent"], row["opened"], row["conversions"], row["revenue"]) for pk, row in flows.items()},
        "carts": carts_first_emailed(store, since),
        "nps": nps_distribution(store=store, since=since),
        "coupon": page_block_counts(store=store, since=since)[PageBlock.COUPON],
        "attention": attention_counts(store=store)["total"],
    }


def shown(home):
    o = home.overview
    return {
        "orders": o.orders,
        "revenue": o.revenue,
        "shipments": o.shipments,
        "troubled": home.attention["troubled"],
        "emails": home.emails,
        "flows": {row.flow.pk: (row.sent, row.opened, row.conversions, row.revenue) for row in home.flows if row.sent},
        "carts": home.cart_recovery,
        "nps": {c.label: c.value for c in home.nps.distribution},
        "coupon": next(
            {"views": b.views, "clicks": b.clicks, "click_rate": b.click_rate} for b in home.blocks if b.key == "coupon"
        ),
        "attention": home.attention["total"] + home.attention["older"],
    }


def assert_home_matches_the_rows(client, store, django_assert_max_num_queries):
    for days in (7, 30, 90):
        with django_assert_max_num_queries(16):
            response = client.get(reverse("dashboard:home"), {"days": days})
        home = response.context["home"]
        expected = counted_directly(store, home.since)
        expected["nps"] = {str(score): n for score, n in expected["nps"].items()}
        assert shown(home) == expected, days
        assert sum(bar.value for bar in home.overview.order_bars) == home.overview.orders
        assert len(home.overview.order_bars) == days


def test_the_home_shows_what_counting_the_rows_gives_after_each_run(client, owner, django_assert_max_num_queries):
    # given a store's history over four months, counted by two runs of the task
    store = owner.store
    history(store)
    rollups_refresh_task()
    rollups_refresh_task()
    # then every period's figures are those of the rows themselves, from whole local days
    assert_home_matches_the_rows(client, store, django_assert_max_num_queries)
    home = client.get(reverse("dashboard:home"), {"days": 7}).context["home"]
    assert home.since == timezone.localtime(home.since, store.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    assert home.cart_recovery["emailed"] > 0 and home.nps.answers > 0


def test_changes_to_old_rows_reach_the_home_at_the_next_run(client, owner, django_assert_max_num_queries):
    # given counted figures
    store = owner.store
    history(store)
    rollups_refresh_task()
    state = RollupState.objects.get(store=store)
    # when, weeks later in the data, an order is cancelled, an email is opened, a parcel goes wrong and a
    # cart converts, each a month old (the app bumps modified_at on every change)
    now = timezone.now()
    month_ago = now - timedelta(days=29)
    old_order = Order.objects.filter(store=store, placed_at__lt=month_ago).exclude(status=OrderStatus.CANCELLED)
    Order.objects.filter(pk=old_order.order_by("-placed_at").first().pk).update(
        status=OrderStatus.CANCELLED, modified_at=now
    )
    Message.objects.filter(store=store, sent_at__lt=month_ago, opened_at__isnull=True).update(
        opened_at=now, modified_at=now
    )
    Shipment.objects.filter(store=store, created_at__lt=month_ago).update(
        status=ShipmentStatus.RETURNED, modified_at=now
    )
    Cart.objects.filter(store=store, converted_order__isnull=True).update(
        converted_order=Order.objects.filter(store=store).first(), converted_at=now, modified_at=now
    )
    # and the task runs again, not a full recount
    rollups_refresh_task()
    assert RollupState.objects.get(store=store).full_at == state.full_at
    # then the home shows the rows as they are now
    assert_home_matches_the_rows(client, store, django_assert_max_num_queries)


def test_a_daily_full_recount_catches_what_no_watermark_sees(client, owner, django_assert_max_num_queries):
    store = owner.store
    history(store)
    rollups_refresh_task()
    # a deleted order leaves no modified row behind
    Order.objects.filter(store=store, placed_at__lt=timezone.now() - timedelta(days=20)).first().delete()
    RollupState.objects.filter(store=store).update(full_at=timezone.now() - FULL_EVERY - timedelta(minutes=1))
    rollups_refresh_task()
    assert_home_matches_the_rows(client, store, django_assert_max_num_queries)


def test_a_store_seen_for_the_first_time_is_counted_not_shown_as_zeros(client, owner):
    # given a store whose figures no run has counted yet (it was just created, beat has not come round)
    OrderFactory(store=owner.store, total=Decimal("80.00"))
    assert not RollupState.objects.filter(store=owner.store).exists()
    # when the owner opens the home, then its orders are there, counted on the spot
    home = client.get(reverse("dashboard:home")).context["home"]
    assert (home.overview.orders, home.overview.revenue) == (1, Decimal("80.00"))
    # and from then on the task keeps them: the next order waits for its run
    OrderFactory(store=owner.store, total=Decimal("20.00"))
    assert client.get(reverse("dashboard:home")).context["home"].overview.orders == 1
    rollups_refresh_task()
    assert client.get(reverse("dashboard:home")).context["home"].overview.orders == 2


def test_the_page_says_when_its_figures_were_counted(client, owner):
    response = client.get(reverse("dashboard:home"))
    as_of = response.context["home"].as_of
    assert f"Counted at {as_of:%H:%M}; recounted every few minutes." in response.content.decode()


def test_a_time_zone_change_recounts_the_days(client, owner):
    store = owner.store
    OrderFactory(store=store, placed_at=timezone.now() - timedelta(days=6, hours=12))
    rollups_refresh_task()
    store.time_zone = "Pacific/Kiritimati" if store.time_zone != "Pacific/Kiritimati" else "Pacific/Pago_Pago"
    store.save()
    rollups_refresh_task()
    assert RollupState.objects.get(store=store).time_zone == store.time_zone
    home = client.get(reverse("dashboard:home"), {"days": 7}).context["home"]
    assert home.overview.orders == counted_directly(store, home.since)["orders"]
    assert StoreDay.objects.filter(store=store).count() == 91


def test_beat_refreshes_the_figures_every_few_minutes():
    from apps.core.schedules import SCHEDULES
    from apps.rollups.refresh import REFRESH_EVERY_MINUTES

    (schedule,) = [s for s in SCHEDULES if s.task == "apps.rollups.tasks.rollups_refresh_task"]
    assert schedule.every_minutes == REFRESH_EVERY_MINUTES <= 5

"""The tracking page from the cache: no SQL when warm, a bounded render when not, and never a stale or
somebody else's page (every change listed in apps/tracking/receivers.py shows at once)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import Coupon
from apps.orders.models import Order
from apps.shipments.models import ShipmentStatus
from apps.tracking import views
from apps.tracking.links import lookup_path
from apps.tracking.page_cache import PAGE_SECONDS, SETTLE_SECONDS, pages_changed
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.feedback.factories import NpsResponseFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def page_of(client, order, **params) -> str:
    response = client.get(order.get_tracking_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def warm(client, order, **params) -> str:
    """A token's first view finds the order; the second renders it into the cache."""
    page_of(client, order, **params)
    return page_of(client, order, **params)


@pytest.fixture
def order():
    """A buyer in Italy with one parcel delivered and one on its way."""
    store = StoreFactory(name="Bottega Uno", languages=["en", "it", "ru"])
    customer = CustomerFactory(store=store, first_name="Anna", locale="", time_zone="")
    order = OrderFactory(store=store, customer=customer, locale="", shipping_city="Milano")
    OrderLineFactory(order=order, title="Ceramic mug")
    ShipmentFactory(order=order, delivered=True, delivered_at=timezone.now())
    moving = ShipmentFactory(order=order, in_transit=True, carrier_name="Poste Italiane")
    TrackingEventFactory(shipment=moving, message="Departed the hub")
    return order


# --- Cost ---------------------------------------------------------------------------------------
def test_a_warm_page_and_live_part_cost_no_query(client, order, django_assert_num_queries):
    warm(client, order)
    live = reverse("tracking:live", args=[order.tracking_token])
    client.get(live)
    with django_assert_num_queries(0):
        page = client.get(order.get_tracking_url())
        fragment = client.get(live)
    assert "Departed the hub" in page.content.decode() and "Ceramic mug" in page.content.decode()
    assert "Departed the hub" in fragment.content.decode()


def test_a_miss_costs_at_most_four_queries_for_three_parcels_of_ten_scans(client, django_assert_max_num_queries):
    # given an order with three parcels of ten scans each, an NPS answer and a coupon its email handed out
    order = OrderFactory(customer=CustomerFactory(locale="en"), locale="en")
    for n in range(3):
        OrderLineFactory(order=order, title=f"Item {n}")
        shipment = ShipmentFactory(order=order, delivered=True)
        for hours in range(10):
            TrackingEventFactory(
                shipment=shipment, occurred_at=timezone.now() - timedelta(hours=hours + 1), message=f"Scan {n}-{hours}"
            )
    NpsResponseFactory(order=order, score=9)
    Coupon.objects.create(
        store=order.store,
        code="THANKS10",
        kind="percent",
        value=10,
        message=MessageFactory(store=order.store, order=order),
        issued_at=timezone.now(),
    )
    page_of(client, order)  # the token's first view (recommendations are cached from here, for minutes)
    pages_changed(order_ids=[order.pk])  # e.g. a new carrier scan: the page renders again
    # when the page and then its live part miss the cache
    with django_assert_max_num_queries(4):
        page = page_of(client, order)
    with django_assert_max_num_queries(2):
        client.get(reverse("tracking:live", args=[order.tracking_token]))
    # then everything is on it
    assert page.count('class="panel shipment') == 3
    assert "Scan 2-9" in page and "Item 2" in page
    assert "You gave us 9 out of 10." in page
    assert "THANKS10" in page


def test_the_render_costs_the_same_for_one_scan_or_thirty(client):
    counts = []
    for parcels, scans in ((1, 1), (3, 10)):
        order = OrderFactory()
        for _ in range(parcels):
            shipment = ShipmentFactory(order=order, in_transit=True)
            for _ in range(scans):
                TrackingEventFactory(shipment=shipment)
        page_of(client, order)
        pages_changed(order_ids=[order.pk])
        with CaptureQueriesContext(connection) as queries:
            page_of(client, order)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 4


# --- What makes a page change ---------------------------------------------------------------------
def _event(order):
    TrackingEventFactory(shipment=order.shipments.get(status=ShipmentStatus.IN_TRANSIT), message="Arrived in Milan")


def _shipment_status(order):
    shipment = order.shipments.get(status=ShipmentStatus.IN_TRANSIT)
    shipment.status = ShipmentStatus.OUT_FOR_DELIVERY
    shipment.save()


def _new_shipment(order):
    ShipmentFactory(order=order, in_transit=True, carrier_name="Arrived in Milan")


def _order(order):
    order.shipping_city = "Arrived in Milan"
    order.save()


def _line(order):
    OrderLineFactory(order=order, title="Arrived in Milan")


def _line_deleted(order):
    order.lines.get().delete()


def _nps(order):
    NpsResponseFactory(order=order, score=3)


def _coupon(order):
    Coupon.objects.create(
        store=order.store,
        code="ARRIVED10",
        kind="percent",
        value=10,
        message=MessageFactory(store=order.store, order=order),
        issued_at=timezone.now(),
    )


def _customer(order):
    order.customer.first_name = "Arrived"
    order.customer.save(update_fields=["first_name"])


def _consent(order):
    from apps.customers.services import customer_set_marketing_consent

    customer_set_marketing_consent(customer=order.customer, granted=True, source="tracking_page")


def _store(order):
    order.store.primary_colour = "#123456"
    order.store.save()


def _update_then_told(order):
    """A write that bypasses signals says so itself (see page_cache.pages_changed)."""
    Order.objects.filter(pk=order.pk).update(shipping_city="Arrived in Milan")
    pages_changed(order_ids=[order.pk])


@pytest.mark.parametrize(
    ("change", "shows"),
    [
        (_event, "Arrived in Milan"),
        (_shipment_status, "status-out_for_delivery"),
        (_new_shipment, "Arrived in Milan"),
        (_order, "Arrived in Milan"),
        (_line, "Arrived in Milan"),
        (_nps, "You gave us 3 out of 10."),
        (_coupon, "ARRIVED10"),
        (_customer, "Arrived, your order"),
        (_store, "--brand: #123456"),
        (_update_then_told, "Arrived in Milan"),
    ],
)
def test_every_change_a_buyer_would_see_shows_on_the_next_view(client, order, change, shows):
    assert shows not in warm(client, order)
    change(order)
    assert shows in page_of(client, order)


@pytest.mark.parametrize(("change", "hidden"), [(_line_deleted, "Ceramic mug"), (_consent, 'id="newsletter"')])
def test_what_goes_away_goes_away_on_the_next_view(client, order, change, hidden):
    assert hidden in warm(client, order)
    change(order)
    assert hidden not in page_of(client, order)


def test_a_change_committed_while_a_page_renders_is_not_hidden_by_the_cache(client, order, monkeypatch):
    page_of(client, order)
    real = views.order_for_page

    def racing(**kwargs):
        loaded = real(**kwargs)
        _event(order)  # a carrier webhook commits between our read and our cache write
        return loaded

    monkeypatch.setattr(views, "order_for_page", racing)
    assert "Arrived in Milan" not in page_of(client, order)
    monkeypatch.undo()
    assert "Arrived in Milan" in page_of(client, order)


def test_rows_read_just_before_a_writer_committed_are_cached_for_seconds_only(client, order, monkeypatch):
    page_of(client, order)
    stale = views.order_for_page(token=order.tracking_token)  # what a reader saw before a writer committed
    _event(order)  # the writer drops the version; the reader then draws a new one
    monkeypatch.setattr(views, "order_for_page", lambda **kwargs: stale)
    assert "Arrived in Milan" not in page_of(client, order)
    monkeypatch.undo()
    assert "Arrived in Milan" not in page_of(client, order)  # that render stays, but only briefly
    with time_machine.travel(timezone.now() + timedelta(seconds=SETTLE_SECONDS + 1)):
        assert "Arrived in Milan" in page_of(client, order)


def test_what_time_alone_changes_is_rendered_again_after_a_few_minutes(client, order):
    Order.objects.filter(pk=order.pk).update(shipping_city="Arrived in Milan")  # nobody says so
    warm(client, order)
    with time_machine.travel(timezone.now() + timedelta(seconds=PAGE_SECONDS + 1)):
        assert "Arrived in Milan" in page_of(client, order)


def test_a_deleted_order_is_a_404_even_when_its_page_was_cached(client, order):
    url = order.get_tracking_url()
    warm(client, order)
    order.delete()
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404


# --- Per buyer, per language, per response ------------------------------------------------------
def test_each_language_is_cached_apart_and_the_buyers_choice_still_wins(client, order):
    assert '<html lang="en">' in warm(client, order)
    assert '<html lang="ru">' in warm(client, order, lang="ru")
    assert client.cookies["afterglow_lang"].value == "ru"
    # the remembered choice is read on a cache hit too
    assert '<html lang="ru">' in page_of(client, order)
    client.cookies.clear()
    italian = client.get(order.get_tracking_url(), headers={"Accept-Language": "it-IT,it;q=0.9"})
    assert '<html lang="it">' in italian.content.decode()
    assert italian["Content-Language"] == "it"
    assert '<html lang="en">' in page_of(client, order)


def test_anonymous_pages_carry_no_cookie_and_do_not_vary_on_cookies(client, order):
    live = reverse("tracking:live", args=[order.tracking_token])
    for url in (order.get_tracking_url(), order.get_tracking_url(), order.get_tracking_url(), live, live):
        response = client.get(url)
        assert response.status_code == 200
        assert "Cookie" not in response.get("Vary", "")
        assert not response.cookies  # no session, no CSRF cookie


def test_every_response_gets_its_own_nonce_matching_its_policy(client, order):
    warm(client, order)
    nonces = []
    for _ in range(2):
        response = client.get(order.get_tracking_url())
        nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert "__afterglow_" not in response.content.decode()


def test_after_a_signup_without_javascript_the_thanks_is_its_own_page(client, order):
    assert 'id="newsletter"' in warm(client, order)
    client.post(reverse("tracking:newsletter", args=[order.tracking_token]), {"consent": "on"})
    assert "You are subscribed" in page_of(client, order, subscribed="1")
    assert 'id="newsletter"' not in page_of(client, order)


def test_a_lookup_never_gets_the_emailed_pages_cached_body(client, order):
    full = warm(client, order)
    assert "Anna" in full and order.tracking_token in full
    path = lookup_path(order)
    client.get(path)
    limited = client.get(path).content.decode()
    assert "Anna" not in limited and order.tracking_token not in limited
    assert f'data-live-url="{path}live/"' in limited
    # and the emailed page is still whole afterwards
    assert "Anna" in page_of(client, order)


def test_a_lookup_link_for_another_store_is_a_404_even_when_cached(client, order):
    path = lookup_path(order)
    client.get(path)
    assert client.get(path).status_code == 200
    other = StoreFactory(slug="elsewhere")
    assert client.get(path.replace(f"/track/{order.store.slug}/", f"/track/{other.slug}/")).status_code == 404

"""The buyer's tracking page: what it shows, how it refreshes, and what it costs to render."""

import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.shipments.models import ShipmentStatus
from apps.tracking import blocks
from apps.tracking.selectors import STALLED_AFTER, recommendations_for_order, shipment_delay
from tests.customers.factories import CustomerFactory
from tests.feedback.factories import NpsResponseFactory
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def english_order(*, store=None, customer_kwargs=None, **kwargs):
    """An order whose buyer reads English and has no time zone of their own."""
    store = store or StoreFactory()
    customer = CustomerFactory(store=store, **{"locale": "en", "time_zone": "", **(customer_kwargs or {})})
    return OrderFactory(store=store, customer=customer, locale="en", **kwargs)


def page_of(client, order, **params) -> str:
    response = client.get(order.get_tracking_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def progress_states(page: str) -> list[str]:
    return re.findall(r'class="step step-(\w+)"', page)


# --- Shipments: timeline, progress, estimated delivery, carrier ----------------------------------
def test_the_timeline_lists_carrier_events_newest_first_with_place_and_buyer_local_time(client):
    # given a buyer in Seoul and two carrier scans
    order = english_order(customer_kwargs={"time_zone": "Asia/Seoul"})
    shipment = ShipmentFactory(order=order, in_transit=True)
    TrackingEventFactory(
        shipment=shipment,
        occurred_at=datetime(2025, 3, 14, 12, 0, tzinfo=UTC),
        message="Departed the hub",
        city="Incheon",
        country="KR",
    )
    TrackingEventFactory(
        shipment=shipment,
        occurred_at=datetime(2025, 3, 13, 8, 30, tzinfo=UTC),
        message="Picked up",
        city="Bologna",
        country="IT",
    )
    # when they open the page
    page = page_of(client, order)
    # then the newest event comes first, with its place and the time in Seoul (UTC+9)
    assert page.index("Departed the hub") < page.index("Picked up")
    assert "Incheon, South Korea" in page
    assert 'datetime="2025-03-14T21:00+09:00"' in page
    assert 'datetime="2025-03-13T17:30+09:00"' in page


def test_without_a_customer_time_zone_times_are_in_the_stores(client):
    order = english_order(store=StoreFactory(time_zone="Europe/Rome"))
    shipment = ShipmentFactory(order=order, in_transit=True)
    TrackingEventFactory(shipment=shipment, occurred_at=datetime(2025, 3, 14, 12, 0, tzinfo=UTC))
    assert 'datetime="2025-03-14T13:00+01:00"' in page_of(client, order)


@pytest.mark.parametrize(
    ("status", "states"),
    [
        (ShipmentStatus.INFO_RECEIVED, ["done", "current", "todo", "todo", "todo"]),
        (ShipmentStatus.IN_TRANSIT, ["done", "done", "current", "todo", "todo"]),
        (ShipmentStatus.OUT_FOR_DELIVERY, ["done", "done", "done", "current", "todo"]),
        (ShipmentStatus.DELIVERED, ["done", "done", "done", "done", "done"]),
        (ShipmentStatus.ATTEMPT_FAILED, ["done", "done", "done", "problem", "todo"]),
    ],
)
def test_the_progress_bar_shows_how_far_the_parcel_has_come(client, status, states):
    order = english_order()
    shipment = ShipmentFactory(order=order, status=status)
    TrackingEventFactory(shipment=shipment, status=status)
    assert progress_states(page_of(client, order)) == states


def test_an_exception_stays_on_the_step_reached_and_is_shown_as_a_problem(client):
    # given a parcel that was in transit, then hit an exception
    order = english_order()
    shipment = ShipmentFactory(order=order, exception=True)
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.IN_TRANSIT)
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.EXCEPTION, occurred_at=timezone.now())
    page = page_of(client, order)
    # then the bar marks "In transit" as the problem step, and the notice says what happened
    assert progress_states(page) == ["done", "done", "problem", "todo", "todo"]
    assert 'aria-current="step"' in page
    assert "There is a problem with this delivery" in page


def test_a_returned_parcel_is_shown_distinctly(client):
    order = english_order()
    shipment = ShipmentFactory(order=order, status=ShipmentStatus.RETURNED)
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.OUT_FOR_DELIVERY)
    page = page_of(client, order)
    assert "Returned to sender" in page
    assert "Your parcel is on its way back to us" in page
    assert "problem" in progress_states(page)


def test_estimated_delivery_and_the_carriers_own_tracking_link_are_shown(client):
    order = english_order()
    ShipmentFactory(
        order=order,
        in_transit=True,
        carrier="dhl",
        carrier_name="DHL Express",
        tracking_number="1234567890",
        tracking_url="",
        estimated_delivery=date(2031, 3, 14),
    )
    page = page_of(client, order)
    assert "Estimated delivery" in page
    assert 'datetime="2031-03-14"' in page
    assert "Shipped with DHL Express" in page
    # no URL from the source: the one we know for the carrier is used
    assert "https://www.dhl.com/global-en/home/tracking.html?tracking-id=1234567890" in page


def test_a_carrier_url_that_is_not_a_web_address_is_never_linked(client):
    order = english_order()
    ShipmentFactory(order=order, in_transit=True, carrier="", tracking_url="javascript:alert(1)")
    assert "javascript:" not in page_of(client, order)


def test_an_order_without_shipments_is_being_prepared(client):
    order = english_order()
    page = page_of(client, order)
    assert "Being prepared" in page
    assert progress_states(page) == ["current", "todo", "todo", "todo", "todo"]


def test_order_lines_show_images_quantities_and_totals_in_the_store_currency(client):
    order = english_order(currency="EUR", subtotal="29.00", shipping_total="4.90")
    OrderLineFactory(order=order, title="Ceramic mug", quantity=2, unit_price="14.50")
    page = page_of(client, order)
    assert "Ceramic mug" in page
    assert "2 items" in page
    assert "€29.00" in page
    assert "https://picsum.photos/seed/" in page  # the line's own image


# --- Delay notices ------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [ShipmentStatus.EXCEPTION, ShipmentStatus.ATTEMPT_FAILED, ShipmentStatus.RETURNED])
def test_a_shipment_needing_attention_gets_a_delay_notice(client, status):
    order = english_order()
    ShipmentFactory(order=order, status=status)
    assert 'class="notice notice-error"' in page_of(client, order)


def test_a_parcel_in_transit_with_no_scan_for_days_gets_a_delay_notice(client):
    # given a parcel whose last scan is older than the stall limit
    order = english_order()
    quiet_since = timezone.now() - STALLED_AFTER - timedelta(hours=1)
    shipment = ShipmentFactory(order=order, in_transit=True, last_event_at=quiet_since, shipped_at=quiet_since)
    TrackingEventFactory(shipment=shipment, occurred_at=quiet_since)
    # then the page says it seems delayed
    assert "Your parcel seems delayed" in page_of(client, order)


def test_a_parcel_with_a_recent_scan_has_no_delay_notice(client):
    order = english_order()
    shipment = ShipmentFactory(order=order, in_transit=True)
    TrackingEventFactory(shipment=shipment)
    page = page_of(client, order)
    assert "notice-warn" not in page and "notice-error" not in page


def test_the_delay_selector_knows_a_late_parcel_from_one_on_time():
    shipment = ShipmentFactory(in_transit=True, estimated_delivery=date(2025, 3, 10))
    shipment.last_event_at = timezone.now()
    assert shipment_delay(shipment, today=date(2025, 3, 11)) == "late"
    assert shipment_delay(shipment, today=date(2025, 3, 10)) == ""


# --- Recommendations ------------------------------------------------------------------------
def test_recommendations_are_related_in_stock_and_not_already_bought_by_this_customer(client):
    # given a customer who bought a grinder now, and beans in an earlier order
    store = StoreFactory()
    customer = CustomerFactory(store=store, locale="en")
    grinder, beans, filters, scale, _unrelated, sold_out = (
        ProductFactory(store=store, name=name, in_stock=name != "Sold-out dripper")
        for name in ("Grinder", "Beans", "Paper filters", "Scale", "Kettle", "Sold-out dripper")
    )
    grinder.related_products.add(beans, filters, scale, sold_out)
    OrderLineFactory(order=OrderFactory(store=store, customer=customer), product=beans)
    order = OrderFactory(store=store, customer=customer)
    OrderLineFactory(order=order, product=grinder)
    # when the page is built
    names = [card["name"] for card in recommendations_for_order(order=order)]
    # then the related products not yet bought and in stock are offered, nothing else related
    assert set(names) == {"Paper filters", "Scale"}
    page = page_of(client, order)
    assert "You might also like" in page and "Paper filters" in page and "Sold-out dripper" not in page


def test_best_sellers_fill_up_to_four_when_too_few_products_are_related():
    store = StoreFactory()
    bought, related = ProductFactory(store=store, name="Grinder"), ProductFactory(store=store, name="Filters")
    bought.related_products.add(related)
    best = [ProductFactory(store=store, name=f"Best {n}") for n in range(5)]
    for rank, product in enumerate(best):  # Best 0 sold most
        OrderLineFactory(order=OrderFactory(store=store), product=product, quantity=10 - rank)
    order = OrderFactory(store=store)
    OrderLineFactory(order=order, product=bought)
    names = [card["name"] for card in recommendations_for_order(order=order)]
    assert names == ["Filters", "Best 0", "Best 1", "Best 2"]


def test_the_hourly_refresh_brings_new_best_sellers_to_pages():
    from apps.orders.tasks import best_sellers_refresh_task

    # given a store whose best seller so far is the kettle
    store = StoreFactory()
    kettle, scale = ProductFactory(store=store, name="Kettle"), ProductFactory(store=store, name="Scale")
    OrderLineFactory(order=OrderFactory(store=store), product=kettle, quantity=5)
    assert [card["name"] for card in recommendations_for_order(order=OrderFactory(store=store))] == ["Kettle"]
    # when the scale sells more, pages keep the cached list until the hourly refresh
    OrderLineFactory(order=OrderFactory(store=store), product=scale, quantity=9)
    assert [card["name"] for card in recommendations_for_order(order=OrderFactory(store=store))] == ["Kettle"]
    assert best_sellers_refresh_task() >= 1
    # then the next page leads with the scale
    assert [card["name"] for card in recommendations_for_order(order=OrderFactory(store=store))] == ["Scale", "Kettle"]


def test_a_cold_best_seller_cache_asks_a_worker_once_and_no_page_waits_for_it(monkeypatch):
    from apps.orders.tasks import best_sellers_refresh_task

    # given a store with a best seller, a cold cache, and workers that run tasks later (a real broker)
    store = StoreFactory()
    OrderLineFactory(order=OrderFactory(store=store), product=ProductFactory(store=store, name="Kettle"))
    queued = []
    monkeypatch.setattr(best_sellers_refresh_task, "delay", lambda **kwargs: queued.append(kwargs))
    # when two buyers open their pages before a worker got to it
    first = recommendations_for_order(order=OrderFactory(store=store))
    second = recommendations_for_order(order=OrderFactory(store=store))
    # then neither waited for the aggregate, and the refresh was asked for once
    assert first == second == []
    assert queued == [{"store_id": store.pk}]
    # and once the worker has run it, the next page shows the best seller
    best_sellers_refresh_task(**queued[0])
    assert [card["name"] for card in recommendations_for_order(order=OrderFactory(store=store))] == ["Kettle"]


def test_another_stores_products_are_never_recommended():
    order = OrderFactory()
    OrderLineFactory(order=OrderFactory(), quantity=50)  # a best seller elsewhere
    assert recommendations_for_order(order=order) == []


def test_recommendations_are_cached_per_order(django_assert_num_queries):
    order = OrderFactory()
    OrderLineFactory(order=order)
    order = type(order).objects.prefetch_related("lines").get(pk=order.pk)
    recommendations_for_order(order=order)
    with django_assert_num_queries(0):
        recommendations_for_order(order=order)


# --- Coupon, social, NPS prompt ------------------------------------------------------------------
def test_no_coupon_block_unless_the_hook_returns_one(client, monkeypatch):
    order = english_order()
    assert "Your code" not in page_of(client, order)
    # when the email engine's hook returns a coupon for this order
    coupon = blocks.Coupon(code="THANKS10", headline="10% off your next order", url="https://shop.example.com/")
    monkeypatch.setattr(blocks, "coupon_for_order", lambda o: coupon if o.pk == order.pk else None)
    page = page_of(client, order)
    assert "THANKS10" in page and "10% off your next order" in page
    assert reverse("tracking:go", args=[order.tracking_token, "coupon"]) in page


def test_social_links_of_the_store_are_shown_through_the_counting_redirect(client):
    order = english_order(store=StoreFactory(social_links={"instagram": "https://instagram.com/shop"}))
    page = page_of(client, order)
    assert "Instagram" in page
    assert reverse("tracking:go", args=[order.tracking_token, "social"]) in page


def test_the_nps_prompt_appears_once_a_parcel_is_delivered(client):
    order = english_order()
    shipment = ShipmentFactory(order=order, in_transit=True)
    assert "How likely are you to recommend" not in page_of(client, order)
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = timezone.now()
    shipment.save()
    page = page_of(client, order)
    assert "How likely are you to recommend" in page
    assert page.count("/nps/") == 11


def test_after_answering_the_buyer_sees_thanks_and_a_promoter_the_review_link(client):
    order = english_order()
    ShipmentFactory(order=order, delivered=True)
    NpsResponseFactory(order=order, score=10)
    page = page_of(client, order)
    assert "You gave us 10 out of 10." in page
    assert "Write a review" in page
    assert reverse("tracking:go", args=[order.tracking_token, "review"]) in page


# --- Polling ------------------------------------------------------------------------------------
def test_the_page_polls_for_updates_while_a_parcel_is_on_its_way(client):
    order = english_order()
    ShipmentFactory(order=order, in_transit=True)
    page = page_of(client, order)
    assert 'data-poll-seconds="60"' in page
    assert f'data-live-url="{reverse("tracking:live", args=[order.tracking_token])}"' in page
    assert "js/tracking-live.js" in page


def test_polling_stops_once_every_shipment_is_delivered_or_returned(client):
    # given one parcel delivered and one on its way
    order = english_order()
    ShipmentFactory(order=order, delivered=True)
    other = ShipmentFactory(order=order, in_transit=True)
    live_url = reverse("tracking:live", args=[order.tracking_token])
    assert 'data-poll-seconds="60"' in client.get(live_url).content.decode()
    # when the second comes back to the sender
    other.status = ShipmentStatus.RETURNED
    other.save()
    # then the refreshed fragment carries no poll address any more, so the page stops asking
    fragment = client.get(live_url, headers={"HX-Request": "true"}).content.decode()
    assert "data-live-url" not in fragment and "data-poll-seconds" not in fragment
    assert 'data-polling="off"' in fragment
    assert "data-live-url" not in page_of(client, order)


def test_the_live_fragment_is_only_the_refreshing_part(client):
    order = english_order()
    ShipmentFactory(order=order, in_transit=True)
    fragment = client.get(reverse("tracking:live", args=[order.tracking_token])).content.decode()
    assert fragment.lstrip().startswith('<div id="live"')
    assert "<html" not in fragment


# --- Cost of a render ---------------------------------------------------------------------------
def build_order(*, lines: int, shipments: int, events: int):
    order = english_order()
    for _ in range(lines):
        OrderLineFactory(order=order)
    for _ in range(shipments):
        shipment = ShipmentFactory(order=order, delivered=True)
        for n in range(events):
            TrackingEventFactory(shipment=shipment, occurred_at=timezone.now() - timedelta(hours=n + 1))
    return order


def queries_for_page(client, order) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(order.get_tracking_url()).status_code == 200
    return len(queries)


def test_a_render_costs_the_same_queries_for_one_event_or_many(client, django_assert_max_num_queries):
    # given a small order and a large one (more lines, parcels and scans)
    small = build_order(lines=1, shipments=1, events=1)
    large = build_order(lines=6, shipments=3, events=15)
    # when each page is rendered for the first time (recommendations not cached yet)
    with django_assert_max_num_queries(10):
        small_count = queries_for_page(client, small)
    large_count = queries_for_page(client, large)
    # then both cost the same number of queries
    assert small_count == large_count


def test_the_live_fragment_costs_the_same_queries_for_one_event_or_many(client):
    small = build_order(lines=1, shipments=1, events=1)
    large = build_order(lines=4, shipments=3, events=20)
    counts = []
    for order in (small, large):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("tracking:live", args=[order.tracking_token]))
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Tokens -------------------------------------------------------------------------------------
def test_tokens_are_128_random_bits():
    tokens = {OrderFactory().tracking_token for _ in range(3)}
    assert len(tokens) == 3
    assert all(len(token) == 22 for token in tokens)  # 16 bytes, url-safe base64


def test_random_tokens_are_404s_that_reveal_nothing(client):
    order = english_order(number="#5150")
    ShipmentFactory(order=order, in_transit=True)
    for token in [secrets.token_urlsafe(16) for _ in range(20)] + [order.tracking_token[:-1], "x" * 200]:
        for name in ("tracking:page", "tracking:live"):
            response = client.get(reverse(name, args=[token]))
            assert response.status_code == 404
            assert "#5150" not in response.content.decode()
    go = client.get(reverse("tracking:go", args=["nope", "social"]), {"to": "x"})
    assert go.status_code == 404


def test_the_page_is_never_cached_and_not_indexed(client):
    order = english_order()
    response = client.get(order.get_tracking_url())
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert 'name="robots" content="noindex' in response.content.decode()


def test_the_page_works_under_the_content_security_policy(client):
    # no inline script and no style attribute: only the nonce'd <style> block
    order = english_order()
    OrderLineFactory(order=order)
    ShipmentFactory(order=order, in_transit=True)
    page = page_of(client, order)
    assert " style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
    assert re.search(r'<style nonce="[^"]+">', page)


@time_machine.travel(datetime(2025, 3, 16, 9, 0, tzinfo=UTC))
def test_a_cancelled_order_says_so_and_does_not_poll(client):
    order = english_order(cancelled=True)
    page = page_of(client, order)
    assert "your order was cancelled" in page
    assert "data-live-url" not in page


def test_a_parcel_at_a_pickup_point_is_told_as_ready_for_pickup_not_late(client):
    # given a parcel waiting at a pickup point, past its estimated day
    order = english_order(customer_kwargs={"first_name": "Ana"})
    ShipmentFactory(
        order=order,
        store=order.store,
        status=ShipmentStatus.AVAILABLE_FOR_PICKUP,
        estimated_delivery=(timezone.now() - timedelta(days=3)).date(),
    )
    page = page_of(client, order)
    # then the buyer reads that it is ready to collect, and no "running late" notice
    assert "Ana, your order is ready for pickup" in page
    assert "on its way" not in page.split("</h1>")[0]
    assert "running late" not in page
    # and in Russian too
    assert "ждёт вас в пункте выдачи" in page_of(client, order, lang="ru")

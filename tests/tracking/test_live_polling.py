"""The live part of the tracking page answers polls with ETag / 304, so a page left open costs next to nothing."""

import re

import pytest
from django.urls import reverse

from apps.tracking.links import lookup_path
from apps.tracking.page_cache import pages_changed
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    order = OrderFactory()
    shipment = ShipmentFactory(order=order, in_transit=True)
    TrackingEventFactory(shipment=shipment, message="Departed the hub")
    return order


def live_url(order) -> str:
    return reverse("tracking:live", args=[order.tracking_token])


def test_a_poll_with_the_last_etag_gets_304_until_something_changes(client, order):
    first = client.get(live_url(order))
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    # nothing moved: 304, no body, same ETag
    again = client.get(live_url(order), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # a new carrier scan: the fragment again, with a new ETag
    TrackingEventFactory(shipment=order.shipments.get(), message="Arrived in Milan")
    changed = client.get(live_url(order), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Arrived in Milan" in changed.content.decode()
    assert changed["ETag"] != etag


def test_a_304_costs_no_query(client, order, django_assert_num_queries):
    client.get(order.get_tracking_url())  # the token's first view
    etag = client.get(live_url(order))["ETag"]
    with django_assert_num_queries(0):
        assert client.get(live_url(order), headers={"If-None-Match": etag}).status_code == 304


def test_the_page_hands_its_script_the_live_parts_etag_so_the_first_poll_is_a_304(client, order):
    page = client.get(order.get_tracking_url()).content.decode()
    etag = re.search(r'<meta name="afterglow-live-etag" content="([^"]+)">', page).group(1)
    assert client.get(live_url(order), headers={"If-None-Match": etag.replace("&quot;", '"')}).status_code == 304


def test_a_change_that_does_not_show_keeps_the_etag(client, order):
    etag = client.get(live_url(order))["ETag"]
    pages_changed(order_ids=[order.pk])  # e.g. the order's total corrected: not in the live part
    assert client.get(live_url(order), headers={"If-None-Match": etag}).status_code == 304


def test_a_lookup_pages_live_part_has_a_stable_etag_though_its_link_differs(client, order):
    path = lookup_path(order)
    etag = client.get(f"{path}live/")["ETag"]
    pages_changed(order_ids=[order.pk])  # rendered again, with a new placeholder for the link
    response = client.get(f"{path}live/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert order.tracking_token not in client.get(f"{path}live/").content.decode()


def test_once_every_parcel_is_final_the_fragment_carries_no_poll_address(client, order):
    shipment = order.shipments.get()
    shipment.status = "delivered"
    shipment.save()
    fragment = client.get(live_url(order)).content.decode()
    assert 'data-polling="off"' in fragment and "data-live-url" not in fragment


def test_the_script_backs_off_and_stops():
    """tracking-live.js: doubles the wait after a 304 up to ten minutes, back to a minute after a change,
    stops when the fragment says polling is off, sends If-None-Match (read here, run in tests/browser)."""
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "tracking-live.js").read_text()
    assert "LONGEST_SECONDS = 600" in script
    assert "Math.min(wait * 2, LONGEST_SECONDS)" in script
    assert '"If-None-Match"' in script and "response.status === 304" in script


def test_a_proxy_that_weakens_the_etag_still_gets_304(client, order):
    etag = client.get(live_url(order))["ETag"]
    # nginx with gzip (and most CDNs) hand the browser W/"…", which it then sends back
    assert client.get(live_url(order), headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(live_url(order), headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(live_url(order), headers={"If-None-Match": '"other"'}).status_code == 200


def test_writes_without_model_signals_still_refresh_the_page(client, django_capture_on_commit_callbacks):
    """A suppressed address and a redeemed code are written by queryset updates: their events clear the page's
    version, so the next view renders anew."""
    from django.core.cache import cache

    from apps.campaigns.models import Coupon
    from apps.campaigns.services.coupons import coupons_redeem
    from apps.customers.models import SuppressionReason
    from apps.customers.services import customer_suppress
    from apps.tracking.page_cache import _order_version_key
    from tests.campaigns.factories import MessageFactory

    order = OrderFactory()
    page = reverse("tracking:page", args=[order.tracking_token])
    version = _order_version_key(order.pk)

    def viewed_and_cached():
        for _ in range(2):  # the first view of a token is not cached (see page_cache)
            assert client.get(page).status_code == 200
        return cache.get(version) is not None

    assert viewed_and_cached()
    with django_capture_on_commit_callbacks(execute=True):
        customer_suppress(customer=order.customer, reason=SuppressionReason.BOUNCE)
    assert cache.get(version) is None

    assert viewed_and_cached()
    message = MessageFactory(store=order.store, order=order, email=order.email)
    coupon = Coupon.objects.create(
        store=order.store,
        code="THANKS-1",
        kind="percent",
        value=10,
        message=message,
        issued_at=order.placed_at,
        expires_at=order.placed_at,
    )
    assert viewed_and_cached()
    later = OrderFactory(store=order.store, customer=order.customer, discount_codes=[coupon.code])
    assert viewed_and_cached()
    with django_capture_on_commit_callbacks(execute=True):
        assert coupons_redeem(order=later) == 1
    assert cache.get(version) is None

"""A merchant signs in and finds their way around, in a real browser."""

import pytest
from playwright.sync_api import expect

from apps.shipments.models import ShipmentStatus
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def merchant():
    membership = MembershipFactory(
        role="owner",
        user__username="owner@shop.example",
        user__email="owner@shop.example",
        store__name="Northwind Coffee",
    )
    for number, status in enumerate(ShipmentStatus.values):
        customer = CustomerFactory(store=membership.store)
        order = OrderFactory(store=membership.store, customer=customer, number=f"#{1000 + number}")
        OrderLineFactory(order=order)
        shipment = ShipmentFactory(order=order, status=status)
        TrackingEventFactory(shipment=shipment, status=status)
    return membership


def sign_in(page, live_server, email="owner@shop.example", password="password"):
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_merchant_signs_in_searches_an_order_and_opens_it(page, live_server, merchant, screenshot):
    # given the merchant's sign-in
    sign_in(page, live_server)
    # then the overview greets them with their store's figures and charts
    page.get_by_role("heading", name="Orders per day").wait_for()
    assert page.locator("svg.chart rect").count() > 0
    screenshot(page, "dashboard-overview-1280")
    screenshot(page, "dashboard-overview-360", width=360)
    page.set_viewport_size({"width": 1280, "height": 900})

    # when they search for an order as they type (htmx swaps only the results)
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_label("Search").fill("1003")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert "q=1003" in page.url
    screenshot(page, "dashboard-orders-search")

    # and open it
    page.get_by_role("link", name="#1003").click()
    page.get_by_role("heading", name="Items").wait_for()
    assert "Order #1003" in page.title()
    screenshot(page, "dashboard-order-detail")


def test_shipments_needing_attention_are_one_click_away(page, live_server, merchant, screenshot):
    sign_in(page, live_server)
    page.get_by_role("link", name="Shipments", exact=True).click()
    page.get_by_label("Needs attention").check()
    page.wait_for_url("**attention=1**")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    statuses = page.locator("#results tbody .badge").all_inner_texts()
    assert sorted(statuses) == sorted(["Exception", "Delivery attempt failed", "Returned to sender"])
    screenshot(page, "dashboard-shipments-attention")


def test_the_buyer_tracking_page_fits_a_phone(page, live_server, merchant, screenshot):
    order = OrderFactory(store=merchant.store, number="#7001")
    shipment = ShipmentFactory(order=order, status=ShipmentStatus.IN_TRANSIT)
    TrackingEventFactory(shipment=shipment, status=ShipmentStatus.IN_TRANSIT, message="Departed the hub")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}{order.get_tracking_url()}")
    page.locator(".timeline .event-message").first.wait_for()  # the scan, told in the buyer's words
    # nothing overflows sideways on a 360 px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "tracking-page-360")
    screenshot(page, "tracking-page-1280", width=1280)

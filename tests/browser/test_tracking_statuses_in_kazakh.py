"""A buyer's tracking page in Kazakh for every status a parcel can be in, on a phone: it draws, it speaks
Kazakh, and axe finds no critical or serious accessibility problem. A screenshot of each, for people."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.shipments.models import ShipmentStatus
from tests.browser.accessibility import axe_violations
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def buyer_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 900}, bypass_csp=True, locale="kk-KZ")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.mark.parametrize("status", ShipmentStatus.values)
def test_the_tracking_page_in_kazakh_for_every_status(buyer_page, live_server, screenshot, status):
    store = StoreFactory(name="Northwind Coffee", languages=["kk", "ru", "en"], default_language="kk")
    buyer = CustomerFactory(store=store, first_name="Айгүл", locale="kk", time_zone="Asia/Almaty")
    order = OrderFactory(store=store, customer=buyer, email=buyer.email, number="#2042")
    shipment = ShipmentFactory(order=order, carrier="cdek", tracking_number="1234567890", status=status)
    if status != ShipmentStatus.PENDING:
        TrackingEventFactory(shipment=shipment, status=status, occurred_at=timezone.now() - timedelta(hours=3))

    buyer_page.goto(f"{live_server.url}{order.get_tracking_url()}")

    assert buyer_page.locator("html").get_attribute("lang") == "kk"
    assert axe_violations(buyer_page) == [], status
    screenshot(buyer_page, f"tracking-{status}-kk-390")

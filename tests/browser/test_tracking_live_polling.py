"""The open tracking page asks for news less and less while nothing moves, and stops once all is final."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.shipments.models import ShipmentStatus
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_polls_back_off_while_nothing_changes_then_stop_when_delivered(page, live_server):
    order = OrderFactory()
    shipment = ShipmentFactory(order=order, in_transit=True)
    TrackingEventFactory(shipment=shipment, message="Departed the hub")
    polls = []
    page.on(
        "response",
        lambda r: polls.append((r.status, r.request.headers.get("if-none-match"))) if "/live/" in r.url else None,
    )
    page.clock.install()
    page.goto(f"{live_server.url}{order.get_tracking_url()}")
    expect(page.locator("#live")).to_have_attribute("data-polling", "on")

    def advance(seconds: int, *, expect_poll: bool) -> None:
        before = len(polls)
        if expect_poll:
            with page.expect_response(lambda r: "/live/" in r.url):
                page.clock.run_for(seconds * 1000)
            page.wait_for_timeout(100)  # the script handles the answer
        else:
            page.clock.run_for(seconds * 1000)
            page.wait_for_timeout(300)
        assert len(polls) == before + (1 if expect_poll else 0), polls

    # a minute in, the first poll carries the page's ETag and gets a 304
    advance(60, expect_poll=True)
    assert polls[-1][0] == 304 and polls[-1][1]
    # then it waits two minutes, then four
    advance(119, expect_poll=False)
    advance(1, expect_poll=True)
    advance(239, expect_poll=False)
    advance(1, expect_poll=True)
    # a new scan arrives: the next poll brings it onto the page, and polling is back to every minute
    TrackingEventFactory(shipment=shipment, message="Arrived in Milan", occurred_at=timezone.now())
    advance(480, expect_poll=True)
    assert polls[-1][0] == 200
    expect(page.locator("#live")).to_contain_text("Arrived in Milan")
    advance(60, expect_poll=True)
    # once delivered, the fragment says so and the page stops asking
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = timezone.now()
    shipment.save()
    advance(120, expect_poll=True)
    expect(page.locator("#live")).to_have_attribute("data-polling", "off")
    advance(1800, expect_poll=False)

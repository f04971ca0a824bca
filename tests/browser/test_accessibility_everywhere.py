"""axe (vendored) on the pages not covered by the language journeys: sign-in and sign-up, the buyer's order
lookup, NPS answer and preference pages, and the rest of the dashboard, on a phone and a desktop."""

import pytest

from apps.feedback.links import nps_path, preferences_path
from tests.browser.accessibility import axe_violations
from tests.browser.test_dashboard_flows import merchant  # noqa: F401  (the same signed-up owner)
from tests.browser.test_dashboard_journey import sign_in
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DASHBOARD = [
    "/dashboard/orders/",
    "/dashboard/shipments/",
    "/dashboard/customers/",
    "/dashboard/settings/sending/",
    "/dashboard/settings/sender-domain/",
    "/dashboard/brand/",
    "/dashboard/connections/shopify/",
    "/dashboard/coupons/",
    "/dashboard/imports/",
    "/dashboard/inbound/",
    "/dashboard/outbound/",
    "/dashboard/members/",
    "/dashboard/reports/scans/",
    "/dashboard/insights/nps/",
]


def check(page, url: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        assert axe_violations(page) == [], f"{url} at {width}px"


def test_public_and_buyer_pages_have_no_serious_accessibility_problem(axe_page, live_server, settings):
    settings.ALLOW_SIGNUP = True
    buyer = CustomerFactory(consenting=True)
    order = OrderFactory(store=buyer.store, customer=buyer, email=buyer.email)
    ShipmentFactory(order=order)
    for path in (
        "/accounts/login/",
        "/accounts/signup/",
        f"/track/{order.store.slug}/",
        nps_path(order, 4),
        preferences_path(buyer),
    ):
        check(axe_page, f"{live_server.url}{path}")


def test_the_rest_of_the_dashboard_has_no_serious_accessibility_problem(axe_page, live_server, merchant):  # noqa: F811
    sign_in(axe_page, live_server)
    for path in DASHBOARD:
        check(axe_page, f"{live_server.url}{path}")


def test_the_step_editor_has_no_serious_accessibility_problem(axe_page, live_server, merchant):  # noqa: F811
    from apps.campaigns.models import FlowStep

    step = FlowStep.objects.filter(store=merchant.store).order_by("pk").first()
    sign_in(axe_page, live_server)
    check(axe_page, f"{live_server.url}/dashboard/flows/steps/{step.pk}/")
    check(axe_page, f"{live_server.url}/dashboard/flows/{step.flow_id}/")

"""A support member takes a detractor's case from the critics queue, writes what was done and resolves it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.campaigns.models import FlowKind
from apps.campaigns.services.flows import flow_toggle, flows_install_defaults
from apps.feedback.models import CaseStatus, CriticCase
from apps.feedback.services.nps import nps_add_comment, nps_record
from tests.browser.test_dashboard_journey import sign_in
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def support():
    membership = MembershipFactory(
        role="support",
        user__username="help@shop.example",
        user__email="help@shop.example",
        user__first_name="Hana",
        user__last_name="Park",
        store__name="Northwind Coffee",
    )
    store = membership.store
    customer = CustomerFactory(
        store=store, first_name="Luca", last_name="Bianchi", email="luca@example.com", consenting=True
    )
    # the review flow is on, so a re-survey can go to Luca once the case is resolved
    for flow in flows_install_defaults(store=store):
        if flow.kind == FlowKind.NPS_SURVEY:
            flow_toggle(flow=flow, enabled=True)
    OrderFactory(store=store, customer=customer, number="#1040", placed_at=timezone.now() - timedelta(days=60))
    order = OrderFactory(store=store, customer=customer, number="#1077")
    OrderLineFactory(order=order)
    shipment = ShipmentFactory(order=order, status="delivered", tracking_number="1Z999AA10123456784")
    TrackingEventFactory(shipment=shipment, status="exception", message="Parcel damaged, repacked at hub")
    TrackingEventFactory(shipment=shipment, status="delivered", message="Delivered to the front door")
    response = nps_record(order=order, score=2, at=timezone.now() - timedelta(hours=30))
    nps_add_comment(
        response=response, comment="The grinder arrived with a cracked lid.", topics=["packaging", "product"]
    )
    other = OrderFactory(store=store, number="#1081")
    nps_record(order=other, score=5, at=timezone.now() - timedelta(hours=3))
    return membership


def test_support_takes_a_case_adds_a_note_and_resolves_it(page, live_server, support, screenshot):
    # given the support member signed in: they land on the critics queue
    sign_in(page, live_server, email="help@shop.example")
    page.get_by_role("heading", name="Critics queue").wait_for()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Overdue")  # 30 hours against a 24-hour target
    screenshot(page, "critics-queue")
    screenshot(page, "critics-queue-360", width=360)
    page.set_viewport_size({"width": 1280, "height": 900})

    # when they open Luca's case and take it
    page.get_by_role("link", name="Luca Bianchi").click()
    expect(page.get_by_text("The grinder arrived with a cracked lid.")).to_be_visible()
    expect(page.get_by_text("Parcel damaged, repacked at hub")).to_be_visible()
    expect(page.get_by_role("link", name="#1040")).to_be_visible()  # their earlier order
    page.get_by_role("button", name="Take this case").click()
    expect(page.get_by_role("status").filter(has_text="in progress")).to_be_visible()
    screenshot(page, "critics-case-in-progress")

    # and write what they did and resolve it
    page.get_by_label("Outcome").select_option("replacement")
    page.get_by_label("Resolution note").fill("Called Luca; a new grinder ships today with tracking.")
    page.get_by_role("button", name="Resolve case").click()

    # then the case is resolved with the note, theirs, and a re-survey is offered
    expect(page.get_by_role("heading", name="Resolved", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Plan a re-survey")).to_be_visible()
    case = CriticCase.objects.get(response__order__number="#1077")
    assert case.status == CaseStatus.RESOLVED and case.outcome == "replacement"
    assert case.resolution_note == "Called Luca; a new grinder ships today with tracking."
    assert case.assignee == support.user
    screenshot(page, "critics-case-resolved")

"""A merchant switches a flow on with a look at what catching up would send, and tunes the sending rules;
screenshots of both pages for people to look at."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.campaigns.models import Flow, FlowKind, Message, MessagingPolicy
from tests.browser.test_dashboard_flows import merchant  # noqa: F401  (the same signed-up owner)
from tests.browser.test_dashboard_journey import sign_in
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_on_with_a_look_back_and_tuning_the_sending_rules(page, live_server, merchant, screenshot):  # noqa: F811
    store = merchant.store
    buyer = CustomerFactory(store=store, consenting=True, first_name="Alex")
    CartLineFactory(
        cart=CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=timezone.now() - timedelta(hours=5))
    )
    sign_in(page, live_server)
    # when the merchant opens the abandoned-cart flow, which is off
    page.get_by_role("link", name="Flows", exact=True).click()
    page.get_by_role("link", name="Abandoned cart", exact=True).click()
    expect(page.get_by_role("heading", name="Switch it on")).to_be_visible()
    # and asks what also the last 2 days would send
    page.get_by_label("Or also the last").fill("2")
    page.get_by_role("button", name="Count the emails first").click()
    expect(page.get_by_role("status").filter(has_text="it would send 1 email at once")).to_be_visible()
    assert not Message.objects.exists()
    screenshot(page, "dashboard-flow-switch-on-count")
    # and switches on from now instead
    page.get_by_role("button", name="Switch on from now").click()
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    assert flow.enabled and flow.live_since > timezone.now() - timedelta(minutes=5)

    # when they open the sending rules and change the frequency cap
    page.get_by_role("link", name="Sending rules").click()
    expect(page.get_by_text("Default: 1 email per 24 hours")).to_be_visible()
    screenshot(page, "dashboard-sending-rules")
    page.get_by_label("At most this many marketing emails").fill("2")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("status").first).to_be_visible()
    assert MessagingPolicy.objects.get(store=store).frequency_cap_count == 2
    screenshot(page, "dashboard-sending-rules-390", width=390)

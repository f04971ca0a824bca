"""A merchant switches on the abandoned-cart flow, edits a subject, previews it in Italian and sends a
test; steps are reordered by drag and drop; a support member is refused the flow editor."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from apps.campaigns.models import Flow, FlowKind, FlowStep, Message, MessageStatus
from apps.feedback.models import NpsResponse
from apps.feedback.services.nps import nps_record
from apps.shipments.models import ShipmentStatus
from apps.tracking.models import PageBlock, PageEvent, PageEventKind
from tests.browser.test_dashboard_journey import sign_in
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory, OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def merchant():
    return MembershipFactory(
        role="owner",
        user__username="owner@shop.example",
        user__email="owner@shop.example",
        store__name="Northwind Coffee",
        store__languages=["en", "it"],
    )


def test_a_language_picked_before_the_editor_script_arrives_stays_picked(page, live_server, merchant):
    # given the step editor on a slow connection: its script arrives after the merchant picked Italian
    sign_in(page, live_server)
    step = FlowStep.objects.filter(store=merchant.store, flow__kind=FlowKind.ABANDONED_CART).order_by("position")[0]
    held = []
    page.route("**/email-designer*.js", lambda route: held.append(route))
    with page.expect_request(lambda request: "email-designer" in request.url):
        page.goto(f"{live_server.url}{reverse('dashboard:step_edit', args=[step.pk])}", wait_until="commit")
    page.get_by_label("Email language").select_option("it")
    # when it arrives and starts
    held[0].continue_()
    # then the Italian fields are the ones shown and previewed, as the menu says
    expect(page.frame_locator("iframe.preview-frame.desktop").locator("body")).to_contain_text("Torna al carrello")
    expect(page.get_by_label("Subject (Italiano)")).to_be_visible()
    expect(page.get_by_label("Email language")).to_have_value("it")


def test_a_merchant_switches_on_a_flow_edits_previews_in_italian_and_sends_a_test(
    page, live_server, merchant, screenshot, mailoutbox
):
    # given the merchant signed in
    sign_in(page, live_server)
    # when they open the flows and switch on the abandoned-cart flow
    page.get_by_role("link", name="Flows", exact=True).click()
    switch = page.get_by_role("switch", name="Abandoned cart")
    expect(switch).not_to_be_checked()
    switch.check(force=True)
    expect(page.get_by_role("switch", name="Abandoned cart")).to_be_checked()
    expect(page.get_by_role("status").filter(has_text="Abandoned cart is on")).to_have_count(1)
    assert Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART).enabled
    screenshot(page, "dashboard-flows-list")

    # and open the flow and its first step
    page.get_by_role("link", name="Abandoned cart", exact=True).click()
    page.get_by_role("heading", name="Steps, in order").wait_for()
    screenshot(page, "dashboard-flow-steps")
    page.get_by_role("link", name="Edit").first.click()
    page.get_by_role("heading", name="Live preview").wait_for()

    # and write an Italian subject, previewed in Italian before saving
    page.get_by_label("Email language").select_option("it")
    page.get_by_label("Subject (Italiano)").fill("Ciao {{ customer.first_name }}, il carrello ti aspetta")
    expect(page.locator(".preview-subject")).to_have_text("Ciao Alex, il carrello ti aspetta")
    frame = page.frame_locator("iframe.preview-frame.desktop")
    expect(frame.locator("body")).to_contain_text("Torna al carrello")  # the Italian layout
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "dashboard-step-editor-preview-it")

    # and send a test of what they see
    page.get_by_role("button", name="Send a test to owner@shop.example").click()
    expect(page.locator("#test-send-result")).to_contain_text("Test sent to owner@shop.example")
    assert mailoutbox[-1].to == ["owner@shop.example"]
    assert mailoutbox[-1].subject == "[TEST] Ciao Alex, il carrello ti aspetta"
    assert not Message.objects.exists()

    # and save it
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status").filter(has_text="Saved reminder-1h")).to_be_visible()
    step = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART).steps.get(key="reminder-1h")
    assert step.subject["it"] == "Ciao {{ customer.first_name }}, il carrello ti aspetta"
    screenshot(page, "dashboard-step-editor-360", width=360)


def test_steps_are_reordered_by_drag_and_drop_and_by_keyboard(page, live_server, merchant, screenshot):
    flow = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART)
    first, _second, third = flow.steps.order_by("position")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/dashboard/flows/{flow.pk}/")
    # when the last step is dragged above the first
    page.locator(f'li[data-id="{third.pk}"] .handle').drag_to(page.locator(f'li[data-id="{first.pk}"] .step-main'))
    expect(page.get_by_role("status").filter(has_text="Order saved")).to_have_count(1)
    # then the server has the new order
    assert flow.steps.order_by("position").first().pk == third.pk
    # and with the keyboard, the arrows move a step back down
    page.reload()
    page.get_by_role("button", name=f"Move {third.key} down").click()
    page.get_by_role("heading", name="Steps, in order").wait_for()
    assert list(flow.steps.order_by("position").values_list("pk", flat=True))[1] == third.pk
    screenshot(page, "dashboard-flow-reordered")


def test_a_support_member_is_refused_the_flow_editor(page, live_server, merchant, screenshot):
    # given a support member of the store
    MembershipFactory(
        store=merchant.store, role="support", user__username="help@shop.example", user__email="help@shop.example"
    )
    flow = Flow.objects.get(store=merchant.store, kind=FlowKind.ABANDONED_CART)
    sign_in(page, live_server, email="help@shop.example")
    # then the menu offers no flows
    page.get_by_role("heading", name="Critics queue").wait_for()
    expect(page.get_by_role("link", name="Flows", exact=True)).to_have_count(0)
    # and opening the editor's address is refused by the server
    response = page.goto(f"{live_server.url}/dashboard/flows/{flow.pk}/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not for your role")).to_be_visible()
    screenshot(page, "dashboard-flows-refused-support")


def a_month_of_business(store):
    """Orders, shipments, abandoned-cart emails (half recovered) and NPS answers over four weeks."""
    now = timezone.now()
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    statuses = [ShipmentStatus.DELIVERED] * 6 + [ShipmentStatus.IN_TRANSIT] * 3 + [ShipmentStatus.EXCEPTION]
    for i in range(40):
        placed = now - timedelta(days=i % 28, hours=i)
        customer = CustomerFactory(store=store, consenting=i % 2 == 0)
        order = OrderFactory(store=store, customer=customer, placed_at=placed, total=Decimal(30 + i % 7 * 9))
        ShipmentFactory(order=order, status=statuses[i % len(statuses)])
        cart = CartFactory(
            store=store,
            customer=customer,
            updated_at=placed - timedelta(hours=6),
            converted_order=order if i % 3 else None,
            converted_at=placed if i % 3 else None,
        )
        CartLineFactory(cart=cart)
        MessageFactory(
            store=store,
            step=step,
            cart=cart,
            customer=customer,
            status=MessageStatus.SENT,
            transactional=False,
            sent_at=placed - timedelta(hours=5),
            delivered_at=placed,
            opened_at=placed if i % 2 else None,
            clicked_at=placed if i % 4 == 1 else None,
            attributed_order=order if i % 3 else None,
            attributed_revenue=order.total if i % 3 else 0,
        )
        answered = min(placed + timedelta(days=3), now)
        response = nps_record(order=order, score=(3, 9, 10, 8, 6, 9, 10, 7, 2, 10)[i % 10], at=answered)
        NpsResponse.objects.filter(pk=response.pk).update(created_at=answered, modified_at=answered)
        PageEvent.objects.create(store=store, order=order, block=PageBlock.RECOMMENDATIONS, kind=PageEventKind.VIEW)
        if i % 5 == 0:
            PageEvent.objects.create(
                store=store, order=order, block=PageBlock.RECOMMENDATIONS, kind=PageEventKind.CLICK
            )


def test_the_home_charts_the_month_and_the_brand_page_previews_it(page, live_server, merchant, screenshot):
    a_month_of_business(merchant.store)
    sign_in(page, live_server)
    # the home draws the figures as charts
    page.get_by_role("heading", name="NPS per week").wait_for()
    expect(page.locator("polyline.trend")).to_have_count(1)
    screenshot(page, "dashboard-home-1280")
    # a shorter period swaps only the figures
    page.get_by_label("Period").select_option("7")
    expect(page.locator(".period-note")).to_contain_text("last 7 days")
    assert "days=7" in page.url
    screenshot(page, "dashboard-home-7-days")
    screenshot(page, "dashboard-home-360", width=360)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 900})
    # the brand page shows the contrast checks and both previews
    page.get_by_role("link", name="Brand", exact=True).click()
    page.get_by_role("heading", name="Readability (WCAG contrast)").wait_for()
    expect(
        page.frame_locator("iframe[title='Preview of the order confirmation email']").locator("body")
    ).to_contain_text("#1001")
    expect(page.frame_locator("iframe[title='Preview of the buyer tracking page']").locator("body")).to_contain_text(
        "Northwind Coffee"
    )
    screenshot(page, "dashboard-brand")
    # and the simulator replays the abandoned-cart flow over the month, writing nothing
    messages = Message.objects.count()
    page.get_by_role("link", name="Flows", exact=True).click()
    page.get_by_role("row").filter(has_text="Abandoned cart").get_by_role("link", name="Simulate").click()
    page.get_by_role("heading", name="Email by email").wait_for()
    expect(page.locator("tbody tr").first).to_be_visible()
    assert Message.objects.count() == messages
    screenshot(page, "dashboard-flow-simulation")

"""NPS insights in a real browser, on a store with demo-like answers: the merchant reads why the score is what
it is, filters the comments, and the page reads well on a desktop and on a 390 px phone."""

import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.campaigns.models import FlowKind, FlowStep
from apps.feedback.models import NpsResponse
from apps.shipments.models import ShipmentStatus
from tests.browser.test_accessibility_everywhere import check
from tests.browser.test_dashboard_journey import sign_in
from tests.campaigns.factories import MessageFactory
from tests.feedback.factories import NpsResponseFactory
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "insights"
CARRIERS = {"ups": 2, "dhl": 3, "poste_italiane": 6, "brt": 4}  # carrier → typical transit days
PRODUCTS = ["House Blend · 250 g", "Espresso Roast · 1 kg", "Burr grinder", "Paper filters ×100", "Gift box", "Decaf"]
COMMENTS = {
    "detractor": [
        ("The parcel arrived a week late and the box was crushed.", ["delivery", "packaging"]),
        ("The grinder stopped working after a week.", ["product"]),
        ("Nobody answered my email about the missing filters.", ["service"]),
    ],
    "passive": [("Good coffee, delivery could be quicker.", ["delivery"]), ("Fine, a bit pricey.", ["product"])],
    "promoter": [
        ("Lovely beans, arrived fresh and well packed!", ["product", "packaging"]),
        ("Fast delivery and a handwritten note. Thank you!", ["delivery", "service"]),
    ],
}


@pytest.fixture
def demo_store():
    """About 150 answers over 13 weeks: slower carriers and late parcels score lower, as in real stores."""
    rnd = random.Random(17)
    membership = MembershipFactory(
        role="owner",
        user__username="owner@shop.example",
        user__email="owner@shop.example",
        store__name="Northwind Coffee",
    )
    store = membership.store
    products = [ProductFactory(store=store, name=name) for name in PRODUCTS]
    steps = {s.key: s for s in FlowStep.objects.filter(store=store, flow__kind=FlowKind.NPS_SURVEY)}
    now = timezone.now()
    for n in range(150):
        answered = now - timedelta(days=rnd.uniform(0.5, 90))
        carrier = rnd.choice(list(CARRIERS))
        transit = max(1, round(rnd.gauss(CARRIERS[carrier], 2.5)))
        delivered = answered - timedelta(days=rnd.uniform(1, 6))
        promised = (delivered - timedelta(days=transit - CARRIERS[carrier] - 1)).date()
        late = delivered.date() > promised
        order = OrderFactory(store=store, placed_at=delivered - timedelta(days=transit + 1))
        for product in rnd.sample(products, rnd.choice([1, 1, 1, 2])):
            OrderLineFactory(order=order, product=product)
        if n % 25:
            ShipmentFactory(order=order, carrier=carrier, status=ShipmentStatus.DELIVERED,
                            shipped_at=delivered - timedelta(days=transit), delivered_at=delivered,
                            estimated_delivery=promised)  # fmt: skip
        base = 8.3 - 1.6 * late - 0.25 * max(0, transit - 4)
        score = max(0, min(10, round(rnd.gauss(base, 2.2))))
        step = rnd.choices(["survey", "reminder", None], weights=[6, 3, 1])[0]
        if step:
            MessageFactory(store=store, step=steps[step], order=order, subject_key=f"order:{order.pk}",
                           sent=True, sent_at=answered - timedelta(hours=rnd.uniform(1, 60)))  # fmt: skip
        segment = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        comment, topics = rnd.choice(COMMENTS[segment]) if rnd.random() < 0.45 else ("", [])
        response = NpsResponseFactory(order=order, score=score, comment=comment, topics=topics)
        NpsResponse.objects.filter(pk=response.pk).update(created_at=answered, modified_at=answered)
    return membership


def shot(page, name: str, width: int) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.reload()  # as opened on that screen: the phone menu starts closed
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_merchant_reads_what_explains_the_nps(page, live_server, demo_store):
    # given the owner signed in
    sign_in(page, live_server)
    page.get_by_role("heading", name="Orders per day").wait_for()
    # when they open NPS insights from the menu, beside the critics queue
    page.get_by_role("link", name="NPS insights").click()
    expect(page.get_by_role("heading", name="NPS insights", level=1)).to_be_visible()
    # then the breakdowns, the weekly trend and the comments are there, each chart with its table
    for heading in ("NPS per week", "By carrier", "Late or on time", "By days in transit", "By product",
                    "By the email that asked", "What buyers wrote"):  # fmt: skip
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("[data-breakdown=carrier] tbody tr")).to_have_count(5)  # 4 carriers and "No shipment"
    assert page.locator(".insight-comments li").count() == 20  # a page of them
    shot(page, "nps-insights-1280", 1280)
    shot(page, "nps-insights-390", 390)
    page.set_viewport_size({"width": 1280, "height": 900})

    # when they pick the last 30 days and only delivery comments from detractors
    page.get_by_label("Period").select_option("30")
    page.get_by_role("button", name="Show").click()
    page.get_by_label("Topic").select_option("delivery")
    page.get_by_label("Answer", exact=True).select_option("detractor")
    page.get_by_role("button", name="Filter").click()
    # then every comment shown is a detractor's about delivery, and the period is kept
    expect(page.get_by_label("Period")).to_have_value("30")
    items = page.locator(".insight-comments li")
    assert items.count() > 0
    for text in items.all_inner_texts():
        assert "Delivery" in text
    shot(page, "nps-insights-filtered-390", 390)


def test_the_filled_page_has_no_serious_accessibility_problem(axe_page, live_server, demo_store):
    # given the same store's page, with every chart, table and comment filled: axe finds nothing serious
    sign_in(axe_page, live_server)
    axe_page.get_by_role("heading", name="Orders per day").wait_for()
    check(axe_page, f"{live_server.url}/dashboard/insights/nps/?period=365")

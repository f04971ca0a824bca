"""A buyer follows their tracking link, reads it in Russian and Korean, then answers NPS, in a real browser."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.feedback.links import preferences_path
from apps.feedback.models import CriticCase
from apps.shipments.models import ShipmentStatus
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def order(live_server):
    store = StoreFactory(
        name="Northwind Coffee",
        slug="northwind",
        primary_colour="#3b2f2f",
        accent_colour="#c2410c",
        background_colour="#faf7f2",
        font_family="Georgia, 'Noto Serif', serif",
        languages=["en", "ru", "ko", "it", "kk"],
        social_links={"instagram": "https://instagram.com/northwind", "telegram": "https://t.me/northwind"},
    )
    customer = CustomerFactory(
        store=store, first_name="Anna", locale="en", time_zone="Europe/Moscow", marketing_consent=False
    )

    def product(name, image, price, **kwargs):
        return ProductFactory(
            store=store,
            name=name,
            image_url=f"{live_server.url}/static/img/samples/{image}.svg",
            price=Decimal(price),
            **kwargs,
        )

    grinder = product("Hand grinder", "grinder", "64.00")
    beans = product("Ethiopia Guji · 250 g", "coffee-bag", "14.50")
    for related in (
        product("Stoneware mug", "mug", "18.00"),
        product("Pour-over kettle", "kettle", "42.00"),
        product("Paper filters ×100", "filters", "6.90"),
        product("Brew scale", "scale", "29.00"),
    ):
        grinder.related_products.add(related)
    order = OrderFactory(
        store=store,
        customer=customer,
        number="#1042",
        subtotal=Decimal("93.00"),
        shipping_total=Decimal("0"),
        placed_at=timezone.now() - timedelta(days=3),
    )
    OrderLineFactory(order=order, product=grinder, quantity=1)
    OrderLineFactory(order=order, product=beans, quantity=2, unit_price=Decimal("14.50"))
    shipment = ShipmentFactory(
        order=order,
        carrier="dhl",
        carrier_name="DHL Express",
        tracking_number="1234567890",
        tracking_url="",
        status=ShipmentStatus.IN_TRANSIT,
        shipped_at=timezone.now() - timedelta(days=2),
        last_event_at=timezone.now() - timedelta(hours=5),
        estimated_delivery=(timezone.now() + timedelta(days=2)).date(),
    )
    scans = [
        (50, ShipmentStatus.INFO_RECEIVED, "Shipment information received", "Milano", "IT"),
        (44, ShipmentStatus.IN_TRANSIT, "Picked up by the courier", "Milano", "IT"),
        (30, ShipmentStatus.IN_TRANSIT, "Departed the sorting hub", "Bologna", "IT"),
        (18, ShipmentStatus.IN_TRANSIT, "Arrived at the international hub", "Leipzig", "DE"),
        (11, ShipmentStatus.IN_TRANSIT, "Customs clearance completed", "Leipzig", "DE"),
        (5, ShipmentStatus.IN_TRANSIT, "Arrived at the destination hub", "Moscow", "RU"),
    ]
    for hours, status, message, city, country in scans:
        TrackingEventFactory(
            shipment=shipment,
            status=status,
            message=message,
            city=city,
            country=country,
            occurred_at=timezone.now() - timedelta(hours=hours),
        )
    order.shipment = shipment
    return order


def test_a_buyer_tracks_their_order_in_two_languages_then_answers_nps(page, live_server, order, screenshot):
    url = f"{live_server.url}{order.get_tracking_url()}"

    # given the link from the shipping email, opened in Russian on a phone
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{url}?lang=ru")
    # then the timeline and the recommendations are there, in Russian
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anna")
    expect(page.get_by_role("heading", name="История отслеживания")).to_be_visible()
    # each scan in Russian, the carrier's own words one tap away (a <details>, no script)
    latest = page.locator(".timeline .event").first
    expect(latest.locator(".event-message")).to_have_text("Посылка в пути.")
    expect(latest.get_by_text("Arrived at the destination hub")).to_be_hidden()
    latest.get_by_text("Исходный текст службы доставки").click()
    expect(latest.get_by_text("Arrived at the destination hub")).to_be_visible()
    expect(page.get_by_role("heading", name="Вам может понравиться")).to_be_visible()
    expect(page.locator(".cards .card")).to_have_count(4)
    expect(page.locator(".progress .step-current")).to_have_count(1)
    # and nothing overflows sideways on a 360 px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "tracking-ru-360")

    # when they switch to Korean (the choice is remembered), on a laptop
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}?lang=ko")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="배송 조회 기록")).to_be_visible()
    expect(page.get_by_role("heading", name="이런 상품은 어떠세요?")).to_be_visible()
    screenshot(page, "tracking-ko-1280")
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", "ko")

    # when they sign up for the newsletter (htmx swaps the block in place)
    page.goto(f"{url}?lang=en")
    page.get_by_label("Yes, email me news and offers").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
    assert page.url.endswith("?lang=en")  # no page load happened
    order.customer.refresh_from_db()
    assert order.customer.marketing_consent

    # when the parcel is delivered, the page asks how likely they are to recommend the store
    shipment = order.shipment
    TrackingEventFactory(
        shipment=shipment,
        status=ShipmentStatus.DELIVERED,
        message="Delivered to the recipient",
        city="Moscow",
        country="RU",
        occurred_at=timezone.now(),
    )
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = timezone.now()
    shipment.save()
    page.set_viewport_size({"width": 360, "height": 800})
    page.reload()
    expect(page.get_by_role("heading", name="How likely are you to recommend Northwind Coffee")).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-polling", "off")
    screenshot(page, "tracking-en-delivered-360")

    # when they answer 3 and explain why
    page.get_by_role("link", name="3 out of 10").click()
    # the link only opens the answer with 3 chosen: a link scanner records nothing; the buyer sends it
    expect(page.get_by_role("radio", name="3 out of 10")).to_be_checked()
    assert not CriticCase.objects.exists()
    screenshot(page, "nps-answer-360")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We are sorry we let you down")
    page.get_by_label("Delivery").check()
    page.get_by_label("Anything you would like to tell us?").fill("The courier left the parcel in the rain.")
    screenshot(page, "nps-detractor-360")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thank you, we have your comment.")).to_be_visible()
    screenshot(page, "nps-comment")

    # then a case waits in the critics queue with their words
    case = CriticCase.objects.select_related("response").get()
    assert case.response.score == 3
    assert case.response.comment == "The courier left the parcel in the rain."
    assert case.response.topics == ["delivery"]


def test_keyboard_users_skip_to_content_and_see_where_focus_is(page, live_server, order):
    page.goto(f"{live_server.url}{order.get_tracking_url()}?lang=en")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # the hash changes a moment after the key press


def test_the_preference_centre_and_lookup_fit_a_phone(page, live_server, order, screenshot):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}{preferences_path(order.customer)}?lang=it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Preferenze email")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "preferences-it-360")
    page.goto(f"{live_server.url}{order.store.get_lookup_url()}?lang=kk")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "lookup-kk-360")

"""A buyer who left a cart answers "what stopped you?" from the 1 h email, in Korean, on a phone: the link
opens the page with that answer chosen; nothing is recorded until Send; then the thanks and the cart link.
Screenshots in test-artifacts/screenshots/cart-reason-*.png."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.campaigns.dispatch import build_email
from apps.campaigns.models import FlowKind, FlowStep
from apps.campaigns.services.flows import flows_install_defaults
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, CartLineFactory
from tests.stores.factories import StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_answers_from_the_email_on_a_phone(settings, live_server, page, screenshot):
    settings.SITE_URL = live_server.url
    store = StoreFactory(name="Seoul Roasters", languages=["en", "ko"], default_language="ko")
    flows_install_defaults(store=store)
    buyer = CustomerFactory(store=store, locale="ko", consenting=True)
    cart = CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=timezone.now() - timedelta(hours=2))
    CartLineFactory(cart=cart)
    step = FlowStep.objects.get(store=store, flow__kind=FlowKind.ABANDONED_CART, key="reminder-1h")
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key=f"cart:{cart.pk}",
                email=cart.email,
                scheduled_for=timezone.now(),
                customer_id=buyer.pk,
                cart_id=cart.pk,
            )
        ]
    )
    email, _rendered = build_email(message)
    html = email.alternatives[0][0]
    link = unescape(re.search(r'href="([^"]+/cart/[^"]+/shipping_cost/)"', html).group(1))

    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator('input[value="shipping_cost"]')).to_be_checked()
    screenshot(page, "cart-reason-ko-360")
    cart.refresh_from_db()
    assert cart.leave_reason == ""  # opening the link answered nothing

    page.locator('label[for="id_reason_2"]').click()  # changes their mind: the delivery time
    page.locator("button[type=submit]").click()
    expect(page.locator("#reason-title")).to_be_visible()
    expect(page.locator(f'a[href="{cart.recovery_url}"]')).to_be_visible()
    screenshot(page, "cart-reason-ko-sent-360")
    cart.refresh_from_db()
    assert cart.leave_reason == "delivery_time"

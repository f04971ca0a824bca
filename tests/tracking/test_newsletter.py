"""Newsletter signup on the tracking page: consent with its source, thanks inline, works without JS."""

import pytest
from django.urls import reverse

from apps.customers.models import ConsentEvent, ConsentSource, Customer
from apps.tracking.models import PageEvent
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return OrderFactory(customer=CustomerFactory(locale="en", marketing_consent=False))


def signup_url(order):
    return reverse("tracking:newsletter", args=[order.tracking_token])


def test_the_form_is_offered_to_a_buyer_without_consent(client, order):
    response = client.get(order.get_tracking_url())
    page = response.content.decode()
    assert 'id="newsletter"' in page
    assert 'hx-post="' + signup_url(order) in page
    # no CSRF token, so no CSRF cookie: the page stays the same for everyone and cacheable
    assert "csrfmiddlewaretoken" not in page
    assert "csrftoken" not in response.cookies


def test_signing_up_through_htmx_records_consent_from_the_tracking_page_and_thanks_inline(order):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.get(order.get_tracking_url())
    # when the buyer ticks the box and presses Subscribe (htmx): the browser says the POST comes from the page
    response = client.post(
        signup_url(order), {"consent": "on"}, headers={"HX-Request": "true", "Origin": "http://testserver"}
    )
    # then the block is replaced by thanks, and consent is recorded with its source
    assert response.status_code == 200
    assert "You are subscribed" in response.content.decode()
    assert "<html" not in response.content.decode()
    order.customer.refresh_from_db()
    assert order.customer.marketing_consent
    assert order.customer.consent_source == ConsentSource.TRACKING_PAGE
    assert ConsentEvent.objects.get(customer=order.customer).source == ConsentSource.TRACKING_PAGE
    assert PageEvent.objects.filter(block="newsletter", kind="click").count() == 1


def test_without_javascript_the_form_posts_and_comes_back_with_thanks(client, order):
    response = client.post(signup_url(order), {"consent": "on"})
    assert response.status_code == 302
    assert response["Location"] == f"{order.get_tracking_url()}?subscribed=1#newsletter"
    page = client.get(response["Location"]).content.decode()
    assert "You are subscribed" in page


def test_without_the_box_ticked_nothing_is_recorded_and_the_buyer_is_told(client, order):
    htmx = client.post(signup_url(order), {}, headers={"HX-Request": "true"})
    assert "Tick the box" in htmx.content.decode()
    plain = client.post(signup_url(order), {})
    assert "Tick the box" in client.get(plain["Location"]).content.decode()
    order.customer.refresh_from_db()
    assert not order.customer.marketing_consent
    assert not ConsentEvent.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},  # a form on another site, posting to a token it learnt
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Referer": "https://evil.example/page"},  # an old browser that sends no Origin
        {},  # neither: not from a browser page of ours
    ],
)
def test_a_cross_site_or_unproven_post_is_refused_and_nothing_is_recorded(order, headers):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(signup_url(order), {"consent": "on"}, headers={"HX-Request": "true", **headers})
    assert response.status_code == 403
    order.customer.refresh_from_db()
    assert not order.customer.marketing_consent
    assert not ConsentEvent.objects.exists()
    assert not PageEvent.objects.exists()


def test_a_post_from_an_older_browser_is_recognised_by_its_referer(order):
    from django.test import Client

    referer = f"http://testserver{order.get_tracking_url()}"
    response = Client(enforce_csrf_checks=True).post(signup_url(order), {"consent": "on"}, headers={"Referer": referer})
    assert response.status_code == 302
    order.customer.refresh_from_db()
    assert order.customer.marketing_consent


def test_a_guest_order_becomes_a_consenting_customer(client):
    order = OrderFactory(guest=True, email="Guest.Buyer@example.com")
    client.post(signup_url(order), {"consent": "on"})
    customer = Customer.objects.get(store=order.store, email="guest.buyer@example.com")
    assert customer.marketing_consent and customer.consent_source == ConsentSource.TRACKING_PAGE


def test_a_subscribed_or_suppressed_buyer_is_not_asked(client):
    for customer in (CustomerFactory(consenting=True), CustomerFactory(suppressed=True)):
        order = OrderFactory(customer=customer)
        assert 'id="newsletter"' not in client.get(order.get_tracking_url()).content.decode()

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
    page = client.get(order.get_tracking_url()).content.decode()
    assert 'id="newsletter"' in page
    assert 'hx-post="' + signup_url(order) in page
    assert "csrfmiddlewaretoken" in page


def test_signing_up_through_htmx_records_consent_from_the_tracking_page_and_thanks_inline(order):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get(order.get_tracking_url())
    token = page.cookies["csrftoken"].value
    # when the buyer ticks the box and presses Subscribe (htmx)
    response = client.post(
        signup_url(order), {"consent": "on", "csrfmiddlewaretoken": token}, headers={"HX-Request": "true"}
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


def test_a_post_without_csrf_token_is_refused(order):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(signup_url(order), {"consent": "on"})
    assert response.status_code == 403


def test_a_guest_order_becomes_a_consenting_customer(client):
    order = OrderFactory(guest=True, email="Guest.Buyer@example.com")
    client.post(signup_url(order), {"consent": "on"})
    customer = Customer.objects.get(store=order.store, email="guest.buyer@example.com")
    assert customer.marketing_consent and customer.consent_source == ConsentSource.TRACKING_PAGE


def test_a_subscribed_or_suppressed_buyer_is_not_asked(client):
    for customer in (CustomerFactory(consenting=True), CustomerFactory(suppressed=True)):
        order = OrderFactory(customer=customer)
        assert 'id="newsletter"' not in client.get(order.get_tracking_url()).content.decode()

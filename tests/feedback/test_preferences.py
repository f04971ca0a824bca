"""The preference centre and one-click unsubscribe (RFC 8058)."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.customers.models import ConsentEvent, ConsentSource
from apps.customers.services import customer_set_preferences
from apps.feedback.links import preferences_path, preferences_url, unsubscribe_path, unsubscribe_url
from tests.customers.factories import CustomerFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    store = StoreFactory(languages=["en", "it", "ko"])
    return CustomerFactory(store=store, locale="en", consenting=True)


def save(client, customer, **data):
    fields = {"action": "save", "shipping_updates": "on", "review_requests": "on", "offers": "on", "language": "en"}
    fields.update(data)
    return client.post(preferences_path(customer), {k: v for k, v in fields.items() if v is not None})


def test_links_for_emails_are_absolute_and_signed_per_purpose(customer, settings):
    settings.SITE_URL = "https://afterglow.example.com"
    assert preferences_url(customer).startswith("https://afterglow.example.com/preferences/")
    assert unsubscribe_url(customer).startswith("https://afterglow.example.com/unsubscribe/")
    # a preferences token does not unsubscribe, and the other way round
    prefs_token = preferences_path(customer).split("/")[2]
    unsub_token = unsubscribe_path(customer).split("/")[2]
    assert Client().get(reverse("feedback:unsubscribe", args=[prefs_token])).status_code == 404
    assert Client().get(reverse("feedback:preferences", args=[unsub_token])).status_code == 404


def test_the_preference_centre_shows_the_customers_choices(client, customer):
    page = client.get(preferences_path(customer)).content.decode()
    assert "Email preferences" in page
    assert customer.email in page
    assert 'name="shipping_updates"' in page and 'name="offers"' in page
    assert "Unsubscribe from all marketing" in page


def test_categories_pause_and_language_are_saved(client, customer):
    # when the buyer turns offers off, pauses marketing for 30 days and picks Korean
    response = save(client, customer, offers=None, pause="30", language="ko")
    # then it is stored, and the next page is in Korean
    assert response.status_code == 302
    assert response["Location"].endswith("?saved=1&lang=ko")
    customer.refresh_from_db()
    assert customer.wants_shipping_updates and customer.wants_review_requests and not customer.wants_offers
    assert customer.locale == "ko"
    assert customer.is_marketing_paused
    assert timedelta(days=29) < customer.marketing_paused_until - timezone.now() <= timedelta(days=30)
    assert customer.marketing_consent  # a pause keeps consent
    page = client.get(response["Location"])
    assert '<html lang="ko">' in page.content.decode()


def test_a_pause_can_be_ended(client, customer):
    customer_set_preferences(customer=customer, pause_days=90)
    save(client, customer, pause="0")
    customer.refresh_from_db()
    assert customer.marketing_paused_until is None


def test_an_unknown_pause_or_language_is_refused(client, customer):
    assert save(client, customer, pause="365").status_code == 200
    assert save(client, customer, language="de").status_code == 200
    customer.refresh_from_db()
    assert customer.marketing_paused_until is None and customer.locale == "en"


def test_unsubscribing_from_all_marketing_withdraws_consent_from_the_preference_centre(client, customer):
    response = client.post(preferences_path(customer), {"action": "unsubscribe"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert not customer.marketing_consent
    assert customer.consent_source == ConsentSource.PREFERENCE_CENTRE
    assert "You are unsubscribed from marketing emails" in client.get(response["Location"]).content.decode()
    # and they can come back
    client.post(preferences_path(customer), {"action": "subscribe"})
    customer.refresh_from_db()
    assert customer.marketing_consent


def test_a_tampered_preferences_token_is_a_404(client, customer):
    token = preferences_path(customer).split("/")[2]
    assert client.get(reverse("feedback:preferences", args=[token + "x"])).status_code == 404
    forged = signing.dumps(customer.pk, salt="nope")
    assert client.get(reverse("feedback:preferences", args=[forged])).status_code == 404


# --- One-click unsubscribe (RFC 8058) -----------------------------------------------------------
def one_click(customer):
    """What a mailbox provider sends: a bare POST, no cookies, no CSRF token."""
    return Client(enforce_csrf_checks=True).post(
        unsubscribe_path(customer),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def test_one_click_unsubscribe_withdraws_consent_and_is_idempotent(customer):
    # when the mailbox provider posts twice
    first, second = one_click(customer), one_click(customer)
    # then both are 200, consent is withdrawn once, from the unsubscribe link
    assert first.status_code == second.status_code == 200
    customer.refresh_from_db()
    assert not customer.marketing_consent
    assert customer.consent_source == ConsentSource.UNSUBSCRIBE
    withdrawals = ConsentEvent.objects.filter(customer=customer, granted=False)
    assert withdrawals.count() == 1 and withdrawals.get().source == ConsentSource.UNSUBSCRIBE
    # and no cookie is set by the answer
    assert not first.cookies and not second.cookies


def test_a_post_without_the_one_click_body_is_refused(customer):
    response = Client().post(unsubscribe_path(customer), {"something": "else"})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.marketing_consent


def test_get_shows_a_confirm_page_that_changes_nothing(client, customer):
    response = client.get(unsubscribe_path(customer))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unsubscribe from marketing emails?" in page
    assert 'name="List-Unsubscribe" value="One-Click"' in page
    assert not response.cookies
    customer.refresh_from_db()
    assert customer.marketing_consent


def test_a_bad_unsubscribe_token_is_a_404(customer):
    response = Client().post(
        reverse("feedback:unsubscribe", args=["abc"]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 404

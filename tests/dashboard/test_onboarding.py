"""A merchant's first hour in the browser: sign up, create a store, land on its dashboard; join by invitation
without a store of one's own; set up the sender domain (DNS answered by a fake resolver, no network)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.stores import sender_domain
from apps.stores.models import Membership, Role, Store
from apps.stores.sender_domain import DnsUnreachable
from apps.stores.services import invitation_create
from apps.stores.tenancy import SESSION_KEY
from tests.stores.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
NEW_STORE = "/dashboard/stores/new/"
PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def signup_on(settings):
    settings.ALLOW_SIGNUP = True


def store_form(**changes) -> dict:
    form = {
        "name": "Harbour Goods",
        "slug": "harbour-goods",
        "languages": ["en", "it"],
        "default_language": "en",
        "time_zone": "Europe/Rome",
        "currency": "eur",
        "sender_name": "Harbour Goods",
        "sender_email": "hello@harbour.example",
    }
    return {**form, **changes}


# --- Sign-up --------------------------------------------------------------------------------
def test_sign_up_signs_the_person_in_and_leads_to_store_creation(client, signup_on):
    # given sign-up is open
    assert reverse("signup") == SIGNUP
    # when someone signs up with an email, a password and their name
    response = client.post(SIGNUP, {"email": "Ana@Shop.example", "password": PASSWORD, "name": "Ana Lima"})
    # then they are signed in and sent to create their store
    assert response.status_code == 302
    assert response["Location"] == NEW_STORE
    user = get_user_model().objects.get(username="ana@shop.example")
    assert (user.email, user.get_full_name()) == ("ana@shop.example", "Ana Lima")
    assert client.session["_auth_user_id"] == str(user.pk)
    page = client.get(NEW_STORE)
    assert page.status_code == 200 and "Create your store" in page.content.decode()


def test_sign_up_is_a_404_and_the_login_page_offers_none_when_it_is_off(client, settings):
    # given sign-up is off (as it is by default without DEBUG)
    settings.ALLOW_SIGNUP = False
    # when someone opens it or posts to it, then it is not there
    assert client.get(SIGNUP).status_code == 404
    assert client.post(SIGNUP, {"email": "a@b.example", "password": PASSWORD}).status_code == 404
    assert not get_user_model().objects.exists()
    # and the sign-in page does not link to it
    assert SIGNUP not in client.get(reverse("login")).content.decode()


def test_the_login_page_links_to_sign_up_when_it_is_on(client, signup_on):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{SIGNUP}"' in page


def test_an_email_that_has_an_account_is_a_form_error_and_its_password_is_kept(client, signup_on):
    # given an account
    existing = UserFactory(email="kim@example.com")
    # when someone signs up with its email, in another case
    response = client.post(SIGNUP, {"email": "KIM@example.com", "password": PASSWORD})
    # then the form says so, nobody is signed in, and the account's password is unchanged
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert "_auth_user_id" not in client.session
    existing.refresh_from_db()
    assert existing.check_password("password") and not existing.check_password(PASSWORD)
    assert get_user_model().objects.count() == 1


def test_a_weak_password_is_refused_with_the_validators_reason(client, signup_on):
    response = client.post(SIGNUP, {"email": "new@shop.example", "password": "12345678"})
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_a_filled_honeypot_creates_no_account(client, signup_on):
    response = client.post(SIGNUP, {"email": "bot@spam.example", "password": PASSWORD, "website": "http://spam"})
    assert response.status_code == 400
    assert not get_user_model().objects.exists()


# --- Creating a store -----------------------------------------------------------------------
def test_someone_without_a_store_sees_a_button_to_create_one(client):
    client.force_login(UserFactory())
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 403
    assert f'href="{NEW_STORE}"' in response.content.decode()


def test_creating_a_store_makes_the_person_its_owner_and_opens_its_dashboard(client):
    # given a signed-in person with no store
    user = UserFactory()
    client.force_login(user)
    # when they create one
    response = client.post(NEW_STORE, store_form())
    # then they own it, it is their current store, and they land on its dashboard
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    store = Store.objects.get(slug="harbour-goods")
    assert Membership.objects.get(user=user).store == store
    assert Membership.objects.get(user=user).role == Role.OWNER
    assert (store.languages, store.time_zone, store.currency) == (["en", "it"], "Europe/Rome", "EUR")
    assert client.session[SESSION_KEY] == store.pk
    home = client.get(response["Location"])
    assert home.status_code == 200
    assert home.context["current_store"] == store
    assert "Harbour Goods is ready" in home.content.decode()


def test_a_member_of_another_store_is_switched_to_the_new_one(client):
    membership = MembershipFactory(role="support")
    client.force_login(membership.user)
    client.post(NEW_STORE, store_form(slug="second-shop"))
    new = Store.objects.get(slug="second-shop")
    assert client.session[SESSION_KEY] == new.pk
    assert client.get(reverse("dashboard:home")).context["current_store"] == new


def test_a_taken_slug_is_a_clear_error_and_creates_nothing(client):
    StoreFactory(slug="harbour-goods")
    client.force_login(UserFactory())
    response = client.post(NEW_STORE, store_form())
    assert response.status_code == 400
    assert "harbour-goods is taken" in response.content.decode()
    assert Store.objects.count() == 1


def test_a_default_language_not_offered_is_an_error(client):
    client.force_login(UserFactory())
    response = client.post(NEW_STORE, store_form(languages=["en"], default_language="ru"))
    assert response.status_code == 400
    assert "must be one of the languages offered" in response.content.decode()
    assert not Store.objects.exists()


def test_an_empty_slug_is_made_from_the_name(client):
    client.force_login(UserFactory())
    client.post(NEW_STORE, store_form(name="Café Düne & Co", slug=""))
    assert Store.objects.get().slug == "cafe-dune-co"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [("time_zone", "Mars/Olympus", "Select a valid choice"), ("currency", "XYZ", "not an ISO 4217")],
)
def test_an_unknown_time_zone_or_currency_is_an_error(client, field, value, problem):
    client.force_login(UserFactory())
    response = client.post(NEW_STORE, store_form(**{field: value}))
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not Store.objects.exists()


def test_store_creation_asks_an_anonymous_visitor_to_sign_in(client):
    response = client.get(NEW_STORE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_whole_first_hour_sign_up_then_store_then_dashboard(client, signup_on):
    client.post(SIGNUP, {"email": "founder@new.example", "password": PASSWORD})
    response = client.post(NEW_STORE, store_form(slug="new-shop"), follow=True)
    assert response.status_code == 200
    assert response.context["current_store"].slug == "new-shop"
    assert "Set up your store" in response.content.decode()


# --- Joining by invitation without a store ---------------------------------------------------
def test_a_person_who_signed_up_without_a_store_joins_by_invitation(client, signup_on):
    # given someone who signed up and has no store yet
    client.post(SIGNUP, {"email": "sam@example.com", "password": PASSWORD})
    store = MembershipFactory(role="owner").store
    _invitation, token = invitation_create(store=store, email="sam@example.com", role=Role.MANAGER, invited_by=None)
    url = reverse("dashboard:invitation_accept", args=[token])
    # when they open the invitation, signed in as the invited address, and accept
    assert client.get(url).status_code == 200
    response = client.post(url)
    # then they work in that store
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:home")
    assert client.get(response["Location"]).context["current_store"] == store


def test_a_person_who_signed_up_and_signed_out_joins_with_their_password(client, signup_on):
    client.post(SIGNUP, {"email": "sam@example.com", "password": PASSWORD})
    client.logout()
    store = MembershipFactory(role="owner").store
    _invitation, token = invitation_create(store=store, email="sam@example.com", role=Role.SUPPORT, invited_by=None)
    response = client.post(reverse("dashboard:invitation_accept", args=[token]), {"password": PASSWORD})
    assert response.status_code == 302
    assert Membership.objects.get(user__username="sam@example.com").store == store


# --- The sender domain page ------------------------------------------------------------------
PUBLISHED = {
    "harbour.example": ["v=spf1 include:spf.esp.example ~all"],
    "s1._domainkey.harbour.example": ["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1"],
    "_dmarc.harbour.example": ["v=DMARC1; p=none; rua=mailto:hello@harbour.example"],
}


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner", store__sender_email="hello@harbour.example")
    client.force_login(membership.user)
    return membership


def test_the_page_lists_the_records_to_add_for_the_sender_domain(client, owner, settings):
    settings.SENDER_SPF_INCLUDE = "spf.esp.example"
    page = client.get(reverse("dashboard:sender_domain"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "v=spf1 include:spf.esp.example ~all" in text
    assert "_dmarc.harbour.example" in text
    assert "v=DMARC1; p=none; rua=mailto:hello@harbour.example" in text
    assert "._domainkey.harbour.example" in text
    assert "Not checked yet" in text


def test_without_an_esp_include_the_page_asks_for_yours(client, owner, settings):
    settings.SENDER_SPF_INCLUDE = ""
    text = client.get(reverse("dashboard:sender_domain")).content.decode()
    assert "v=spf1 include:&lt;ESP include&gt; ~all" in text
    assert "Replace &lt;ESP include&gt;" in text


def test_check_now_with_every_record_published_says_so(client, owner, monkeypatch, settings):
    settings.SENDER_SPF_INCLUDE = "spf.esp.example"
    monkeypatch.setattr(sender_domain, "resolve_txt", lambda name: PUBLISHED.get(name, []))
    response = client.post(reverse("dashboard:sender_domain"), {"dkim_selector": "s1"}, follow=True)
    text = response.content.decode()
    assert "SPF, DKIM and DMARC are in place for harbour.example" in text
    assert text.count('class="badge ok"') == 3
    owner.store.refresh_from_db()
    assert owner.store.sender_domain_report["dkim"] == "ok"


def test_check_now_with_records_missing_marks_them(client, owner, monkeypatch):
    monkeypatch.setattr(sender_domain, "resolve_txt", lambda name: [])
    response = client.post(reverse("dashboard:sender_domain"), {"dkim_selector": "s1"}, follow=True)
    text = response.content.decode()
    assert text.count("Missing</span>") == 3
    assert "in place" not in text


def test_check_now_with_dns_unreachable_says_so_and_how_to_check_by_hand(client, owner, monkeypatch):
    def unreachable(name):
        raise DnsUnreachable("The DNS operation timed out.")

    monkeypatch.setattr(sender_domain, "resolve_txt", unreachable)
    response = client.post(reverse("dashboard:sender_domain"), {"dkim_selector": "s1"}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "DNS could not be reached" in text
    assert "dig +short TXT _dmarc.harbour.example" in text
    assert "dig +short TXT s1._domainkey.harbour.example" in text


def test_a_store_without_a_sender_address_is_sent_to_the_brand_page(client, monkeypatch):
    membership = MembershipFactory(role="owner", store__sender_email="")
    client.force_login(membership.user)
    monkeypatch.setattr(sender_domain, "resolve_txt", lambda name: pytest.fail("no lookup without a domain"))
    page = client.post(reverse("dashboard:sender_domain"), {"dkim_selector": ""})
    assert reverse("dashboard:brand") in page.content.decode()
    assert "Add a sender address on the Brand page first" in page.content.decode()


def test_support_cannot_open_the_sender_domain_page(client):
    membership = MembershipFactory(role="support")
    client.force_login(membership.user)
    assert client.get(reverse("dashboard:sender_domain")).status_code == 403

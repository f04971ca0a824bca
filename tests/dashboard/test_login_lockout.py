"""The sign-in lockout (django-axes) counts one account however its email is typed, and one client
however it is reached: behind our proxy by the address the proxy saw, never by a header the client sent."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from apps.stores.auth import axes_username
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SPELLINGS = [
    "Owner@Shop.Example",
    "OWNER@shop.example",
    " owner@shop.EXAMPLE",
    "owner@SHOP.example ",
    "oWnEr@ShOp.ExAmPlE",
]


@pytest.fixture
def owner():
    return MembershipFactory(user__email="owner@shop.example", user__username="owner@shop.example")


def sign_in(client, username, password, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def test_failures_under_any_case_or_spacing_of_the_email_lock_the_one_account(client, owner):
    # given five wrong guesses, each typing the email differently
    statuses = [sign_in(client, spelling, "guess").status_code for spelling in SPELLINGS]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure already locks
    # when the right password comes next
    response = sign_in(client, "owner@shop.example", "password")
    # then the account is locked: refused, and the page says why
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # and axes counted them as one account
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["owner@shop.example"]


def test_the_locked_account_is_refused_in_any_spelling(client, owner):
    for _ in range(5):
        sign_in(client, "owner@shop.example", "guess")
    assert sign_in(client, "  OWNER@Shop.example ", "password").status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_backend_path_counts_stripped_and_lower_cased_names_too(owner):
    # given failures through authenticate() itself (no form to strip the spaces), as the admin or an
    # invitation's password check would send them
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.10")
    for spelling in SPELLINGS:
        assert authenticate(request, username=spelling, password="guess") is None
    # then the right password is refused while the lock holds
    assert authenticate(request, username="owner@shop.example", password="password") is None
    assert AccessAttempt.objects.get().username == "owner@shop.example"


def test_axes_username_reads_credentials_first_then_the_post():
    request = RequestFactory().post("/accounts/login/", {"username": "  Post@Example.com "})
    assert axes_username(request, {"username": " Kim@Example.COM\t"}) == "kim@example.com"
    assert axes_username(request, None) == "post@example.com"
    assert axes_username(RequestFactory().post("/accounts/login/", {}), None) is None


def test_behind_one_proxy_two_clients_have_separate_lockouts(client, owner, settings):
    # given one reverse proxy in front; every request reaches Django from its address
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # when one client guesses five times
    for _ in range(5):
        sign_in(client, "owner@shop.example", "guess", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert (
        sign_in(client, "owner@shop.example", "password", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code
        == 429
    )
    # (recorded against the address the proxy saw, not the proxy's)
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    # then the owner, signing in from elsewhere through the same proxy, is not locked out
    response = sign_in(client, "owner@shop.example", "password", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert response.status_code == 302


def test_behind_one_proxy_what_the_client_prepends_to_x_forwarded_for_does_not_escape_the_lockout(
    client, owner, settings
):
    # given one proxy, which appends the address it saw (198.51.100.7) to whatever the client sent
    settings.PROXY_COUNT = 1
    for n in range(5):
        sign_in(
            client,
            "owner@shop.example",
            "guess",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.7",
            REMOTE_ADDR="10.0.0.2",
        )
    response = sign_in(
        client, "owner@shop.example", "password", HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.7", REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 429


def test_without_a_proxy_a_spoofed_x_forwarded_for_does_not_escape_the_lockout(client, owner, settings):
    # given no proxy configured (the default): the client talks to Django directly
    settings.PROXY_COUNT = 0
    # when it sends a different X-Forwarded-For (and X-Real-IP) with every guess
    for n in range(5):
        sign_in(
            client,
            "owner@shop.example",
            "guess",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            HTTP_X_REAL_IP=f"203.0.113.{n}",
        )
    response = sign_in(client, "owner@shop.example", "password", HTTP_X_FORWARDED_FOR="198.51.100.99")
    # then all of them counted against its real address, and it is locked out
    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"

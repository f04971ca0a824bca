"""Sign-in by email for every account: people who signed up (username = their email) and accounts made with
`createsuperuser`, whose username is not their email. The lockout counts one account however it is named."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from apps.stores.auth import axes_username
from tests.stores.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    call_command("createsuperuser", interactive=False, username="admin", email="Admin@Example.com", verbosity=0)
    user = get_user_model().objects.get(username="admin")
    user.set_password("a-long-admin-passphrase")
    user.save()
    return user


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_createsuperuser_account_signs_in_with_its_email_in_any_case(client, admin):
    # given an account made with createsuperuser (username "admin", email Admin@Example.com)
    # when its owner signs in on the login page with the email, typed in another case
    response = sign_in(client, "ADMIN@example.COM", "a-long-admin-passphrase")
    # then they are signed in as that account
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


def test_a_createsuperuser_account_still_signs_in_with_its_username(admin):
    # given the same account, when the admin site's form sends the username, then it is found too
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.1")
    assert authenticate(request, username="admin", password="a-long-admin-passphrase") == admin


def test_the_wrong_password_for_the_email_signs_nobody_in(client, admin):
    response = sign_in(client, "admin@example.com", "not-the-passphrase")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_an_email_two_accounts_share_signs_in_neither(client):
    # given two accounts whose usernames are not emails and who share one email
    for username in ("alpha", "beta"):
        UserFactory(username=username, email="shared@example.com")
    # when someone signs in with that email and the right password
    response = sign_in(client, "shared@example.com", "password")
    # then nobody is signed in: the email does not say which account is meant
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_does_not_sign_in_by_email(client):
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    assert sign_in(client, "gone@example.com", "password").status_code == 200
    assert "_auth_user_id" not in client.session


def test_failures_by_email_and_by_username_count_against_the_one_account(client, admin):
    # given four wrong guesses through the login page, by email
    for _ in range(4):
        sign_in(client, "Admin@Example.com", "guess")
    # and a fifth through the admin's username, from the same address
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="127.0.0.1")
    assert authenticate(request, username="admin", password="guess") is None
    # when the right password comes next, by email
    response = sign_in(client, "admin@example.com", "a-long-admin-passphrase")
    # then the account is locked: one count under one name
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["admin"]


def test_axes_username_names_an_account_by_its_username_and_anything_else_as_typed(admin):
    request = RequestFactory().post("/accounts/login/")
    assert axes_username(request, {"username": " ADMIN@example.com "}) == "admin"
    assert axes_username(request, {"username": "Nobody@Example.com"}) == "nobody@example.com"

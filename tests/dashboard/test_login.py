import pytest
from django.urls import reverse

from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_member_signs_in_with_email_in_any_case(client):
    membership = MembershipFactory(user__email="owner@shop.example", user__username="owner@shop.example")
    response = client.post(reverse("login"), {"username": "Owner@Shop.Example", "password": "password"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert client.get(reverse("dashboard:home")).context["current_store"] == membership.store


def test_a_wrong_password_is_a_form_error_not_a_session(client):
    MembershipFactory(user__email="owner@shop.example", user__username="owner@shop.example")
    response = client.post(reverse("login"), {"username": "owner@shop.example", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_for_the_right_password(client):
    # given five wrong guesses from one address
    MembershipFactory(user__email="owner@shop.example", user__username="owner@shop.example")
    for _ in range(5):
        client.post(reverse("login"), {"username": "owner@shop.example", "password": "guess"})
    # when the right password comes next
    response = client.post(reverse("login"), {"username": "owner@shop.example", "password": "password"})
    # then sign-in is refused and says why
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session

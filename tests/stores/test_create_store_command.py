"""`manage.py create_store`: a store and its owner from the command line, through the dashboard's service."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from apps.stores.models import Membership, Role, Store
from tests.stores.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command("create_store", *args, stdout=out, **options)
    return out.getvalue()


def test_it_creates_the_store_and_a_new_owner_with_a_password_shown_once():
    # when the command runs for an owner without an account
    output = run(
        "harbour",
        name="Harbour Goods",
        owner="Owner@Harbour.example",
        languages="en,ru",
        language="ru",
        time_zone="Europe/Rome",
        currency="usd",
        sender_name="Harbour",
        sender_email="hello@harbour.example",
    )
    # then the store exists as asked, owned by the new account
    store = Store.objects.get(slug="harbour")
    assert (store.name, store.languages, store.default_language) == ("Harbour Goods", ["en", "ru"], "ru")
    assert (store.time_zone, store.currency, store.sender_email) == ("Europe/Rome", "USD", "hello@harbour.example")
    membership = Membership.objects.get(store=store)
    assert membership.role == Role.OWNER and membership.user.username == "owner@harbour.example"
    # and the generated password, printed once, signs them in
    password = output.split("shown only this once: ")[1].split()[0]
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.5")
    assert authenticate(request, username="owner@harbour.example", password=password) == membership.user


def test_run_twice_the_second_is_refused_and_changes_nothing():
    run("harbour", name="Harbour Goods", owner="owner@harbour.example", password="first-long-password")
    with pytest.raises(CommandError, match="exists already"):
        run("harbour", name="Other", owner="someone@else.example", password="second-long-password")
    assert Store.objects.get(slug="harbour").name == "Harbour Goods"
    assert not get_user_model().objects.filter(username="someone@else.example").exists()


def test_an_existing_owner_keeps_their_password():
    user = UserFactory(email="kim@example.com")
    output = run("kims", name="Kim's", owner="KIM@example.com", password="would-be-new-password")
    user.refresh_from_db()
    assert user.check_password("password")
    assert Membership.objects.get(store__slug="kims").user == user
    assert "keeps its password" in output


def test_a_bad_value_is_refused_and_leaves_no_owner_account_behind():
    with pytest.raises(CommandError, match="time_zone"):
        run("shop", name="Shop", owner="new@shop.example", time_zone="Nowhere/Land")
    assert not Store.objects.filter(slug="shop").exists()
    assert not get_user_model().objects.filter(username="new@shop.example").exists()

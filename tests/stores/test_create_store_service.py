"""store_create_for_owner: a store and its owner's membership, both or neither."""

import pytest
from django.core.exceptions import ValidationError

from apps.campaigns.models import Flow
from apps.stores.models import Membership, Role, Store
from apps.stores.services import AccountExists, store_create_for_owner, user_sign_up
from tests.stores.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_creator_owns_the_new_store_which_has_its_default_flows():
    # given a person
    user = UserFactory()
    # when they create a store
    store = store_create_for_owner(
        owner=user,
        name="Harbour Goods",
        slug="harbour-goods",
        languages=["en", "it"],
        default_language="it",
        time_zone="Europe/Rome",
        currency="EUR",
        sender_name="Harbour",
        sender_email="hello@harbour.example",
    )
    # then they are its owner, and it is set up as asked, with its flows (switched off)
    assert Membership.objects.get(store=store, user=user).role == Role.OWNER
    assert (store.languages, store.default_language, store.time_zone) == (["en", "it"], "it", "Europe/Rome")
    assert Flow.objects.filter(store=store).exists()
    assert not Flow.objects.filter(store=store, enabled=True).exists()


def test_a_taken_slug_is_refused_and_nothing_is_created():
    StoreFactory(slug="harbour")
    user = UserFactory()
    with pytest.raises(ValidationError) as refused:
        store_create_for_owner(owner=user, name="Another", slug="harbour")
    assert "taken" in refused.value.message_dict["slug"][0]
    assert Store.objects.count() == 1
    assert not Membership.objects.filter(user=user).exists()


def test_a_default_language_outside_the_languages_is_refused():
    with pytest.raises(ValidationError) as refused:
        store_create_for_owner(owner=UserFactory(), name="Shop", slug="shop", languages=["en"], default_language="ru")
    assert "default_language" in refused.value.message_dict
    assert not Store.objects.filter(slug="shop").exists()


def test_a_bad_time_zone_leaves_no_store_and_no_membership():
    user = UserFactory()
    with pytest.raises(ValidationError) as refused:
        store_create_for_owner(owner=user, name="Shop", slug="shop", time_zone="Mars/Olympus")
    assert "time_zone" in refused.value.message_dict
    assert not Store.objects.filter(slug="shop").exists()
    assert not Membership.objects.filter(user=user).exists()


def test_sign_up_never_takes_over_an_existing_account():
    # given an account, and an admin account whose username is not its email
    existing = UserFactory(email="kim@example.com")
    UserFactory(username="root", email="Root@Example.com")
    # when someone signs up with either email (in another case), then it is refused
    for email in ("KIM@example.com", "root@example.com"):
        with pytest.raises(AccountExists):
            user_sign_up(email=email, password="another-long-password")
    # and the existing password still works
    existing.refresh_from_db()
    assert existing.check_password("password")


def test_sign_up_makes_an_account_that_signs_in_with_the_lower_cased_email():
    user = user_sign_up(email=" New.Person@Example.com ", password="a-long-enough-password", first_name=" Ana ")
    assert (user.username, user.email, user.first_name) == ("new.person@example.com", "new.person@example.com", "Ana")
    assert user.check_password("a-long-enough-password")

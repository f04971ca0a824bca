import pytest

from apps.stores.models import Role
from tests.stores.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_built_store_passes_its_own_validation():
    store = StoreFactory.build()
    store.full_clean(exclude=["logo"])


def test_a_user_signs_in_by_lower_case_email_with_the_password_password():
    user = UserFactory(email="Ana@Example.com")
    assert user.username == "ana@example.com"
    assert user.check_password("password")
    assert UserFactory(email="ana@example.com") == user  # get-or-create by username


@pytest.mark.parametrize("trait", ["owner", "manager", "support"])
def test_membership_traits_give_the_role(trait):
    membership = MembershipFactory(**{trait: True})
    assert membership.role == Role(trait)


def test_a_membership_for_a_given_store_stays_in_it():
    store = StoreFactory()
    assert MembershipFactory(store=store).store == store

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.stores.models import Membership, Role
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_a_person_has_one_role_per_store():
    membership = MembershipFactory(role=Role.SUPPORT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(store=membership.store, user=membership.user, role=Role.OWNER)


def test_a_role_outside_owner_manager_support_is_refused():
    membership = MembershipFactory(role=Role.SUPPORT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(role="superhero")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primary_colour", "red"),
        ("time_zone", "Mars/Olympus_Mons"),
        ("currency", "euro"),
        ("social_links", {"myspace": "https://myspace.com/x"}),
        ("languages", ["en", "klingon"]),
    ],
)
def test_brand_settings_are_validated(field, value):
    store = StoreFactory.build(**{field: value})
    with pytest.raises(ValidationError) as error:
        store.full_clean(exclude=["logo"])
    assert field in error.value.message_dict

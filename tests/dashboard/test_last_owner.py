"""A store always keeps an owner: the team page refuses to remove or demote the last one, and says why."""

import pytest
from django.urls import reverse

from apps.stores.models import Membership, Role
from apps.stores.services import MembershipError, membership_change_role, membership_grant, membership_remove
from tests.stores.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role=Role.OWNER)
    client.force_login(membership.user)
    return membership


def alerts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_last_owner_cannot_demote_themself(client, owner):
    # when the only owner makes themself support
    response = client.post(reverse("dashboard:member_role", args=[owner.pk]), {"role": "support"}, follow=True)
    # then the team page says why, and they are still owner
    assert response.redirect_chain == [(reverse("dashboard:member_list"), 302)]
    assert alerts(response) == ["A store keeps at least one owner: make someone else owner first."]
    assert "A store keeps at least one owner" in response.content.decode()
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_the_last_owner_cannot_remove_themself(client, owner):
    response = client.post(reverse("dashboard:member_remove", args=[owner.pk]), follow=True)
    assert alerts(response) == ["The last owner cannot be removed: make someone else owner first."]
    assert "The last owner cannot be removed" in response.content.decode()
    assert Membership.objects.filter(pk=owner.pk, role=Role.OWNER).exists()


def test_with_two_owners_one_may_go_and_then_the_other_is_the_last(client, owner):
    # given a second owner
    other = MembershipFactory(store=owner.store, role=Role.OWNER)
    # when the first removes the second
    response = client.post(reverse("dashboard:member_remove", args=[other.pk]), follow=True)
    assert alerts(response) == [f"{other.user.email} no longer has access to {owner.store.name}."]
    # then the first is the last owner, and can no longer step down
    response = client.post(reverse("dashboard:member_role", args=[owner.pk]), {"role": "manager"}, follow=True)
    assert alerts(response) == ["A store keeps at least one owner: make someone else owner first."]
    assert list(Membership.objects.filter(store=owner.store).values_list("pk", "role")) == [(owner.pk, Role.OWNER)]


def test_an_owner_may_step_down_once_another_owner_exists(client, owner):
    other = MembershipFactory(store=owner.store, role=Role.MANAGER)
    client.post(reverse("dashboard:member_role", args=[other.pk]), {"role": "owner"})
    membership_change_role(membership=owner, role=Role.MANAGER)
    assert Membership.objects.get(pk=owner.pk).role == Role.MANAGER
    assert Membership.objects.get(pk=other.pk).role == Role.OWNER


def test_another_store_s_owners_do_not_count(owner):
    MembershipFactory(user=owner.user, role=Role.OWNER)  # the same person owns another store too
    MembershipFactory(role=Role.OWNER)
    with pytest.raises(MembershipError):
        membership_remove(membership=owner)


def test_removing_someone_already_removed_is_a_clear_error(owner):
    helper = MembershipFactory(store=owner.store, role=Role.SUPPORT)
    stale = Membership.objects.get(pk=helper.pk)
    membership_remove(membership=helper)
    with pytest.raises(MembershipError, match="no longer a member"):
        membership_remove(membership=stale)
    with pytest.raises(MembershipError, match="no longer a member"):
        membership_change_role(membership=stale, role=Role.MANAGER)


def test_granting_a_role_does_not_demote_the_last_owner(owner):
    with pytest.raises(MembershipError, match="at least one owner"):
        membership_grant(store=owner.store, user=owner.user, role=Role.SUPPORT)
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER
    # and granting the same role again, or to a newcomer, is fine
    membership_grant(store=owner.store, user=owner.user, role=Role.OWNER)
    newcomer = UserFactory()
    assert membership_grant(store=owner.store, user=newcomer, role=Role.SUPPORT).role == Role.SUPPORT

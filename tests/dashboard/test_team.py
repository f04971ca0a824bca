"""Members, invitations by email, and API keys: the owner's pages."""

import re

import pytest
from django.urls import reverse

from apps.stores.models import ApiKey, Invitation, Membership, Role
from apps.stores.services import MembershipError, invitation_accept, invitation_create
from tests.stores.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    return membership


def invite(client, email, role="support", **extra):
    with extra.pop("capture")(execute=True):
        return client.post(reverse("dashboard:member_list"), {"email": email, "role": role})


def link_in(mail) -> str:
    return re.search(r"https?://\S+/dashboard/invitations/accept/\S+/", mail.body).group(0)


def test_an_invitation_emails_an_unguessable_link_and_keeps_only_its_digest(
    client, owner, mailoutbox, django_capture_on_commit_callbacks
):
    invite(client, "New.Person@example.com", capture=django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new.person@example.com",
        "support",
        owner.user,
    )
    link = link_in(mailoutbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 random bits
    assert token not in {invitation.token_hash} and Invitation.digest(token) == invitation.token_hash


def test_a_new_person_accepts_sets_a_password_and_is_signed_in(
    client, owner, mailoutbox, django_capture_on_commit_callbacks
):
    invite(client, "sam@example.com", role="manager", capture=django_capture_on_commit_callbacks)
    path = link_in(mailoutbox[0]).split("://", 1)[1].split("/", 1)[1]
    client.logout()
    page = client.get(f"/{path}")
    assert page.status_code == 200 and "Create my account" in page.content.decode()
    response = client.post(f"/{path}", {"first_name": "Sam", "password": "a-long-passphrase-42"})
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="sam@example.com")
    assert (membership.store, membership.role) == (owner.store, Role.MANAGER)
    assert membership.user.check_password("a-long-passphrase-42")
    assert client.get(reverse("dashboard:flow_list")).status_code == 200  # signed in, as manager
    # the link works once
    assert client.get(f"/{path}").status_code == 410


def test_someone_with_an_account_confirms_with_their_password(client):
    existing = MembershipFactory(role="owner", user__email="kim@example.com", user__username="kim@example.com").user
    store = MembershipFactory(role="owner").store
    _invitation, token = invitation_create(store=store, email="kim@example.com", role=Role.SUPPORT, invited_by=None)
    url = reverse("dashboard:invitation_accept", args=[token])
    assert client.post(url, {"password": "wrong"}).status_code == 400
    assert not Membership.objects.filter(store=store, user=existing).exists()
    assert client.post(url, {"password": "password"}).status_code == 302
    assert Membership.objects.get(store=store, user=existing).role == Role.SUPPORT


def test_an_invitation_for_another_address_cannot_be_taken_by_a_signed_in_user(owner):
    invitation, _token = invitation_create(store=owner.store, email="x@example.com", role=Role.SUPPORT, invited_by=None)
    with pytest.raises(MembershipError):
        invitation_accept(invitation=invitation, user=UserFactory())


def test_an_unknown_token_is_404(client):
    assert client.get(reverse("dashboard:invitation_accept", args=["not-a-token"])).status_code == 404


def test_roles_change_and_the_last_owner_stays(client, owner):
    helper = MembershipFactory(store=owner.store, role="support")
    client.post(reverse("dashboard:member_role", args=[helper.pk]), {"role": "manager"})
    assert Membership.objects.get(pk=helper.pk).role == Role.MANAGER
    client.post(reverse("dashboard:member_role", args=[owner.pk]), {"role": "support"})
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER
    client.post(reverse("dashboard:member_remove", args=[owner.pk]))
    assert Membership.objects.filter(pk=owner.pk).exists()
    client.post(reverse("dashboard:member_remove", args=[helper.pk]))
    assert not Membership.objects.filter(pk=helper.pk).exists()


def test_an_api_key_is_shown_once_listed_by_prefix_and_revoked(client, owner):
    response = client.post(reverse("dashboard:api_key_list"), {"name": "ERP sync"})
    key = response.context["new_key"]
    assert key.startswith("ag_") and key in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    api_key = ApiKey.objects.get()
    listing = client.get(reverse("dashboard:api_key_list")).content.decode()
    assert api_key.prefix in listing and key not in listing
    client.post(reverse("dashboard:api_key_revoke", args=[api_key.pk]))
    api_key.refresh_from_db()
    assert not api_key.is_active

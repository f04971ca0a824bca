"""Every dashboard URL against every role: the server allows or refuses exactly as the matrix beside
ACTIONS (apps/stores/permissions.py) says. A new URL that is missing from the matrix fails here."""

import pytest
from django.db import transaction
from django.urls import reverse

from apps.stores.models import Role
from apps.stores.permissions import ACTIONS, DASHBOARD_URL_ACTIONS, PUBLIC
from tests.dashboard.conftest import dashboard_patterns, kwargs_for, objects_for
from tests.stores.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

OUTSIDER = "outsider"  # signed in, member of no store


def test_every_dashboard_url_is_in_the_matrix_and_every_action_exists():
    # given the dashboard's URLs, when compared with the matrix, then each has exactly one entry
    names = {name for name, _arguments in dashboard_patterns()}
    assert names == set(DASHBOARD_URL_ACTIONS), "add new dashboard URLs to DASHBOARD_URL_ACTIONS"
    assert {action for action in DASHBOARD_URL_ACTIONS.values() if action != PUBLIC} <= set(ACTIONS)


def visit(client, url: str):
    """GET the page, or POST where the URL only takes POST; whatever the visit changes is undone."""
    with transaction.atomic():
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.SUPPORT, OUTSIDER])
def test_each_role_is_allowed_or_refused_on_every_dashboard_url_as_the_matrix_says(client, role):
    # given a store with one object of every kind, and a person of this role (or of no store)
    store = StoreFactory()
    objects = objects_for(store)
    user = UserFactory() if role == OUTSIDER else MembershipFactory(store=store, role=role).user
    client.force_login(user)

    for name, arguments in dashboard_patterns():
        action = DASHBOARD_URL_ACTIONS[name]
        # when they open the URL
        response = visit(client, reverse(f"dashboard:{name}", kwargs=kwargs_for(name, arguments, objects)))
        # then the answer is the matrix's
        if action == PUBLIC:
            assert response.status_code in (200, 302), f"{name} is public"
        elif role == OUTSIDER:
            assert response.status_code == 403, f"{name} opened for a non-member"
            assert "not a member of any store" in response.content.decode(), name
        elif role in ACTIONS[action]:
            assert response.status_code in (200, 302), f"{name} refused {role} ({response.status_code})"
        else:
            assert response.status_code == 403, f"{name} allowed {role}, but {action} is not theirs"


def test_support_lands_on_the_critics_queue_and_sees_no_flow_editor_links(client):
    # given a support member
    membership = MembershipFactory(role=Role.SUPPORT)
    client.force_login(membership.user)
    # when they open the dashboard
    response = client.get(reverse("dashboard:home"))
    # then they are sent to the critics queue, whose menu does not offer flows, brand or members
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:critic_list")
    page = client.get(response["Location"]).content.decode()
    for hidden in ("flow_list", "brand", "member_list", "api_key_list"):
        assert reverse(f"dashboard:{hidden}") not in page, hidden

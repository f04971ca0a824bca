"""Every dashboard URL against every role: the server allows or refuses exactly as the action its view
declares (`@member_required(action)`, apps/dashboard/access.py) and ACTIONS (apps/stores/permissions.py)
say. The action is read from the view the URL resolver calls, so a new page that declares none fails here."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.dashboard.access import PUBLIC, action_of, member_required, membership_not_required
from apps.stores.models import Role
from apps.stores.permissions import ACTIONS
from tests.dashboard.conftest import dashboard_patterns, dashboard_url_actions, kwargs_for, objects_for
from tests.stores.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

OUTSIDER = "outsider"  # signed in, member of no store


def test_every_dashboard_url_declares_an_action_that_exists():
    # given the dashboard's URLs, when their views are read from the resolver
    actions = dashboard_url_actions()
    # then each view declared who may open it, with an action the matrix knows
    undeclared = sorted(name for name, action in actions.items() if action is None)
    assert not undeclared, (
        f"dashboard views without a declared action: {undeclared}; decorate each with "
        "@member_required(<action>) or @membership_not_required (apps/dashboard/access.py)"
    )
    unknown = {name: action for name, action in actions.items() if action != PUBLIC and action not in ACTIONS}
    assert not unknown, f"actions missing from apps.stores.permissions.ACTIONS: {unknown}"


def test_a_view_without_a_declared_action_is_reported_and_decorators_carry_it_outwards():
    # given a bare view, one behind member_required and one also behind require_POST
    def bare(request):
        return None

    guarded = require_POST(member_required("edit_flows")(bare))
    # when their actions are read, then the bare one has none and the guarded one keeps its action
    assert action_of(bare) is None
    assert action_of(guarded) == "edit_flows"
    assert action_of(membership_not_required(require_POST(bare))) == PUBLIC


def test_a_misspelt_action_fails_when_the_view_is_declared():
    with pytest.raises(ImproperlyConfigured, match="edit_flow"):
        member_required("edit_flow")


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

    actions = dashboard_url_actions()
    for name, arguments in dashboard_patterns():
        action = actions[name]
        assert action is not None, f"{name} declares no action"
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

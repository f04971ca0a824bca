"""A member of store B who tries store A's ids gets 404 on every dashboard URL that takes an id."""

import pytest
from django.urls import reverse

from apps.dashboard.access import PUBLIC
from tests.dashboard.conftest import dashboard_patterns, dashboard_url_actions, kind_of, kwargs_for
from tests.orders.factories import OrderFactory
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


def dashboard_patterns_with_ids() -> list[tuple[str, list[str]]]:
    """Every dashboard URL that takes an object id (public pages carry tokens, not ids; connection pages
    name a source, and every store reaches its own connection to it by that name)."""
    actions = dashboard_url_actions()
    return [
        (f"dashboard:{name}", arguments)
        for name, arguments in dashboard_patterns()
        if arguments and arguments != ["source"] and actions[name] != PUBLIC
    ]


def visit(client, name: str, kwargs: dict):
    """GET the page, or POST where the URL only takes POST (actions such as replay)."""
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def test_every_dashboard_url_with_an_id_is_404_for_another_stores_member(client, store_a_objects):
    # given an owner of store B, and objects of store A
    member_of_b = MembershipFactory(store=StoreFactory(slug="store-b"), role="owner")
    client.force_login(member_of_b.user)
    patterns = dashboard_patterns_with_ids()
    assert patterns, "the dashboard has detail pages"

    for name, arguments in patterns:
        kind = kind_of(name.split(":")[1])
        assert kind in store_a_objects, f"{name} takes an id: add its object to objects_for() in conftest.py"
        # when B's member asks for A's object
        response = visit(client, name, kwargs_for(name.split(":")[1], arguments, store_a_objects))
        # then it does not exist for them
        assert response.status_code == 404, f"{name} showed another store's {kind}"


def test_the_same_urls_open_for_a_member_of_the_owning_store(client, store_a_objects):
    # given an owner of store A
    owner_of_a = MembershipFactory(store=store_a_objects["order"].store, role="owner")
    client.force_login(owner_of_a.user)
    for name, arguments in dashboard_patterns_with_ids():
        kwargs = kwargs_for(name.split(":")[1], arguments, store_a_objects)
        # when they open their own object, then it is there
        assert visit(client, name, kwargs).status_code in (200, 302), name


def test_lists_show_only_the_current_stores_rows(client, store_a_objects):
    # given B's owner, and an order in B beside A's
    member_of_b = MembershipFactory(store=StoreFactory(slug="store-b"), role="owner")
    own_order = OrderFactory(store=member_of_b.store)
    client.force_login(member_of_b.user)
    # when they list orders
    page = client.get(reverse("dashboard:order_list")).content.decode()
    # then they see theirs and not A's
    assert own_order.number in page
    assert reverse("dashboard:order_detail", args=[store_a_objects["order"].pk]) not in page


def test_switching_into_a_store_one_does_not_belong_to_changes_nothing(client, store_a_objects):
    # given B's owner
    member_of_b = MembershipFactory(store=StoreFactory(slug="store-b"), role="owner")
    client.force_login(member_of_b.user)
    # when they try to switch into store A
    client.post(reverse("dashboard:store_switch"), {"store_id": store_a_objects["order"].store_id})
    # then the dashboard still shows store B
    page = client.get(reverse("dashboard:order_list"))
    assert page.context["current_store"] == member_of_b.store

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.shipments.models import ShipmentStatus
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_PAGES = ["dashboard:order_list", "dashboard:shipment_list", "dashboard:customer_list"]


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    return membership


def fill_store(store, n):
    for _ in range(n):
        customer = CustomerFactory(store=store)
        order = OrderFactory(store=store, customer=customer)
        OrderLineFactory(order=order)
        shipment = ShipmentFactory(order=order)
        TrackingEventFactory(shipment=shipment)


@pytest.mark.parametrize("name", ["dashboard:home", *LIST_PAGES])
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_person_without_a_store_is_told_so(client):
    client.force_login(UserFactory())
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 403
    assert "not a member of any store" in response.content.decode()


def test_the_overview_shows_the_stores_figures(client, owner):
    # given two orders this month, one shipment in exception
    fill_store(owner.store, 2)
    ShipmentFactory(order__store=owner.store, store=owner.store, status=ShipmentStatus.EXCEPTION)
    # when the owner opens the overview
    response = client.get(reverse("dashboard:home"))
    # then the KPIs count them and the chart is drawn
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.orders == 3
    assert overview.needing_attention == 1
    assert "<svg" in response.content.decode()


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_take_the_same_number_of_queries_for_3_or_30_rows(client, owner, name):
    fill_store(owner.store, 3)
    client.get(reverse(name))  # warm the session and content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(name)).status_code == 200
    fill_store(owner.store, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(name))
    assert len(response.context["page"].items) == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 8


def test_order_detail_takes_a_fixed_number_of_queries_however_many_lines_and_events(client, owner):
    order = OrderFactory(store=owner.store)
    OrderLineFactory(order=order)
    shipment = ShipmentFactory(order=order)
    TrackingEventFactory(shipment=shipment)
    url = reverse("dashboard:order_detail", args=[order.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        OrderLineFactory(order=order)
        TrackingEventFactory(shipment=shipment)
    ShipmentFactory(order=order)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_searching_orders_by_number_finds_that_order(client, owner):
    wanted = OrderFactory(store=owner.store, number="#4242")
    other = OrderFactory(store=owner.store, number="#1111")
    response = client.get(reverse("dashboard:order_list"), {"q": "4242"})
    items = response.context["page"].items
    assert items == [wanted]
    assert other not in items


def test_htmx_search_returns_only_the_results_block(client, owner):
    OrderFactory(store=owner.store, number="#4242")
    response = client.get(
        reverse("dashboard:order_list"), {"q": "#4242"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    body = response.content.decode()
    assert "#4242" in body
    assert "<html" not in body


def test_the_needs_attention_filter_lists_only_troubled_shipments(client, owner):
    troubled = ShipmentFactory(order__store=owner.store, store=owner.store, status=ShipmentStatus.ATTEMPT_FAILED)
    fine = ShipmentFactory(order__store=owner.store, store=owner.store, status=ShipmentStatus.IN_TRANSIT)
    items = client.get(reverse("dashboard:shipment_list"), {"attention": "1"}).context["page"].items
    assert troubled in items
    assert fine not in items


def test_customers_filter_by_consent(client, owner):
    subscribed = CustomerFactory(store=owner.store, consenting=True)
    not_subscribed = CustomerFactory(store=owner.store, marketing_consent=False)
    items = client.get(reverse("dashboard:customer_list"), {"consent": "yes"}).context["page"].items
    assert subscribed in items
    assert not_subscribed not in items


def test_pages_are_paged_fifty_at_a_time(client, owner):
    for _ in range(51):
        OrderFactory(store=owner.store)
    first = client.get(reverse("dashboard:order_list")).context["page"]
    second = client.get(reverse("dashboard:order_list"), {"page": 2}).context["page"]
    assert (len(first.items), first.has_next) == (50, True)
    assert (len(second.items), second.has_next, second.has_previous) == (1, False, True)


def test_a_person_in_two_stores_switches_between_them(client):
    first = MembershipFactory(role="owner")
    second = MembershipFactory(user=first.user, role="support")
    client.force_login(first.user)
    client.post(reverse("dashboard:store_switch"), {"store_id": second.store_id})
    assert client.get(reverse("dashboard:order_list")).context["current_store"] == second.store
    client.post(reverse("dashboard:store_switch"), {"store_id": first.store_id})
    assert client.get(reverse("dashboard:order_list")).context["current_store"] == first.store


def test_every_page_sends_a_content_security_policy_without_inline_script(client, owner):
    response = client.get(reverse("dashboard:home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_the_scan_runs_page_lists_this_stores_runs(client, owner):
    from apps.campaigns.scans import run_scan
    from tests.stores.factories import StoreFactory

    run_scan("abandoned_carts", store=owner.store)
    run_scan("abandoned_carts", store=StoreFactory())
    runs = client.get(reverse("dashboard:scan_run_list")).context["runs"]
    assert [run.store_id for run in runs] == [owner.store_id]

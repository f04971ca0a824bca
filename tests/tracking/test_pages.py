import pytest
from django.urls import reverse

from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_the_buyer_sees_their_order_and_its_carrier_events(client):
    order = OrderFactory()
    shipment = ShipmentFactory(order=order)
    TrackingEventFactory(shipment=shipment, message="Arrived at the sorting centre")
    response = client.get(order.get_tracking_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert order.number in page
    assert "Arrived at the sorting centre" in page


def test_a_guessed_token_is_a_404_with_no_data(client):
    OrderFactory()
    response = client.get(reverse("tracking:page", kwargs={"token": "A" * 22}))
    assert response.status_code == 404


def lookup(client, store, number, proof):
    return client.post(reverse("tracking:lookup", args=[store.slug]), {"number": number, "email_or_postcode": proof})


def test_lookup_by_number_and_email_leads_to_the_orders_page(client):
    order = OrderFactory(number="#2001")
    response = lookup(client, order.store, "2001", order.email.upper())
    assert response.status_code == 302
    assert response["Location"].startswith(f"/track/{order.store.slug}/order/")
    assert client.get(response["Location"]).context["order"] == order


def test_lookup_by_number_and_postcode_leads_to_the_orders_page(client):
    order = OrderFactory(number="#2002", shipping_postcode="SW1A 1AA")
    response = lookup(client, order.store, "#2002", "sw1a1aa")
    assert client.get(response["Location"]).context["order"] == order


def test_a_wrong_number_and_a_wrong_email_get_the_same_answer(client):
    order = OrderFactory(number="#2003")
    wrong_number = lookup(client, order.store, "#9999", order.email)
    wrong_email = lookup(client, order.store, "#2003", "someone-else@example.com")
    assert wrong_number.status_code == wrong_email.status_code == 200
    errors = [r.context["form"].non_field_errors() for r in (wrong_number, wrong_email)]
    assert errors[0] == errors[1] == ["We could not find an order with those details."]
    assert order.get_tracking_url() not in wrong_email.content.decode()


def test_another_stores_order_is_not_found_through_this_stores_lookup(client):
    order = OrderFactory(number="#2004")
    other_store = StoreFactory(slug="other")
    response = lookup(client, other_store, "#2004", order.email)
    assert response.status_code == 200
    assert "could not find" in response.content.decode()


def test_lookups_are_rate_limited_per_address(client):
    order = OrderFactory(number="#2005")
    for _ in range(10):
        lookup(client, order.store, "#0000", "x@example.com")
    response = lookup(client, order.store, "#2005", order.email)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_an_unknown_store_lookup_is_a_404(client):
    assert client.get(reverse("tracking:lookup", args=["no-such-store"])).status_code == 404


def test_another_stores_tracking_token_typed_into_the_lookup_finds_nothing(client):
    # given an order of another store, whose buyer pastes its token or number into this store's lookup
    order = OrderFactory(number="#3001")
    this_store = StoreFactory(slug="this-store")
    for number in (order.tracking_token, order.number):
        response = lookup(client, this_store, number, order.email)
        # then it is not found, and nothing of that order is shown
        assert response.status_code == 200
        assert "could not find" in response.content.decode()
        assert order.get_tracking_url() not in response.content.decode()


def test_the_lookup_rate_limit_applies_to_right_answers_too_and_says_so_politely(client):
    order = OrderFactory(number="#2006")
    for _ in range(10):
        lookup(client, order.store, "#2006", order.email)
    response = lookup(client, order.store, "#2006", order.email)
    assert response.status_code == 429
    assert 'role="alert"' in response.content.decode()


def test_the_lookup_form_has_labels_and_a_csrf_token(client):
    store = StoreFactory()
    page = client.get(store.get_lookup_url()).content.decode()
    assert '<label for="id_number">' in page and '<label for="id_email_or_postcode">' in page
    assert "csrfmiddlewaretoken" in page
    assert '<main id="main"' in page

"""An order number and a postcode show where a parcel is, never who the buyer is or a way to act for them.
The emailed link (the tracking token) remains the only key to the buyer's name, offers and preferences."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.customers.models import Customer
from apps.feedback.models import NpsResponse
from apps.shipments.models import ShipmentStatus
from apps.stores.models import SocialNetwork
from apps.tracking.links import lookup_path
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    store = StoreFactory(slug="northwind", social_links={SocialNetwork.INSTAGRAM: "https://instagram.com/northwind"})
    buyer = CustomerFactory(
        store=store, email="ana.secret@example.com", first_name="Anastasia", locale="en", marketing_consent=False
    )
    order = OrderFactory(store=store, customer=buyer, number="#3001", shipping_postcode="SW1A 1AA", locale="en")
    ShipmentFactory(order=order, status=ShipmentStatus.DELIVERED, delivered_at=timezone.now())
    return order


def look_up(client, order):
    response = client.post(
        reverse("tracking:lookup", args=[order.store.slug]), {"number": "3001", "email_or_postcode": "sw1a 1aa"}
    )
    assert response.status_code == 302
    return response["Location"]


def test_a_lookup_shows_the_parcels_but_not_the_buyer_nor_the_emailed_key(client, order):
    # when a stranger who knows the order number and postcode looks the order up (and reloads the page)
    location = look_up(client, order)
    pages = [client.get(location) for _ in range(2)]
    # then the page shows the order and where it is
    page = pages[1].content.decode()
    assert pages[0].status_code == pages[1].status_code == 200
    assert "#3001" in page and "delivered" in page.lower()
    # but not the buyer's email or name, nor anything that acts for them
    assert "ana.secret@example.com" not in page
    assert "Anastasia" not in page
    assert "/preferences/" not in page and "/unsubscribe/" not in page
    assert "/nps/" not in page
    assert 'name="consent"' not in page  # no newsletter signup on the buyer's behalf
    # and no link carries the token from the emails (social links go straight out)
    assert order.tracking_token not in location and order.tracking_token not in page
    assert "https://instagram.com/northwind" in page
    assert "only where it is" in page


def test_the_emailed_link_still_opens_everything(client, order):
    page = client.get(order.get_tracking_url()).content.decode()
    assert "Anastasia" in page
    assert "/preferences/" in page
    assert page.count("/nps/") == 11


def test_the_limited_page_refreshes_without_the_token(client, order):
    order.shipments.update(status=ShipmentStatus.IN_TRANSIT, delivered_at=None)
    page = client.get(look_up(client, order)).content.decode()
    live_url = reverse("tracking:lookup_result_live", args=[order.store.slug, look_up(client, order).split("/")[-2]])
    assert 'data-live-url="/track/northwind/order/' in page
    live = client.get(live_url)
    assert live.status_code == 200
    assert order.tracking_token not in live.content.decode()


def test_a_lookup_link_expires_after_a_day_and_cannot_be_moved_or_edited(client, order):
    location = look_up(client, order)
    signed = location.split("/")[-2]
    other = StoreFactory(slug="other")
    # another store's address with the same signed value, or an edited value, finds nothing
    assert client.get(reverse("tracking:lookup_result", args=[other.slug, signed])).status_code == 404
    assert client.get(location.replace(signed, signed[:-2] + "xy")).status_code == 404
    # a day later the link has expired
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert client.get(location).status_code == 404


def test_nothing_about_the_buyer_changes_through_a_lookup(client, order):
    location = look_up(client, order)
    client.get(location)
    customer = Customer.objects.get(pk=order.customer_id)
    assert not customer.marketing_consent
    assert not NpsResponse.objects.exists()
    assert lookup_path(order).startswith("/track/northwind/order/")

"""Where our predicted delivery day shows: on the tracking page and in shipment emails only when the carrier
gives no estimate, labelled as ours; and to the merchant, the predictor's accuracy per carrier."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.dispatch import build_email
from apps.campaigns.models import FlowKind, FlowStep
from apps.core.formats import delivery_day
from apps.shipments.learning import transit_relearn
from apps.shipments.models import ShipmentStatus, TransitAccuracy
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.shipments.prediction_data import NOW, known_transit_history
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db

OUR_LABEL = "Estimated by Northwind Coffee from past deliveries"


@pytest.fixture
def order():
    store = StoreFactory(name="Northwind Coffee", time_zone="Europe/Rome")
    buyer = CustomerFactory(store=store, locale="en", time_zone="")
    return OrderFactory(store=store, customer=buyer, email=buyer.email, locale="en")


def in_days(days: int):
    return timezone.localdate() + timedelta(days=days)


def page_of(client, order) -> str:
    response = client.get(order.get_tracking_url())
    assert response.status_code == 200
    return response.content.decode()


# --- The tracking page ---------------------------------------------------------------------------------
def test_the_tracking_page_shows_the_carriers_estimate_when_there_is_one_and_not_ours(client, order):
    ShipmentFactory(order=order, in_transit=True, estimated_delivery=in_days(2), predicted_delivery=in_days(4))
    page = page_of(client, order)
    assert f'datetime="{in_days(2).isoformat()}"' in page
    assert f'datetime="{in_days(4).isoformat()}"' not in page
    assert OUR_LABEL not in page


def test_without_a_carrier_estimate_the_tracking_page_shows_ours_labelled_as_ours(client, order):
    ShipmentFactory(order=order, in_transit=True, estimated_delivery=None, predicted_delivery=in_days(3))
    page = page_of(client, order)
    assert f'<time datetime="{in_days(3).isoformat()}">' in page
    assert "Estimated delivery" in page
    assert OUR_LABEL in page


def test_the_self_refreshing_part_of_the_page_shows_ours_labelled_too(client, order):
    ShipmentFactory(order=order, in_transit=True, estimated_delivery=None, predicted_delivery=in_days(3))
    response = client.get(reverse("tracking:live", args=[order.tracking_token]))
    assert response.status_code == 200
    assert OUR_LABEL in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"predicted_delivery": None}, "no prediction: not enough deliveries"),
        ({"predicted_delivery": in_days(-2)}, "a day gone by is no estimate"),
        ({"predicted_delivery": in_days(3), "status": ShipmentStatus.EXCEPTION}, "a problem: no delivery day"),
        (
            {"predicted_delivery": in_days(3), "status": ShipmentStatus.AVAILABLE_FOR_PICKUP},
            "waiting at a pickup point",
        ),
    ],
)
def test_the_tracking_page_shows_no_date_of_ours_it_cannot_stand_behind(client, order, fields, why):
    ShipmentFactory(order=order, in_transit=True, estimated_delivery=None, **fields)
    page = page_of(client, order)
    assert OUR_LABEL not in page, why
    assert "Estimated delivery" not in page, why


# --- Shipment emails -----------------------------------------------------------------------------------
def shipment_email(order, shipment):
    step = FlowStep.objects.filter(store=order.store, flow__kind=FlowKind.SHIPMENT_CONFIRMATION).first()
    message = MessageFactory(
        store=order.store, step=step, order=order, shipment=shipment, customer=order.customer, email=order.email
    )
    email, parts = build_email(message)
    return email, parts


def test_a_shipment_email_shows_our_estimate_labelled_as_ours(order):
    day = in_days(3)
    shipment = ShipmentFactory(order=order, in_transit=True, estimated_delivery=None, predicted_delivery=day)
    email, parts = shipment_email(order, shipment)
    ours = f"{delivery_day(day, 'en')} (estimated by Northwind Coffee from past deliveries)"
    assert ours in parts["html"]
    assert ours in email.body  # the text part too


def test_a_shipment_email_shows_the_carriers_estimate_without_our_label(order):
    shipment = ShipmentFactory(
        order=order, in_transit=True, estimated_delivery=in_days(2), predicted_delivery=in_days(5)
    )
    email, parts = shipment_email(order, shipment)
    assert delivery_day(in_days(2), "en") in parts["html"]
    assert delivery_day(in_days(5), "en") not in parts["html"]
    assert "from past deliveries" not in parts["html"] + email.body


# --- The merchant's accuracy page ----------------------------------------------------------------------
def test_the_merchant_reads_each_carriers_error_on_held_out_parcels_with_sample_sizes(
    client, manager, django_assert_max_num_queries
):
    known_transit_history(manager.store, parcels=60)
    transit_relearn(store=manager.store, now=NOW)
    # another store's figures stay its own
    TransitAccuracy.objects.create(
        store=StoreFactory(), carrier="fedex", deliveries=999, learned_from=0, tested=0, predicted=0
    )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dashboard:delivery_estimates"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-state="tested"' in page
    assert 'data-carrier="dhl"' in page and 'data-carrier="ups"' in page
    assert 'data-carrier="fedex"' not in page and "999" not in page
    dhl_row = page.split('data-carrier="dhl"')[1].split("</tr>")[0]
    assert ">60<" in dhl_row  # deliveries learned from
    assert ">0.00<" in dhl_row  # DHL's parcels were predicted to the day
    assert "Not enough deliveries yet" not in page
    assert "postcodes 20…" in page  # the route it learned: Germany → Milan's postal area


def test_before_any_learning_and_with_too_few_deliveries_the_page_says_so(client, manager):
    url = reverse("dashboard:delivery_estimates")
    assert "Not learned yet" in client.get(url).content.decode()
    known_transit_history(manager.store, parcels=10)  # 20 parcels: fewer than a carrier needs
    transit_relearn(store=manager.store, now=NOW)
    page = client.get(url).content.decode()
    assert 'data-state="not-enough"' in page
    assert "Not enough deliveries yet: 20 delivered parcels so far" in page
    assert page.count("Not enough deliveries yet (at least 30 needed)") == 2  # DHL and UPS
    assert "Not enough deliveries yet on any route." in page

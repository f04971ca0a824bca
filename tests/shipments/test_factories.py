import pytest

from apps.shipments.carriers import CARRIERS
from apps.shipments.models import ShipmentStatus
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_a_shipment_and_its_events_share_the_orders_store():
    order = OrderFactory()
    shipment = ShipmentFactory(order=order)
    event = TrackingEventFactory(shipment=shipment)
    assert shipment.store == order.store == event.store
    store = StoreFactory()
    by_store = TrackingEventFactory(store=store)
    assert by_store.shipment.store == by_store.shipment.order.store == store


def test_a_shipment_links_to_its_carriers_tracking_page():
    shipment = ShipmentFactory(carrier="dhl", tracking_number="1234567890")
    assert shipment.carrier_name == CARRIERS["dhl"].name
    assert shipment.tracking_url == CARRIERS["dhl"].url_for("1234567890")


@pytest.mark.parametrize(
    ("trait", "status"),
    [("in_transit", ShipmentStatus.IN_TRANSIT), ("delivered", ShipmentStatus.DELIVERED),
     ("exception", ShipmentStatus.EXCEPTION)],
)  # fmt: skip
def test_state_traits(trait, status):
    shipment = ShipmentFactory(**{trait: True})
    assert shipment.status == status
    assert shipment.last_event_at is not None
    assert (shipment.delivered_at is not None) == (status == ShipmentStatus.DELIVERED)


def test_events_get_distinct_dedupe_keys():
    shipment = ShipmentFactory()
    first, second = TrackingEventFactory(shipment=shipment), TrackingEventFactory(shipment=shipment)
    assert first.dedupe_key != second.dedupe_key

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.shipments.inputs import EventIn, ShipmentIn
from apps.shipments.models import Shipment
from apps.shipments.models import ShipmentStatus as S
from apps.shipments.services import shipment_record_events, shipment_upsert
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def event(hours: int, status: str, estimate: date | None = None) -> EventIn:
    return EventIn(occurred_at=T0 + timedelta(hours=hours), status=status, raw_status=status, source="test",
                   estimated_delivery=estimate)  # fmt: skip


def test_a_late_older_batch_does_not_rewind_the_delivery_estimate():
    shipment = ShipmentFactory()
    shipment_record_events(shipment=shipment, incoming=[event(10, S.IN_TRANSIT, date(2026, 5, 4))])
    shipment_record_events(shipment=shipment, incoming=[event(2, S.INFO_RECEIVED, date(2026, 5, 9))])
    shipment.refresh_from_db()
    assert shipment.estimated_delivery == date(2026, 5, 4)


def test_a_newer_estimate_replaces_the_old_one():
    shipment = ShipmentFactory()
    shipment_record_events(shipment=shipment, incoming=[event(10, S.IN_TRANSIT, date(2026, 5, 4))])
    shipment_record_events(shipment=shipment, incoming=[event(20, S.IN_TRANSIT, date(2026, 5, 6))])
    shipment.refresh_from_db()
    assert shipment.estimated_delivery == date(2026, 5, 6)


def test_the_same_number_first_without_then_with_a_carrier_is_one_shipment():
    order = OrderFactory()
    first, created = shipment_upsert(order=order, data=ShipmentIn(tracking_number="ZX-0001"))
    again, created_again = shipment_upsert(order=order, data=ShipmentIn(tracking_number="ZX-0001", carrier="dhl"))
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Shipment.objects.get(pk=first.pk).carrier == "dhl"


def test_a_number_is_read_for_its_carrier_and_public_link():
    shipment, _ = shipment_upsert(order=OrderFactory(), data=ShipmentIn(tracking_number="1Z999AA10123456784"))
    assert (shipment.carrier, shipment.carrier_name) == ("ups", "UPS")
    assert shipment.tracking_url.endswith("1Z999AA10123456784")


def test_a_shipment_needs_something_to_be_found_by():
    with pytest.raises(ValueError):
        shipment_upsert(order=OrderFactory(), data=ShipmentIn(tracking_number=""))


def test_a_store_id_attaches_to_the_shipment_a_carrier_webhook_created_first():
    order = OrderFactory()
    by_carrier, _ = shipment_upsert(order=order, data=ShipmentIn(tracking_number="1Z999AA10123456784"))
    by_store, created = shipment_upsert(
        order=order, data=ShipmentIn(tracking_number="1Z999AA10123456784", external_id="fulfillment-7")
    )
    assert not created
    assert by_store.pk == by_carrier.pk
    assert Shipment.objects.get(pk=by_carrier.pk).external_id == "fulfillment-7"

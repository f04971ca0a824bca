from datetime import timedelta

import factory
from django.utils import timezone

from apps.orders.models import OrderStatus
from apps.shipments.carriers import CARRIERS
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from tests.orders.factories import OrderFactory
from tests.stores.factories import StoreFactory, TenantFactory


def _carrier_name(code: str) -> str:
    carrier = CARRIERS.get(code)
    return carrier.name if carrier else code


def _carrier_url(code: str, number: str) -> str:
    carrier = CARRIERS.get(code)
    return carrier.url_for(number) if carrier and number else ""


class ShipmentFactory(TenantFactory):
    _store_from = ("order",)

    store = factory.SubFactory(StoreFactory)
    order = factory.SubFactory(OrderFactory, store=factory.SelfAttribute("..store"), status=OrderStatus.FULFILLED)
    carrier = factory.Iterator(list(CARRIERS))
    carrier_name = factory.LazyAttribute(lambda o: _carrier_name(o.carrier))
    tracking_number = factory.Sequence(lambda n: f"TRK{n:010d}")
    tracking_url = factory.LazyAttribute(lambda o: _carrier_url(o.carrier, o.tracking_number))
    status = ShipmentStatus.PENDING
    raw_status = "Pending"
    status_source = "aftership"
    shipped_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))

    class Meta:
        model = Shipment

    class Params:
        in_transit = factory.Trait(
            status=ShipmentStatus.IN_TRANSIT,
            raw_status="InTransit",
            last_event_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3)),
            estimated_delivery=factory.LazyFunction(lambda: (timezone.now() + timedelta(days=2)).date()),
        )
        delivered = factory.Trait(
            status=ShipmentStatus.DELIVERED,
            raw_status="Delivered",
            delivered_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
            last_event_at=factory.SelfAttribute("delivered_at"),
            estimated_delivery=factory.LazyAttribute(lambda o: o.delivered_at.date()),
        )
        exception = factory.Trait(
            status=ShipmentStatus.EXCEPTION,
            raw_status="Exception",
            last_event_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=5)),
        )


class TrackingEventFactory(TenantFactory):
    _store_from = ("shipment",)

    store = factory.SubFactory(StoreFactory)
    shipment = factory.SubFactory(ShipmentFactory, store=factory.SelfAttribute("..store"))
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))
    status = ShipmentStatus.IN_TRANSIT
    raw_status = "InTransit"
    source = "aftership"
    message = "Arrived at the sorting facility"
    city = "Bologna"
    country = "IT"
    dedupe_key = factory.Sequence(lambda n: f"evt-{n}")

    class Meta:
        model = TrackingEvent

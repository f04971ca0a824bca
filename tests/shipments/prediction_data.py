"""Generated shipments with known transit times, for the delivery-date predictor's tests."""

from datetime import UTC, date, datetime, timedelta

from apps.orders.models import Order, OrderStatus
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from apps.shipments.prediction import Delivery, Route
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def delivery(carrier="dhl", *, days=3, shipped_on=date(2026, 3, 2), origin="DE", country="IT", region="20"):
    """A delivered parcel for the pure model: shipped at 10:00 UTC, delivered `days` calendar days later."""
    shipped_at = datetime.combine(shipped_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    delivered_on = shipped_on + timedelta(days=days)
    return Delivery(
        route=Route(carrier, origin, country, region),
        shipped_at=shipped_at,
        delivered_at=shipped_at + timedelta(days=days),
        shipped_on=shipped_on,
        delivered_on=delivered_on,
    )


def delivered_shipment(store, *, carrier, days, shipped_at, country="IT", postcode="20121", origin="DE", estimate=None):
    """A delivered shipment in the database, with the carrier's first scan naming the origin country."""
    order = OrderFactory(store=store, customer=None, shipping_country=country, shipping_postcode=postcode)
    delivered_at = shipped_at + timedelta(days=days)
    shipment = ShipmentFactory(
        order=order,
        carrier=carrier,
        status=ShipmentStatus.DELIVERED,
        raw_status="Delivered",
        shipped_at=shipped_at,
        delivered_at=delivered_at,
        last_event_at=delivered_at,
        estimated_delivery=estimate,
    )
    TrackingEventFactory(
        shipment=shipment, occurred_at=shipped_at, status=ShipmentStatus.INFO_RECEIVED, country=origin, city=""
    )
    TrackingEventFactory(
        shipment=shipment, occurred_at=delivered_at, status=ShipmentStatus.DELIVERED, country=country, city=""
    )
    return shipment


def known_transit_history(store, *, parcels=90, now=NOW):
    """One parcel a day per carrier, the last shipped a week before `now`: DHL always takes 3 days from
    Germany to Milan, UPS 4, 5 or 6 in turn (5 ± 1), each carrier's own estimate a day early. Written in bulk
    (a few statements for hundreds of parcels), each with its first scan in Germany and its delivery scan."""
    plan = []
    for index in range(parcels):
        shipped_at = now - timedelta(days=7 + index, hours=2)
        plan += [("dhl", shipped_at, 3), ("ups", shipped_at, 4 + index % 3)]
    orders = Order.objects.bulk_create(
        Order(
            store=store,
            external_id=f"known-{store.pk}-{n}",
            number=f"#K{n}",
            placed_at=shipped_at - timedelta(hours=5),
            currency="EUR",
            status=OrderStatus.FULFILLED,
            shipping_country="IT",
            shipping_postcode="20121",
        )
        for n, (_, shipped_at, _) in enumerate(plan)
    )
    shipments = Shipment.objects.bulk_create(
        Shipment(
            store=store,
            order=order,
            carrier=carrier,
            tracking_number=f"K{store.pk}-{n}",
            status=ShipmentStatus.DELIVERED,
            shipped_at=shipped_at,
            delivered_at=shipped_at + timedelta(days=days),
            last_event_at=shipped_at + timedelta(days=days),
            estimated_delivery=(shipped_at + timedelta(days=days - 1)).date(),
        )
        for n, (order, (carrier, shipped_at, days)) in enumerate(zip(orders, plan, strict=True))
    )
    TrackingEvent.objects.bulk_create(
        TrackingEvent(
            store=store,
            shipment=shipment,
            occurred_at=at,
            status=status,
            raw_status=status,
            country=country,
            dedupe_key=f"{status}-{shipment.pk}",
        )
        for shipment in shipments
        for at, status, country in (
            (shipment.shipped_at, ShipmentStatus.INFO_RECEIVED, "DE"),
            (shipment.delivered_at, ShipmentStatus.DELIVERED, "IT"),
        )
    )
    return shipments

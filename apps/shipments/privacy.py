"""The shipments app's part of a buyer's GDPR export and erasure (apps/customers/privacy.py): the export's orders,
each with its parcels and their events (this app reads both), and the ids carriers file the parcels under.
"""

from django.db.models import Prefetch

from apps.customers.privacy import Erasure, PersonalData, iso, money
from apps.orders.models import Order

from .models import Shipment
from .selectors import shipment_external_ids


def export(*, customer, buyer) -> dict[str, list]:
    orders = (
        Order.objects.filter(buyer, store_id=customer.store_id)
        .prefetch_related("lines", Prefetch("shipments", queryset=Shipment.objects.prefetch_related("events")))
        .order_by("placed_at", "pk")
    )
    return {
        "orders": [
            {
                "number": o.number,
                "placed_at": iso(o.placed_at),
                "status": o.status,
                "email": o.email,
                "currency": o.currency,
                "total": money(o.total),
                "discount_codes": o.discount_codes,
                "ship_to": {
                    "name": o.shipping_name,
                    "city": o.shipping_city,
                    "postcode": o.shipping_postcode,
                    "country": o.shipping_country,
                },
                "lines": [
                    {"title": line.title, "quantity": line.quantity, "unit_price": money(line.unit_price)}
                    for line in o.lines.all()
                ],
                "shipments": [
                    {
                        "carrier": s.carrier_name or s.carrier,
                        "tracking_number": s.tracking_number,
                        "status": s.status,
                        "delivered_at": iso(s.delivered_at),
                        "events": [
                            {"at": iso(e.occurred_at), "status": e.status, "message": e.message, "place": e.place}
                            for e in s.events.all()
                        ],
                    }
                    for s in o.shipments.all()
                ],
            }
            for o in orders
        ],
    }


def erase(erasure: Erasure) -> None:
    erasure.external_ids |= shipment_external_ids(order_ids=erasure.order_ids)


PERSONAL_DATA = PersonalData("shipments", export=export, erase=erase, after=("orders",))

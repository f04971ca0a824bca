"""The orders app's part of a buyer's GDPR export and erasure (apps/customers/privacy.py): their carts in the export
(their orders come with their parcels: apps/shipments/privacy.py); erasing blanks what their orders and carts say
about the person and finds the order ids and shop ids the other parts need.
"""

from apps.customers.privacy import Erasure, PersonalData, iso, money

from .models import Cart
from .selectors import buyer_external_ids
from .services import buyer_anonymise


def export(*, customer, buyer) -> dict[str, list]:
    carts = Cart.objects.filter(buyer, store_id=customer.store_id).prefetch_related("lines").order_by("updated_at")
    return {
        "carts": [
            {
                "updated_at": iso(c.updated_at),
                "subtotal": money(c.subtotal),
                "currency": c.currency,
                "converted": c.converted_order_id is not None,
                "lines": [{"title": line.title, "quantity": line.quantity} for line in c.lines.all()],
            }
            for c in carts
        ],
    }


def erase(erasure: Erasure) -> None:
    who = {"store_id": erasure.store_id, "customer_id": erasure.customer_id}
    # Found before the rows change: deliveries about the buyer are filed under these ids.
    erasure.external_ids |= buyer_external_ids(**who, email=erasure.email)
    erasure.order_ids = buyer_anonymise(**who, email=erasure.email, anonymous=erasure.anonymous, now=erasure.now)


PERSONAL_DATA = PersonalData("orders", export=export, erase=erase)

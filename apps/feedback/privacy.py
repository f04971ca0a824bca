"""The feedback app's part of a buyer's GDPR export and erasure (apps/customers/privacy.py): their NPS answers;
erasing keeps the scores (the store's NPS stands) and blanks their words and the case notes about them.
"""

from django.db.models import Q

from apps.customers.privacy import Erasure, PersonalData, iso
from apps.orders.models import Order

from .models import NpsResponse
from .services.nps import nps_anonymise


def export(*, customer, buyer) -> dict[str, list]:
    orders = Order.objects.filter(buyer, store_id=customer.store_id)
    responses = NpsResponse.objects.filter(store_id=customer.store_id).filter(
        Q(customer=customer) | Q(order__in=orders.values("pk"))
    )
    return {
        "nps_answers": [
            {
                "order": r.order.number,
                "score": r.score,
                "comment": r.comment,
                "topics": r.topics,
                "answered_at": iso(r.created_at),
                "changed_at": iso(r.modified_at),
            }
            for r in responses.select_related("order").order_by("created_at", "pk")
        ],
    }


def erase(erasure: Erasure) -> None:
    nps_anonymise(
        store_id=erasure.store_id, customer_id=erasure.customer_id, order_ids=erasure.order_ids, now=erasure.now
    )


PERSONAL_DATA = PersonalData("feedback", export=export, erase=erase, after=("orders",))

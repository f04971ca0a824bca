"""The reviews app's part of a buyer's erasure (apps/customers/privacy.py): their reviews go, with their photos."""

from apps.customers.privacy import Erasure, PersonalData

from .services import reviews_anonymise


def erase(erasure: Erasure) -> None:
    reviews_anonymise(store_id=erasure.store_id, customer_id=erasure.customer_id, order_ids=erasure.order_ids)


PERSONAL_DATA = PersonalData("reviews", erase=erase, after=("orders",))

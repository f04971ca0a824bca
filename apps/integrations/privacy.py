"""The integrations app's part of a buyer's erasure (apps/customers/privacy.py): their raw deliveries (webhooks
and API calls found by their address or the ids the shop and carriers file them under) lose body and headers at
once rather than at the retention purge.
"""

from apps.customers.privacy import Erasure, PersonalData

from .services.inbound import inbound_anonymise


def erase(erasure: Erasure) -> None:
    inbound_anonymise(store_id=erasure.store_id, email=erasure.email, object_ids=erasure.external_ids, now=erasure.now)


PERSONAL_DATA = PersonalData("integrations", erase=erase, after=("orders", "shipments"))

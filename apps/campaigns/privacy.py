"""The email engine's part of a buyer's GDPR export and erasure (apps/customers/privacy.py): the emails planned
and sent to them and their coupons; erasing keeps the ledger rows (flow results stand) without address or content.
"""

from apps.customers.privacy import Erasure, PersonalData, iso

from .models import Coupon, Message
from .services.messages import messages_anonymise


def export(*, customer, buyer) -> dict[str, list]:
    messages = Message.objects.filter(buyer, store_id=customer.store_id).select_related("step__flow")
    return {
        "emails": [
            {
                "flow": m.step.flow.name,
                "step": m.step.key,
                "to": m.email,
                "status": m.status,
                "subject": m.subject,
                "scheduled_for": iso(m.scheduled_for),
                "sent_at": iso(m.sent_at),
                "opened_at": iso(m.opened_at),
                "clicked_at": iso(m.clicked_at),
            }
            for m in messages.order_by("scheduled_for", "pk")
        ],
        "coupons": [
            {"code": c.code, "issued_at": iso(c.issued_at), "redeemed_at": iso(c.redeemed_at)}
            for c in Coupon.objects.filter(customer=customer).order_by("issued_at", "pk")
        ],
    }


def erase(erasure: Erasure) -> None:
    messages_anonymise(
        store_id=erasure.store_id,
        customer_id=erasure.customer_id,
        email=erasure.email,
        anonymous=erasure.anonymous,
        now=erasure.now,
    )


PERSONAL_DATA = PersonalData("campaigns", export=export, erase=erase)

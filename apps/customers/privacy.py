"""GDPR for one buyer: everything we hold about them as JSON (access and portability), and erasure.

Erasure anonymises rather than deletes: the customer row, their orders and amounts stay, so the
store's figures (revenue, NPS, flow results) do not change, but nothing left points to the person:
the email becomes `erased-<id>@invalid`, names, phone, addresses, email bodies and free-text comments
are blanked, raw webhook and API payloads about the buyer are blanked at once (not at the retention
purge), and the address is suppressed with the reason `erased` so no email goes out again.
"""

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from .models import ConsentEvent, Customer, SuppressionReason

EXPORT_VERSION = 1


def _iso(value):
    return value.isoformat() if value else None


def _money(value):
    return str(value) if value is not None else None


def erased_email(customer: Customer) -> str:
    return f"erased-{customer.pk}@invalid"


def _buyer(customer: Customer) -> Q:
    """Rows about this buyer: linked to the customer, or carrying their email without a link (guest rows)."""
    return Q(customer=customer) | Q(customer__isnull=True, email=customer.email)


def customer_export(*, customer: Customer) -> dict:
    """Everything the store holds about one buyer, as plain JSON-ready data."""
    from apps.campaigns.models import Coupon, Message
    from apps.feedback.models import NpsResponse
    from apps.orders.models import Cart, Order
    from apps.shipments.models import Shipment

    buyer = _buyer(customer)
    orders = (
        Order.objects.filter(buyer, store_id=customer.store_id)
        .prefetch_related("lines", Prefetch("shipments", queryset=Shipment.objects.prefetch_related("events")))
        .order_by("placed_at", "pk")
    )
    carts = Cart.objects.filter(buyer, store_id=customer.store_id).prefetch_related("lines").order_by("updated_at")
    messages = Message.objects.filter(buyer, store_id=customer.store_id).select_related("step__flow")
    responses = NpsResponse.objects.filter(store_id=customer.store_id).filter(
        Q(customer=customer) | Q(order__in=orders.values("pk"))
    )
    return {
        "format": "afterglow-customer-export",
        "version": EXPORT_VERSION,
        "exported_at": _iso(timezone.now()),
        "store": {"name": customer.store.name, "website": customer.store.website_url},
        "customer": {
            "id": customer.pk,
            "external_id": customer.external_id,
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "phone": customer.phone,
            "language": customer.locale,
            "time_zone": customer.time_zone,
            "marketing_consent": customer.marketing_consent,
            "consent_source": customer.consent_source,
            "consent_at": _iso(customer.consent_at),
            "suppressed_at": _iso(customer.suppressed_at),
            "suppression_reason": customer.suppression_reason,
            "wants_shipping_updates": customer.wants_shipping_updates,
            "wants_review_requests": customer.wants_review_requests,
            "wants_offers": customer.wants_offers,
            "marketing_paused_until": _iso(customer.marketing_paused_until),
            "created_at": _iso(customer.created_at),
        },
        "consent_history": [
            {"granted": e.granted, "source": e.source, "at": _iso(e.occurred_at), "note": e.note}
            for e in ConsentEvent.objects.filter(customer=customer).order_by("occurred_at", "pk")
        ],
        "orders": [
            {
                "number": o.number,
                "placed_at": _iso(o.placed_at),
                "status": o.status,
                "email": o.email,
                "currency": o.currency,
                "total": _money(o.total),
                "discount_codes": o.discount_codes,
                "ship_to": {
                    "name": o.shipping_name,
                    "city": o.shipping_city,
                    "postcode": o.shipping_postcode,
                    "country": o.shipping_country,
                },
                "lines": [
                    {"title": line.title, "quantity": line.quantity, "unit_price": _money(line.unit_price)}
                    for line in o.lines.all()
                ],
                "shipments": [
                    {
                        "carrier": s.carrier_name or s.carrier,
                        "tracking_number": s.tracking_number,
                        "status": s.status,
                        "delivered_at": _iso(s.delivered_at),
                        "events": [
                            {"at": _iso(e.occurred_at), "status": e.status, "message": e.message, "place": e.place}
                            for e in s.events.all()
                        ],
                    }
                    for s in o.shipments.all()
                ],
            }
            for o in orders
        ],
        "carts": [
            {
                "updated_at": _iso(c.updated_at),
                "subtotal": _money(c.subtotal),
                "currency": c.currency,
                "converted": c.converted_order_id is not None,
                "lines": [{"title": line.title, "quantity": line.quantity} for line in c.lines.all()],
            }
            for c in carts
        ],
        "emails": [
            {
                "flow": m.step.flow.name,
                "step": m.step.key,
                "to": m.email,
                "status": m.status,
                "subject": m.subject,
                "scheduled_for": _iso(m.scheduled_for),
                "sent_at": _iso(m.sent_at),
                "opened_at": _iso(m.opened_at),
                "clicked_at": _iso(m.clicked_at),
            }
            for m in messages.order_by("scheduled_for", "pk")
        ],
        "nps_answers": [
            {
                "order": r.order.number,
                "score": r.score,
                "comment": r.comment,
                "topics": r.topics,
                "answered_at": _iso(r.created_at),
                "changed_at": _iso(r.modified_at),
            }
            for r in responses.select_related("order").order_by("created_at", "pk")
        ],
        "coupons": [
            {"code": c.code, "issued_at": _iso(c.issued_at), "redeemed_at": _iso(c.redeemed_at)}
            for c in Coupon.objects.filter(customer=customer).order_by("issued_at", "pk")
        ],
    }


class EraseError(ValueError):
    """The confirmation did not match; nothing was erased."""


@transaction.atomic
def customer_erase(*, customer: Customer, confirm_email: str) -> Customer:
    """Anonymise a buyer (see the module's note). `confirm_email` must be their current email, typed
    by the person erasing: a guard against erasing the wrong buyer. Erasing twice changes nothing."""
    from apps.campaigns.services.messages import messages_anonymise
    from apps.feedback.services.nps import nps_anonymise
    from apps.integrations.services.inbound import inbound_anonymise
    from apps.orders.selectors import buyer_external_ids
    from apps.orders.services import buyer_anonymise
    from apps.reviews.services import reviews_anonymise
    from apps.shipments.selectors import shipment_external_ids

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if (confirm_email or "").strip().lower() != customer.email:
        raise EraseError("Type the customer's email address exactly to confirm.")
    now = timezone.now()
    anonymous = erased_email(customer)
    who = {"store_id": customer.store_id, "customer_id": customer.pk}
    filed_under = buyer_external_ids(**who, email=customer.email) | {customer.external_id} - {""}
    order_ids = buyer_anonymise(**who, email=customer.email, anonymous=anonymous, now=now)
    filed_under |= shipment_external_ids(order_ids=order_ids)
    inbound_anonymise(store_id=customer.store_id, email=customer.email, object_ids=filed_under, now=now)
    messages_anonymise(**who, email=customer.email, anonymous=anonymous, now=now)
    nps_anonymise(**who, order_ids=order_ids, now=now)
    reviews_anonymise(**who, order_ids=order_ids)
    ConsentEvent.objects.filter(customer=customer).update(note="", modified_at=now)

    customer.email = anonymous
    customer.external_id = ""
    customer.first_name = customer.last_name = customer.phone = ""
    customer.marketing_consent = False
    customer.suppressed_at = customer.suppressed_at or now
    customer.suppression_reason = SuppressionReason.ERASED
    customer.save()
    return customer

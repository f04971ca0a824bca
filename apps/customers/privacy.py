"""GDPR for one buyer: everything we hold about them as JSON (access and portability), and erasure.

Erasure anonymises rather than deletes: the customer row, their orders and amounts stay, so the
store's figures (revenue, NPS, flow results) do not change, but nothing left points to the person:
the email becomes `erased-<id>@invalid`, names, phone, addresses, email bodies and free-text comments
are blanked, raw webhook and API payloads about the buyer are blanked at once (not at the retention
purge), and the address is suppressed with the reason `erased` so no email goes out again.

This module owns the export's layout and the customer's own rows; each app that holds something about a buyer
registers its part in its AppConfig.ready() with `personal_data_register(PersonalData(...))` (its
`privacy.py`), so customers imports none of the apps above it. Parts erase in the order their `after` asks
(the orders part first: the others read the order ids and external ids it finds), then the customer row.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ConsentEvent, Customer, SuppressionReason

EXPORT_VERSION = 1
# The sections other apps fill, in the order the file lists them after the customer and their consent history.
EXPORT_SECTIONS = ("orders", "carts", "emails", "nps_answers", "coupons")


def iso(value) -> str | None:
    return value.isoformat() if value else None


def money(value) -> str | None:
    return str(value) if value is not None else None


def erased_email(customer: Customer) -> str:
    return f"erased-{customer.pk}@invalid"


def buyer_rows(customer: Customer) -> Q:
    """Rows about this buyer: linked to the customer, or carrying their email without a link (guest rows)."""
    return Q(customer=customer) | Q(customer__isnull=True, email=customer.email)


@dataclass
class Erasure:
    """One buyer being erased, and what the parts find on the way (each reads what the parts it runs after
    found): the buyer's order ids, and the ids shops and carriers file deliveries about them under."""

    store_id: int
    customer_id: int
    email: str  # their address before erasure
    anonymous: str  # what replaces it
    now: datetime
    order_ids: list[int] = field(default_factory=list)
    external_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class PersonalData:
    """What one app holds about a buyer. `export(customer=, buyer=)` returns {section: rows} for sections named
    in EXPORT_SECTIONS (`buyer` is `buyer_rows(customer)`); `erase(erasure)` blanks it inside the erasure's
    transaction; `after` names the parts whose findings `erase` reads."""

    name: str
    export: Callable[..., dict[str, list]] | None = None
    erase: Callable[[Erasure], object] | None = None
    after: tuple[str, ...] = ()


PARTS: dict[str, PersonalData] = {}


def personal_data_register(*parts: PersonalData) -> None:
    """Declare an app's part of the export and the erasure (idempotent: the same name twice keeps the first)."""
    for part in parts:
        PARTS.setdefault(part.name, part)


def parts_in_order() -> list[PersonalData]:
    """The registered parts, each after the parts it names in `after` (else in registration order)."""
    done: dict[str, PersonalData] = {}

    def place(part: PersonalData, path: tuple[str, ...]) -> None:
        if part.name in done:
            return
        if part.name in path:
            raise ValueError(f"personal data parts wait on each other: {' → '.join((*path, part.name))}")
        for name in part.after:
            if name not in PARTS:
                raise ValueError(f"personal data part {part.name!r} runs after {name!r}, which nothing registered")
            place(PARTS[name], (*path, part.name))
        done[part.name] = part

    for part in PARTS.values():
        place(part, ())
    return list(done.values())


def customer_export(*, customer: Customer) -> dict:
    """Everything the store holds about one buyer, as plain JSON-ready data."""
    buyer = buyer_rows(customer)
    sections: dict[str, list] = {}
    for part in parts_in_order():
        if part.export is None:
            continue
        for name, rows in part.export(customer=customer, buyer=buyer).items():
            if name not in EXPORT_SECTIONS or name in sections:
                raise ValueError(f"personal data part {part.name!r} exports {name!r}: unknown or already given")
            sections[name] = rows
    return {
        "format": "afterglow-customer-export",
        "version": EXPORT_VERSION,
        "exported_at": iso(timezone.now()),
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
            "consent_at": iso(customer.consent_at),
            "suppressed_at": iso(customer.suppressed_at),
            "suppression_reason": customer.suppression_reason,
            "wants_shipping_updates": customer.wants_shipping_updates,
            "wants_review_requests": customer.wants_review_requests,
            "wants_offers": customer.wants_offers,
            "marketing_paused_until": iso(customer.marketing_paused_until),
            "created_at": iso(customer.created_at),
        },
        "consent_history": [
            {"granted": e.granted, "source": e.source, "at": iso(e.occurred_at), "note": e.note}
            for e in ConsentEvent.objects.filter(customer=customer).order_by("occurred_at", "pk")
        ],
        **{name: sections[name] for name in EXPORT_SECTIONS if name in sections},
    }


class EraseError(ValueError):
    """The confirmation did not match; nothing was erased."""


@transaction.atomic
def customer_erase(*, customer: Customer, confirm_email: str) -> Customer:
    """Anonymise a buyer (see the module's note). `confirm_email` must be their current email, typed
    by the person erasing: a guard against erasing the wrong buyer. Erasing twice changes nothing."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if (confirm_email or "").strip().lower() != customer.email:
        raise EraseError("Type the customer's email address exactly to confirm.")
    now = timezone.now()
    erasure = Erasure(
        store_id=customer.store_id,
        customer_id=customer.pk,
        email=customer.email,
        anonymous=erased_email(customer),
        now=now,
        external_ids={customer.external_id} - {""},
    )
    for part in parts_in_order():
        if part.erase is not None:
            part.erase(erasure)
    ConsentEvent.objects.filter(customer=customer).update(note="", modified_at=now)

    customer.email = erasure.anonymous
    customer.external_id = ""
    customer.first_name = customer.last_name = customer.phone = ""
    customer.marketing_consent = False
    customer.suppressed_at = customer.suppressed_at or now
    customer.suppression_reason = SuppressionReason.ERASED
    customer.save()
    return customer

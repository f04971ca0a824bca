from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.core.bounds import column, money_limit
from apps.core.events import announce_after_commit
from apps.core.upsert import lock_or_create
from apps.stores.models import Language, Store

from . import events
from .inputs import CustomerIn
from .models import ConsentEvent, ConsentSource, Customer, SuppressionReason

TOTAL_SPENT_MAX = money_limit(column(Customer, "total_spent"))


def normalise_email(email: str) -> str:
    return email.strip().lower()


@transaction.atomic
def customer_get_or_create(*, store: Store, email: str, **fields) -> tuple[Customer, bool]:
    return Customer.objects.get_or_create(store=store, email=normalise_email(email), defaults=fields)


@transaction.atomic
def customer_set_marketing_consent(
    *, customer: Customer, granted: bool, source: ConsentSource, note: str = "", at=None
) -> Customer:
    """Change consent and keep its history; setting what is already set records nothing."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.marketing_consent == granted:
        return customer
    at = at or timezone.now()
    customer.marketing_consent = granted
    customer.consent_source = source
    customer.consent_at = at
    customer.save(update_fields=["marketing_consent", "consent_source", "consent_at", "modified_at"])
    ConsentEvent.objects.create(
        store_id=customer.store_id, customer=customer, granted=granted, source=source, occurred_at=at, note=note
    )
    return customer


@transaction.atomic
def customer_suppress(*, customer: Customer, reason: SuppressionReason, at=None, note: str = "") -> Customer:
    """No more email of any kind to this address for this store. The first reason is kept. `note` says more
    than the reason (a bounce that was repeated soft bounces) in the consent history it withdraws."""
    updated = Customer.objects.filter(pk=customer.pk, suppressed_at__isnull=True).update(
        suppressed_at=at or timezone.now(), suppression_reason=reason, modified_at=timezone.now()
    )
    customer.refresh_from_db()
    if updated:  # what buyer pages offer them changes (no newsletter form for a suppressed address)
        announce_after_commit(events.customer_changed_in_bulk, Customer, customer_id=customer.pk)
    if updated and customer.marketing_consent:
        note = f"{reason}: {note}" if note else reason
        customer_set_marketing_consent(customer=customer, granted=False, source=ConsentSource.ESP, note=note[:200])
    return customer


@transaction.atomic
def customer_upsert(*, store: Store, data: CustomerIn, consent_source: ConsentSource) -> Customer:
    """Create or refresh a customer; an empty incoming field never blanks a known one.

    The shop's id names the person: a known id arriving with a new address is that customer changing
    their email, not a second customer. Without an id (or for an id we have not seen) the address does.
    """
    email = normalise_email(data.email)
    customer = _customer_for(store=store, email=email, external_id=data.external_id)
    changed = []
    for name in ("external_id", "first_name", "last_name", "phone", "locale", "time_zone"):
        value = getattr(data, name)
        if name == "external_id" and value and _external_id_taken(store, value, but=customer.pk):
            continue  # the id is held by the record of the person's other address: it stays there
        if value and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if changed:
        customer.save(update_fields=[*changed, "modified_at"])
    if data.accepts_marketing is not None:
        customer_record_consent_statement(
            customer=customer, granted=data.accepts_marketing, source=consent_source, at=data.consent_at
        )
        customer.refresh_from_db()
    return customer


def _external_id_taken(store: Store, external_id: str, *, but: int) -> bool:
    return Customer.objects.filter(store=store, external_id=external_id).exclude(pk=but).exists()


def _customer_for(*, store: Store, email: str, external_id: str) -> Customer:
    """The locked row for this person, created when new. Call inside a transaction."""
    if external_id:
        known = Customer.objects.select_for_update().filter(store=store, external_id=external_id).first()
        if known is not None and known.email != email:
            holder = Customer.objects.select_for_update().filter(store=store, email=email).first()
            if holder is not None:
                # Both addresses have records (a guest order under the new one, say): write to the record
                # of the address in hand; merging two people's histories is a decision for a person.
                return holder
            return _customer_change_email(known, email)
        if known is not None:
            return known
    customer, _ = lock_or_create(Customer, lookup={"store": store, "email": email}, defaults={})
    return customer


def _customer_change_email(customer: Customer, email: str) -> Customer:
    """The buyer changed address at the shop. A hard bounce belonged to the old address, so it no longer
    suppresses; a complaint, a staff suppression or an erasure is about the person and stays."""
    customer.email = email
    fields = ["email", "modified_at"]
    if customer.suppression_reason == SuppressionReason.BOUNCE:
        customer.suppressed_at, customer.suppression_reason = None, ""
        fields += ["suppressed_at", "suppression_reason"]
    customer.save(update_fields=fields)
    return customer


@transaction.atomic
def customer_record_consent_statement(*, customer: Customer, granted: bool, source: ConsentSource, at=None) -> Customer:
    """Consent as a source reports it (a checkout box, a shop's customer record). Only a statement newer
    than the consent we hold changes it: a shop re-sending an old order's "accepts marketing" after the
    buyer unsubscribed here is history, not a new answer. A statement without a moment is taken as now."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    at = at or timezone.now()
    if customer.consent_at is not None and at <= customer.consent_at:
        return customer
    return customer_set_marketing_consent(customer=customer, granted=granted, source=source, at=at)


def customer_record_order_stats(*, customer_id: int, count: int, spent, first, last) -> None:
    """Store a customer's order aggregates, as counted by the orders app. The total spend saturates at
    what its column holds: every order fits its own column, but a hundred of the largest would not fit
    this one, and an order is never refused for what its buyer bought before."""
    spent = min(spent or 0, TOTAL_SPENT_MAX)
    Customer.objects.filter(pk=customer_id).update(
        orders_count=count, total_spent=spent, first_order_at=first, last_order_at=last, modified_at=timezone.now()
    )


MARKETING_PAUSE_CHOICES = (30, 90)


@transaction.atomic
def customer_set_preferences(
    *,
    customer: Customer,
    shipping_updates: bool | None = None,
    review_requests: bool | None = None,
    offers: bool | None = None,
    pause_days: int | None = None,
    locale: str | None = None,
    at=None,
) -> Customer:
    """Store what the buyer chose in the preference centre; None leaves a choice as it is.

    `pause_days` 30 or 90 pauses marketing from `at` (consent is kept); 0 lifts a pause.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    at = at or timezone.now()
    changed: list[str] = []
    for name, value in (
        ("wants_shipping_updates", shipping_updates),
        ("wants_review_requests", review_requests),
        ("wants_offers", offers),
    ):
        if value is not None and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if pause_days is not None:
        if pause_days and pause_days not in MARKETING_PAUSE_CHOICES:
            raise ValueError(f"pause_days must be 0 or one of {MARKETING_PAUSE_CHOICES}")
        until = at + timedelta(days=pause_days) if pause_days else None
        if customer.marketing_paused_until != until:
            customer.marketing_paused_until = until
            changed.append("marketing_paused_until")
    if locale is not None and locale != customer.locale:
        if locale and locale not in Language.values:
            raise ValueError(f"unknown language {locale!r}")
        customer.locale = locale
        changed.append("locale")
    if changed:
        customer.save(update_fields=[*changed, "modified_at"])
    return customer

"""ESP reports (through Anymail's tracking signal) fed back into the ledger, consent and suppression."""

import hashlib
import json
import logging
from datetime import timedelta

from anymail.signals import AnymailTrackingEvent, EventType
from django.db import transaction
from django.utils import timezone

from apps.customers.models import ConsentSource, Customer, SuppressionReason
from apps.customers.services import customer_set_marketing_consent, customer_suppress

from ..bounces import classify, repeated_failure, soft_bounces_since_last_delivery
from ..models import BounceKind, Message, MessageEvent

logger = logging.getLogger(__name__)


APPLE_PRIVACY_PROXY_AGENT = "Mozilla/5.0"


RECIPIENT_MATCH_WINDOW = timedelta(days=30)


def find_message(event: AnymailTrackingEvent) -> Message | None:
    metadata = event.metadata or {}
    if str(metadata.get("message_id", "")).isdigit():
        # Our own ids are sequential: one is believed only beside the address it was sent to.
        message = Message.objects.filter(pk=int(metadata["message_id"])).first()
        if message and (not event.recipient or event.recipient.lower() == message.email.lower()):
            return message
    if event.message_id:
        message = Message.objects.filter(esp_message_id=str(event.message_id)).first()
        if message:
            return message
    if event.recipient:
        # Some ESP events carry no message id (Mailgun failures): the latest email to that address
        # is the one the report is about, as far as anyone can tell.
        # Within the store the report names when it names one (our metadata): an address that buys from
        # two stores is two customers, and one store's bounce must not suppress the other's.
        since = timezone.now() - RECIPIENT_MATCH_WINDOW
        messages = Message.objects.filter(email=event.recipient.lower(), sent_at__gte=since)
        if metadata.get("store"):
            messages = messages.filter(store__slug=str(metadata["store"]))
        return messages.order_by("-sent_at", "-id").first()
    return None


def is_machine_open(event: AnymailTrackingEvent) -> bool:
    """Opens made by mail privacy proxies (Apple Mail) load images for everyone: not engagement."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if raw.get("sg_machine_open") in (True, "true"):
        return True
    return (event.user_agent or "").strip() == APPLE_PRIVACY_PROXY_AGENT


def event_key(event: AnymailTrackingEvent) -> str:
    """The ESP's id for the event. Some ESPs give none (Brevo, Mailjet, Mandrill, Unisender Go): then its
    kind, moment and address, or, for the few reports without a moment, a digest of the report itself."""
    if event.event_id:
        key = str(event.event_id)
    elif event.timestamp:
        key = f"{event.event_type}:{event.timestamp.isoformat()}:{event.recipient or ''}"
    else:
        raw = json.dumps(event.esp_event, sort_keys=True, default=str)
        key = f"{event.event_type}:{event.recipient or ''}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"
    return key[:255]


def esp_event_record(*, event: AnymailTrackingEvent, esp_name: str) -> MessageEvent | None:
    message = find_message(event)
    if message is None:
        logger.info("%s %s event for an unknown message %s", esp_name, event.event_type, event.message_id)
        return None
    occurred_at = event.timestamp or timezone.now()
    machine = event.event_type == EventType.OPENED and is_machine_open(event)
    bounce = classify(event, esp_name)
    with transaction.atomic():
        recorded, created = MessageEvent.objects.get_or_create(
            message=message, esp_event_id=event_key(event),
            defaults={"event_type": event.event_type, "occurred_at": occurred_at, "machine": machine,
                      "bounce": bounce or "",
                      "detail": (event.description or event.mta_response or event.reject_reason or "")[:500],
                      "raw": event.esp_event if isinstance(event.esp_event, dict) else {}},
        )  # fmt: skip
        if created:
            _apply(message, event, occurred_at, machine, bounce)
    return recorded


def _first(message: Message, field: str, at) -> dict:
    return {field: at} if getattr(message, field) is None else {}


def _apply(message: Message, event: AnymailTrackingEvent, at, machine: bool, bounce: BounceKind | None) -> None:
    kind, changes = event.event_type, {}
    if kind == EventType.DELIVERED:
        changes = _first(message, "delivered_at", at)
    elif kind == EventType.OPENED:
        changes = {"machine_opened": True} if machine else _first(message, "opened_at", at)
    elif kind == EventType.CLICKED:
        changes = {**_first(message, "clicked_at", at), **_first(message, "opened_at", at)}
    elif bounce == BounceKind.COMPLAINT:
        changes = _first(message, "complained_at", at)
        _suppress(message, SuppressionReason.COMPLAINT)
    elif bounce is not None:
        # Any bounce means this email did not arrive; only a hard one, or soft ones repeated, end the address.
        changes = _first(message, "bounced_at", at)
        if bounce == BounceKind.HARD:
            _suppress(message, SuppressionReason.BOUNCE)
        else:
            _count_soft_bounce(message)
    elif kind == EventType.UNSUBSCRIBED or (kind == EventType.REJECTED and event.reject_reason == "unsubscribed"):
        customer = _customer(message)
        if customer is not None:
            customer_set_marketing_consent(customer=customer, granted=False, source=ConsentSource.ESP,
                                           note=f"unsubscribed at the ESP ({message.pk})")  # fmt: skip
    if changes:
        Message.objects.filter(pk=message.pk).update(**changes, modified_at=timezone.now())


def _customer(message: Message) -> Customer | None:
    if message.customer_id:
        return message.customer
    return Customer.objects.filter(store_id=message.store_id, email=message.email.lower()).first()


def _count_soft_bounce(message: Message) -> None:
    """Suppress the address once its soft bounces add up (campaigns.bounces). The customer's row is locked
    first, so two reports arriving together are counted one after the other, never both short."""
    customer = _customer(message)
    if customer is not None:
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
    times = soft_bounces_since_last_delivery(store_id=message.store_id, email=message.email)
    if repeated_failure(times):
        span_hours = round((max(times) - min(times)).total_seconds() / 3600)
        note = f"repeated soft bounces: {len(times)} in {span_hours} hours, no delivery in between"
        logger.info("message %s: address suppressed after %s", message.pk, note)
        _suppress(message, SuppressionReason.BOUNCE, note=note)


def _suppress(message: Message, reason: str, note: str = "") -> None:
    customer = _customer(message)
    if customer is None:
        customer, _ = Customer.objects.get_or_create(store_id=message.store_id, email=message.email.lower())
    customer_suppress(customer=customer, reason=reason, note=note)

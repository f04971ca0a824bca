"""ESP reports (through Anymail's tracking signal) fed back into the ledger, consent and suppression."""

import logging
from datetime import timedelta

from anymail.signals import AnymailTrackingEvent, EventType
from django.db import transaction
from django.utils import timezone

from apps.customers.models import ConsentSource, Customer, SuppressionReason
from apps.customers.services import customer_set_marketing_consent, customer_suppress

from .models import Message, MessageEvent

logger = logging.getLogger(__name__)

# Bounces an ESP reports as temporary: they do not suppress the address.
SOFT_BOUNCE_MARKERS = ({"Type": "SoftBounce"}, {"Type": "Transient"}, {"severity": "temporary"})
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
        since = timezone.now() - RECIPIENT_MATCH_WINDOW
        return (
            Message.objects.filter(email=event.recipient.lower(), sent_at__gte=since)
            .order_by("-sent_at", "-id")
            .first()
        )
    return None


def is_machine_open(event: AnymailTrackingEvent) -> bool:
    """Opens made by mail privacy proxies (Apple Mail) load images for everyone: not engagement."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if raw.get("sg_machine_open") in (True, "true"):
        return True
    return (event.user_agent or "").strip() == APPLE_PRIVACY_PROXY_AGENT


def _is_soft_bounce(event: AnymailTrackingEvent) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return any(all(raw.get(k) == v for k, v in marker.items()) for marker in SOFT_BOUNCE_MARKERS)


def esp_event_record(*, event: AnymailTrackingEvent, esp_name: str) -> MessageEvent | None:
    message = find_message(event)
    if message is None:
        logger.info("%s %s event for an unknown message %s", esp_name, event.event_type, event.message_id)
        return None
    occurred_at = event.timestamp or timezone.now()
    esp_event_id = str(event.event_id or f"{event.event_type}:{occurred_at.isoformat()}:{event.recipient or ''}")[:255]
    machine = event.event_type == EventType.OPENED and is_machine_open(event)
    with transaction.atomic():
        recorded, created = MessageEvent.objects.get_or_create(
            message=message, esp_event_id=esp_event_id,
            defaults={"event_type": event.event_type, "occurred_at": occurred_at, "machine": machine,
                      "detail": (event.description or event.mta_response or event.reject_reason or "")[:500],
                      "raw": event.esp_event if isinstance(event.esp_event, dict) else {}},
        )  # fmt: skip
        if created:
            _apply(message, event, occurred_at, machine)
    return recorded


def _first(message: Message, field: str, at) -> dict:
    return {field: at} if getattr(message, field) is None else {}


def _apply(message: Message, event: AnymailTrackingEvent, at, machine: bool) -> None:
    kind, changes = event.event_type, {}
    if kind == EventType.DELIVERED:
        changes = _first(message, "delivered_at", at)
    elif kind == EventType.OPENED:
        changes = {"machine_opened": True} if machine else _first(message, "opened_at", at)
    elif kind == EventType.CLICKED:
        changes = {**_first(message, "clicked_at", at), **_first(message, "opened_at", at)}
    elif kind == EventType.BOUNCED or (kind == EventType.REJECTED and event.reject_reason in ("bounced", "invalid")):
        changes = _first(message, "bounced_at", at)
        if not _is_soft_bounce(event):
            _suppress(message, SuppressionReason.BOUNCE)
    elif kind == EventType.COMPLAINED:
        changes = _first(message, "complained_at", at)
        _suppress(message, SuppressionReason.COMPLAINT)
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


def _suppress(message: Message, reason: str) -> None:
    customer = _customer(message)
    if customer is None:
        customer, _ = Customer.objects.get_or_create(store_id=message.store_id, email=message.email.lower())
    customer_suppress(customer=customer, reason=reason)

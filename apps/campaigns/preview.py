"""Previews with sample data, and test sends to the merchant: nothing here touches the ledger."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from anymail.message import AnymailMessage
from django.conf import settings
from django.utils import timezone, translation

from apps.core.mailbox import store_sender

from .context import lines_context, money, store_context
from .copy import copy_for
from .dispatch import _pick
from .flows import definition_for
from .models import FlowStep
from .rendering import RenderedEmail, render_email


@dataclass(frozen=True)
class Preview:
    language: str
    email: RenderedEmail


def sample_context(step: FlowStep, language: str) -> dict:
    """A believable order, shipment, cart and coupon, in the store's currency and the chosen language."""
    store = step.store
    currency = store.currency
    lines = [
        SimpleNamespace(title="Ethiopia Yirgacheffe, 250 g", quantity=2, unit_price=Decimal("12.50"), image_url=""),
        SimpleNamespace(title="Ceramic pour-over dripper", quantity=1, unit_price=Decimal("24.00"), image_url=""),
    ]
    copy = copy_for(language)
    eta = timezone.localdate() + timedelta(days=3)
    with translation.override(language):
        from django.utils import formats

        eta_text = formats.date_format(eta, "DATE_FORMAT")
    return {
        "language": language,
        "store": store_context(store),
        "labels": copy.LABELS,
        "customer": {"first_name": "Alex", "last_name": "Sample", "email": "alex@example.com"},
        "order": {
            "number": "#1001",
            "total": money(Decimal("49.00"), currency, language),
            "currency": currency,
            "lines": lines_context(lines, currency, language),
        },
        "shipment": {
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://www.ups.com/",
            "status": step.trigger_status or "in_transit",
            "status_label": "",
            "estimated_delivery": eta_text,
        },
        "cart": {
            "lines": lines_context(lines, currency, language),
            "subtotal": money(Decimal("49.00"), currency, language),
            "recovery_url": store.website_url or settings.SITE_URL,
        },
        "product": {"name": "Ethiopia Yirgacheffe, 250 g", "url": store.website_url or settings.SITE_URL},
        "coupon": {
            "code": "SAMPLE-7QX4",
            "description": copy.LABELS["percent_off"].format(value=10),
            "expires": eta_text,
        }
        if step.incentive_kind
        else None,
        "links": {
            "tracking": f"{settings.SITE_URL}/t/sample/",
            "preferences": f"{settings.SITE_URL}/preferences/sample/",
            "unsubscribe": f"{settings.SITE_URL}/unsubscribe/sample/",
        },
        "nps_links": [{"score": n, "url": f"{settings.SITE_URL}/nps/sample/{n}/"} for n in range(11)],
        "recommendations": [],
    }


def preview_step(*, step: FlowStep, language: str, subject=None, preheader=None, body=None) -> Preview:
    """Render a step (or unsaved edits of it) with sample data. Raises TemplateError for bad templates."""
    fallback = step.store.default_language
    with translation.override(language):
        email = render_email(
            subject=subject if subject is not None else _pick(step.subject, language, fallback),
            preheader=preheader if preheader is not None else _pick(step.preheader, language, fallback),
            body=body if body is not None else _pick(step.body, language, fallback),
            context=sample_context(step, language),
            blocks=definition_for(step.flow.kind).blocks,
            advertising=not step.flow.is_transactional,  # the merchant sees the (광고) mark a Korean buyer gets
        )
    return Preview(language=language, email=email)


def send_test(*, step: FlowStep, language: str, to: str) -> None:
    """Send the preview to a teammate. Marked as a test in the subject; never recorded in the ledger."""
    preview = preview_step(step=step, language=language)
    store = step.store
    message = AnymailMessage(
        subject=f"[TEST] {preview.email.subject}",
        body=preview.email.text,
        from_email=store_sender(store),
        to=[to],
    )
    message.attach_alternative(preview.email.html, "text/html")
    message.tags = ["test-send"]
    message.send()

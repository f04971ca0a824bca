"""Previews with sample data, and test sends to the merchant: nothing here touches the ledger."""

import html
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from anymail.message import AnymailMessage
from django.conf import settings
from django.utils import timezone, translation

from apps.core.mailbox import store_sender
from apps.orders.models import CartLeaveReason

from .context import lines_context, money, store_context
from .copy import copy_for
from .dispatch import _pick
from .flows import definition_for
from .models import FlowStep, StepEditor
from .rendering import RenderedEmail, TemplateError, render_email, render_merchant


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

        from apps.shipments.models import ShipmentStatus

        eta_text = formats.date_format(eta, "DATE_FORMAT")
        status = step.trigger_status or ShipmentStatus.IN_TRANSIT
        status_label = str(ShipmentStatus(status).label) if status in ShipmentStatus.values else ""
    website = store.website_url or settings.SITE_URL
    product = {
        "name": "Ethiopia Yirgacheffe, 250 g",
        "url": website,
        "image_url": "",
        "price": money(Decimal("12.50"), currency, language),
    }
    recommendations = [
        product,
        {
            "name": "Ceramic pour-over dripper",
            "url": website,
            "image_url": "",
            "price": money(Decimal("24.00"), currency, language),
        },
        {
            "name": "Paper filters, 100",
            "url": website,
            "image_url": "",
            "price": money(Decimal("6.90"), currency, language),
        },
        {
            "name": "Colombia Huila, 250 g",
            "url": website,
            "image_url": "",
            "price": money(Decimal("11.00"), currency, language),
        },
    ]
    return {
        "language": language,
        "store": store_context(store),
        "labels": copy.LABELS,
        "customer": {"first_name": "Alex", "last_name": "Sample", "email": "alex@example.com"},
        "order": {
            "number": "#1001",
            "placed_at": formats_day(timezone.localdate(), language),
            "total": money(Decimal("49.00"), currency, language),
            "currency": currency,
            "lines": lines_context(lines, currency, language),
        },
        "shipment": {
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://www.ups.com/",
            "status": status,
            "status_label": status_label,
            "estimated_delivery": eta_text,
        },
        "cart": {
            "lines": lines_context(lines, currency, language),
            "subtotal": money(Decimal("49.00"), currency, language),
            "recovery_url": store.website_url or settings.SITE_URL,
        },
        "product": product,
        "product_list": [product],
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
        "cart_reason_links": {
            reason: f"{settings.SITE_URL}/cart/sample/{reason}/" for reason in CartLeaveReason.values
        },
        "recommendations": recommendations,
    }


def formats_day(day, language: str) -> str:
    with translation.override(language):
        from django.utils import formats

        return formats.date_format(day, "DATE_FORMAT")


def sample_subject(step: FlowStep, language: str | None = None) -> str:
    """The step's subject as a buyer would read it, filled with the sample order (for titles in the dashboard:
    never raw template code). The raw text when it does not render."""
    language = language or step.store.default_language
    source = _pick(step.subject or {}, language, step.store.default_language)
    if not source:
        return ""
    try:
        with translation.override(language):
            rendered = render_merchant(source, sample_context(step, language))
    except TemplateError:
        return source
    return " ".join(html.unescape(rendered).split()) or source


_STEP = object()  # preview_step: the step's own design and editor


def preview_step(
    *, step: FlowStep, language: str, subject=None, preheader=None, body=None, design=_STEP, editor=None
) -> Preview:
    """Render a step (or unsaved edits of it) with sample data. Raises TemplateError for bad templates.

    `editor`: "blocks" or "html" (the step's own when None). `design`: the blocks to render in blocks mode
    (already validated: design.blocks.validate_design); left out, the step's design in the language (or its
    fallback). In blocks mode with no blocks in any language, the HTML body is shown, as dispatch sends it."""
    fallback = step.store.default_language
    if editor is None:  # a body given to preview is the advanced mode's HTML, unless blocks are given too
        editor = StepEditor.HTML if body is not None and design is _STEP else step.editor
    if editor != StepEditor.BLOCKS:
        design = None
    elif design is _STEP or not design:
        designs = step.design or {}
        design = designs.get(language) or designs.get(fallback) or designs.get("en") or None
    context = sample_context(step, language)
    with translation.override(language):
        email = render_email(
            subject=subject if subject is not None else _pick(step.subject, language, fallback),
            preheader=preheader if preheader is not None else _pick(step.preheader, language, fallback),
            body=body if body is not None else _pick(step.body, language, fallback),
            context=context,
            blocks=definition_for(step.flow.kind).blocks,
            advertising=not step.flow.is_transactional,  # the merchant sees the (광고) mark a Korean buyer gets
            design=design,
        )
    return Preview(language=language, email=email)


def send_test(*, step: FlowStep, language: str, to: str, design=_STEP, editor=None) -> None:
    """Send the preview to a teammate. Marked as a test in the subject; never recorded in the ledger."""
    preview = preview_step(step=step, language=language, design=design, editor=editor)
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

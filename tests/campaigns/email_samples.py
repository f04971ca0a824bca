"""A believable message context for rendering a step's design in tests: an order with shipping, a discount and
tax, a shipment on its way, a cart, a product to reorder, recommendations and a coupon, in the store's currency
and the language's words (the shape campaigns.context documents)."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.utils import timezone, translation

from apps.campaigns.context import lines_context, money, store_context
from apps.campaigns.copy import copy_for
from apps.campaigns.design.defaults import default_design
from apps.campaigns.rendering import render_email
from apps.core import formats

LINES = [
    SimpleNamespace(title="Ethiopia Yirgacheffe, 250 g", quantity=2, unit_price=Decimal("12.50"), image_url=""),
    SimpleNamespace(title="Ceramic pour-over dripper", quantity=1, unit_price=Decimal("24.00"), image_url=""),
]
PROGRESS = [("Ordered", "done"), ("Shipped", "done"), ("In transit", "current"), ("Delivered", "todo")]


def sample_email_context(step, language: str, *, shipping=Decimal("4.90"), discount=Decimal("5.00")) -> dict:
    store = step.store
    currency = store.currency
    labels = copy_for(language).LABELS
    eta = timezone.localdate() + timedelta(days=3)
    with translation.override(language):
        eta_text = formats.long_date(eta, language)
    subtotal = sum(line.unit_price * line.quantity for line in LINES)
    total = subtotal - (discount or 0) + (shipping or 0)
    product = {
        "name": "Ethiopia Yirgacheffe, 250 g",
        "url": f"{store.website_url}/products/yirgacheffe",
        "image_url": "",
        "price": money(Decimal("12.50"), currency, language),
    }
    return {
        "language": language,
        "store": store_context(store),
        "labels": labels,
        "customer": {"first_name": "Alex", "last_name": "Sample", "email": "alex@example.com"},
        "order": {
            "number": "#1001",
            "placed_at": eta_text,
            "total": money(total, currency, language),
            "subtotal": money(subtotal, currency, language),
            "discount": money(discount, currency, language) if discount else "",
            "shipping": money(shipping, currency, language) if shipping else "",
            "tax": "",
            "currency": currency,
            "lines": lines_context(LINES, currency, language),
        },
        "shipment": {
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
            "status": step.trigger_status or "in_transit",
            "status_label": "In transit",
            "status_note": "",
            "estimated_delivery": eta_text,
            "progress": [{"label": label, "state": state} for label, state in PROGRESS],
        },
        "cart": {
            "lines": lines_context(LINES, currency, language),
            "subtotal": money(subtotal, currency, language),
            "recovery_url": f"{store.website_url}/cart/recover/abc",
        },
        "product": product,
        "product_list": [product],
        "coupon": {
            "code": "SAMPLE-7QX4",
            "description": labels["percent_off"].format(value=10),
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
        "recommendations": [
            {
                "name": name,
                "url": f"{store.website_url}/products/{slug}",
                "image_url": "",
                "price": money(price, currency, language),
            }
            for name, slug, price in (
                ("Kenya AA, 250 g", "kenya", Decimal("13.90")),
                ("Glass carafe, 600 ml", "carafe", Decimal("29.00")),
                ("Paper filters, 100 pcs", "filters", Decimal("6.50")),
                ("Hand grinder", "grinder", Decimal("54.00")),
            )
        ],
    }


def render_default(step, language: str, **context_changes):
    """The step's default design in the language, rendered as a buyer gets it."""
    context = sample_email_context(step, language, **context_changes)
    with translation.override(language):
        return render_email(
            subject=step.subject[language],
            preheader=step.preheader[language],
            body=step.body[language],
            context=context,
            blocks=(),
            # As dispatch decides: marketing mail, or any mail carrying an offer, is advertising.
            advertising=not step.flow.is_transactional or bool(context["coupon"]),
            design=default_design(step.flow.kind, step.key, language),
        )

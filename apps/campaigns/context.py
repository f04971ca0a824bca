"""The plain-dict context a message is rendered with. Documented, because merchants write templates
against it: nothing here is a model, so a template can reach no method and no setting.

    store:    name, website_url, support_email, review_url, logo_url, colours, social_links, social [{name, url}],
              postal_address
    customer: first_name, last_name, email
    order:    number, placed_at, total, subtotal, discount, shipping, tax (empty when zero), currency,
              lines [{title, quantity, price, total, image_url}]
    shipment: carrier, tracking_number, tracking_url, status, status_label, status_note, estimated_delivery
              (the carrier's day, else ours from past deliveries with a note saying so),
              pickup_location, pickup_deadline, progress [{label, state}]
              (status_label and status_note are the tracking page's own words for the status, in the
              email's language; status_note says what happens next)
    cart:     lines [...], subtotal, recovery_url
    product:  name, url, image_url, price              (replenishment; also as product_list [product])
    coupon:   code, description, expires               (when the step carries an incentive)
    recommendations: [{name, url, image_url, price}]
    links:    tracking, review (our review page for the order), preferences, unsubscribe
    reviews:  [{rating, stars, title, text, author, product}]  the store's best published reviews
    nps_links: [{score, url}] for 0..10
    cart_reason_links: {price, shipping_cost, delivery_time, payment, just_looking, other}: the cart's answer links
"""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation

from apps.core import formats
from apps.core.contrast import DEFAULT_ACCENT, DEFAULT_PRIMARY, readable_text_on
from apps.core.safe_values import css_colour, web_links
from apps.shipments.estimates import delivery_estimate_text
from apps.stores.models import SocialNetwork
from apps.tracking.progress import PROBLEM_STATUSES, shipment_progress, status_story

from . import links
from .copy import copy_for

NO_ESTIMATE_STATUSES = {*PROBLEM_STATUSES, "available_for_pickup", "delivered"}


def money(amount, currency: str, language: str) -> str:
    """As the buyer pages write it (apps.core.formats): '39 000 ₽', '39,000원', '39.000,00 €'."""
    return formats.money(Decimal(amount or 0), currency, language)


def day(value, language: str) -> str:
    """As the buyer pages write it (apps.core.formats): '1 dicembre 2026', '2026 ж. 1 желтоқсан'."""
    return formats.long_date(value, language)


def buyer_day(value, language: str, store, customer) -> str:
    """A moment's day in the buyer's time zone, as the tracking page shows it (order placed, coupon expiry)."""
    with timezone.override(_zone(store, customer)):
        return day(value, language)


def store_context(store) -> dict:
    """The store as emails see it. Worked out once per store object and its branding: a batch's emails share the
    object (sending.batch.load), and the colours' contrast and the links' checks cost more than the email."""
    logo = store.logo.name if store.logo else ""
    fields = (store.name, store.website_url, store.support_email, store.review_url, logo, store.primary_colour,
              store.accent_colour, store.background_colour, store.font_family, repr(store.social_links),
              store.postal_address, settings.SITE_URL, settings.MEDIA_URL)  # fmt: skip
    remembered = store.__dict__.get("_email_context")
    if remembered is None or remembered[0] != fields:
        remembered = store.__dict__["_email_context"] = (fields, _store_context(store))
    return dict(remembered[1])


def _store_context(store) -> dict:
    logo_url = links.absolute(f"{settings.MEDIA_URL.rstrip('/')}/{store.logo.name}") if store.logo else ""
    if logo_url.startswith("media/"):
        logo_url = links.absolute("/" + logo_url)
    return {
        "name": store.name,
        "website_url": store.website_url,
        "support_email": store.support_email,
        "review_url": store.review_url,
        "logo_url": logo_url,
        "primary_colour": store.primary_colour,
        "accent_colour": store.accent_colour,
        "background_colour": store.background_colour,
        # A colour stored before validation existed must not break the email: its fallback's text colour.
        "on_primary": readable_text_on(css_colour(store.primary_colour, DEFAULT_PRIMARY)),
        "on_accent": readable_text_on(css_colour(store.accent_colour, DEFAULT_ACCENT)),
        "font_family": store.font_family,
        "social_links": dict(store.social_links or {}),
        "social": social_context(store.social_links),
        "postal_address": store.postal_address,
    }


def social_context(social_links) -> list[dict]:
    """As buyers read them: "TikTok", "YouTube" (each network's own spelling), web addresses only."""
    return [
        {"name": SocialNetwork(network).label if network in SocialNetwork.values else network.title(), "url": url}
        for network, url in web_links(social_links or {})
    ]


def lines_context(lines, currency: str, language: str) -> list[dict]:
    return [
        {
            "title": line.title,
            "quantity": line.quantity,
            "price": money(line.unit_price, currency, language),
            "total": money(line.unit_price * line.quantity, currency, language),
            "image_url": line.image_url,
        }
        for line in lines
    ]


def message_context(
    message, *, language: str, blocks: tuple[str, ...], coupon=None, recommendations=(), advertising=None
) -> dict:
    """`advertising` (default: marketing mail) adds the preferences and unsubscribe links."""
    if advertising is None:
        advertising = not message.transactional
    store = message.store
    copy = copy_for(language)
    context: dict = {
        "language": language,
        "store": store_context(store),
        "labels": copy.LABELS,
        "customer": {},
        "links": {},
        "recommendations": [
            {"name": p.name, "url": p.url, "image_url": p.image_url,
             "price": money(p.price, p.currency or store.currency, language) if p.price else ""}
            for p in recommendations
        ],
    }  # fmt: skip
    if message.customer_id:
        customer = message.customer
        context["customer"] = {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
        }
        if advertising:
            context["links"]["preferences"] = links.preferences_link(customer)
            context["links"]["unsubscribe"] = links.unsubscribe_link(customer)
    if message.order_id:
        order = message.order
        context["order"] = {
            "number": order.number,
            "placed_at": buyer_day(order.placed_at, language, store, message.customer),
            "total": money(order.total, order.currency, language),
            # The order summary's lines under the products: shown when not zero.
            "subtotal": money(order.subtotal, order.currency, language) if order.subtotal else "",
            "discount": money(order.discount_total, order.currency, language) if order.discount_total else "",
            "shipping": money(order.shipping_total, order.currency, language) if order.shipping_total else "",
            "tax": money(order.tax_total, order.currency, language) if order.tax_total else "",
            "currency": order.currency,
            "lines": lines_context(order.lines.all(), order.currency, language),
        }
        context["links"]["tracking"] = links.tracking_link(order)
        context["links"]["review"] = links.review_link(order)
        if "nps" in blocks:
            context["nps_links"] = links.nps_links(order)
    if message.shipment_id:
        shipment = message.shipment
        context["shipment"] = {
            "carrier": shipment.carrier_name or shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "status": shipment.status,
            **shipment_status_context(shipment, language=language, store=store, customer=message.customer),
            # As on the tracking page: no delivery day for a parcel that waits to be collected, has arrived
            # or has a problem (it would promise what the status says will not happen).
            "estimated_delivery": ""
            if shipment.status in NO_ESTIMATE_STATUSES
            else delivery_estimate_text(shipment, language=language, store=store),
        }
    if message.cart_id:
        cart = message.cart
        context["cart"] = {
            "lines": lines_context(cart.lines.all(), cart.currency, language),
            "subtotal": money(cart.subtotal, cart.currency, language),
            "recovery_url": cart.recovery_url,
        }
        if "cart_reason" in blocks:
            context["cart_reason_links"] = links.cart_reason_links(cart)
    if message.product_id:
        product = message.product
        context["product"] = {
            "name": product.name,
            "url": product.url,
            "image_url": product.image_url,
            "price": money(product.price, product.currency or store.currency, language) if product.price else "",
        }
        context["product_list"] = [context["product"]]  # the products block shows it like any product
    if "reviews" in blocks:
        from .block_content import reviews_for_email

        context["reviews"] = reviews_for_email(store=store)
    if coupon is not None:
        context["coupon"] = {
            "code": coupon.code,
            "description": coupon_description(coupon, copy.LABELS, language),
            "expires": buyer_day(coupon.expires_at, language, store, message.customer),
        }
    return context


def coupon_description(coupon, labels: dict, language: str) -> str:
    if coupon.kind == "percent":
        return labels["percent_off"].format(value=f"{coupon.value.normalize():f}")
    if coupon.kind == "fixed":
        return labels["amount_off"].format(value=money(coupon.value, coupon.store.currency, language))
    return labels["free_shipping"]


def _zone(store, customer) -> zoneinfo.ZoneInfo:
    for name in (getattr(customer, "time_zone", ""), store.time_zone):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def shipment_status_context(shipment, *, language: str, store, customer=None) -> dict:
    """The shipment's status as its tracking page tells it (apps.tracking.progress: one definition for both),
    in the email's language and the buyer's time zone: never the dashboard's status names."""
    events = list(shipment.events.all())
    with translation.override(language), timezone.override(_zone(store, customer)):
        story = status_story(shipment, events=events, store_name=store.name)
        steps = [{"label": str(step.label), "state": step.state} for step in shipment_progress(shipment, events).steps]
        deadline = day(story.pickup_deadline, language) if story.pickup_deadline else ""
    return {
        "status_label": story.headline,
        "status_note": story.next_step,
        "pickup_location": story.pickup_location,
        "pickup_deadline": deadline,
        "progress": steps,
    }

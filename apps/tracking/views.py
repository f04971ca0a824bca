from dataclasses import dataclass, field

from django.core import signing
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.feedback.links import nps_scale, preferences_path
from apps.feedback.selectors import nps_response_for_order
from apps.orders.models import Order, OrderStatus
from apps.orders.selectors import order_by_id_for_page, order_by_tracking_token, order_for_lookup
from apps.shipments.carriers import CARRIERS
from apps.shipments.models import Shipment, ShipmentStatus
from apps.stores.models import SocialNetwork, Store

from . import blocks
from .buyer import (
    brand_css,
    buyer_time_zone,
    choose_language,
    language_links,
    remember_language,
    use_language,
)
from .forms import NewsletterForm, OrderLookupForm
from .links import lookup_order_id, lookup_path, unsign_target, web_url_or_empty
from .models import PageBlock, PageEventKind
from .progress import (
    FINAL_STATUSES,
    Progress,
    StatusStory,
    order_progress_preparing,
    shipment_progress,
    status_story,
)
from .selectors import recommendations_for_order, shipment_delay
from .services import newsletter_signup, page_event_record, page_views_record
from .throttle import allow, client_address

LOOKUPS_PER_WINDOW = 10
LOOKUP_WINDOW_SECONDS = 15 * 60
TOKEN_MAX_LENGTH = 32
POLL_SECONDS = 60


@dataclass
class ShipmentCard:
    """One shipment as its buyer sees it; built from loaded data, no queries."""

    shipment: Shipment
    story: StatusStory
    progress: Progress
    delay: str
    carrier_name: str
    carrier_url: str
    events: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.story.headline

    @property
    def is_delivered(self) -> bool:
        return self.shipment.status == ShipmentStatus.DELIVERED


def _shipment_card(shipment: Shipment, *, now, today, store_name: str) -> ShipmentCard:
    events = list(shipment.events.all())  # prefetched, newest first
    carrier = CARRIERS.get(shipment.carrier)
    carrier_url = web_url_or_empty(shipment.tracking_url)
    if not carrier_url and carrier and shipment.tracking_number:
        carrier_url = carrier.url_for(shipment.tracking_number)
    return ShipmentCard(
        shipment=shipment,
        story=status_story(shipment, events=events, store_name=store_name, now=now),
        progress=shipment_progress(shipment, events),
        delay=shipment_delay(shipment, events=events, now=now, today=today),
        carrier_name=shipment.carrier_name or (carrier.name if carrier else shipment.carrier),
        carrier_url=carrier_url,
        events=events,
    )


def _order_or_404(token: str) -> Order:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise Http404
    order = order_by_tracking_token(token=token)
    if order is None:
        raise Http404
    return order


def _live_context(order: Order, *, limited: bool = False) -> dict:
    """What the self-refreshing part of the page shows: shipments, and the NPS prompt once delivered."""
    now = timezone.now()
    today = timezone.localdate(now)  # the buyer's zone is active
    cards = [_shipment_card(s, now=now, today=today, store_name=order.store.name) for s in order.shipments.all()]
    cancelled = order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
    polling = not cancelled and (not cards or any(c.shipment.status not in FINAL_STATUSES for c in cards))
    delivered = any(card.is_delivered for card in cards)
    ready_for_pickup = any(card.shipment.status == ShipmentStatus.AVAILABLE_FOR_PICKUP for card in cards)
    # Over, but not all delivered: a parcel went back to the store, and the order has not "arrived".
    returned = not polling and any(card.shipment.status == ShipmentStatus.RETURNED for card in cards)
    asks_nps = delivered and not limited
    nps_response = nps_response_for_order(order=order) if asks_nps else None
    return {
        "limited": limited,
        "live_url": (reverse("tracking:live", args=[order.tracking_token]) if not limited else ""),
        "shipments": cards,
        "preparing_steps": order_progress_preparing().steps if not cards else [],
        "cancelled": cancelled,
        "polling": polling,
        "poll_seconds": POLL_SECONDS,
        "delivered": delivered,
        "ready_for_pickup": ready_for_pickup,
        "returned": returned,
        "asks_nps": asks_nps,
        "nps_response": nps_response,
        "nps_scale": nps_scale(order) if asks_nps else [],
        "review_url": web_url_or_empty(order.store.review_url),
    }


def _social_links(store: Store) -> list[dict]:
    names = dict(SocialNetwork.choices)
    links = []
    for network, url in (store.social_links or {}).items():
        if network in names and web_url_or_empty(url):
            links.append({"network": network, "name": names[network], "url": url})
    return links


def _buyer_context(request, order: Order, *, limited: bool = False) -> tuple[dict, str]:
    store = order.store
    language, remember = choose_language(request, store=store, customer=order.customer, order=order)
    use_language(request, language)
    personal = order.customer if order.customer and not limited else None
    return {
        "order": order,
        "store": store,
        "limited": limited,
        "buyer_name": personal.first_name if personal else "",
        "brand_css": brand_css(store),
        "languages": language_links(store, language),
        "preferences_path": preferences_path(personal) if personal else "",
    }, remember


def _render_in_buyer_zone(request, order: Order, template: str, context: dict, status: int = 200):
    with timezone.override(buyer_time_zone(store=order.store, customer=order.customer)):
        return render(request, template, context, status=status)


def _newsletter_state(order: Order, request) -> str:
    """'offer' (show the form), 'thanks' (just signed up) or '' (nothing to show)."""
    customer = order.customer
    if customer is not None and customer.is_suppressed:
        return ""
    if request.GET.get("subscribed") and (customer is None or customer.marketing_consent):
        return "thanks"
    if customer is not None and customer.marketing_consent:
        return ""
    return "offer" if (customer is not None or order.email) else ""


@never_cache
@require_safe
def tracking_page(request, token: str):
    return _tracking_response(request, _order_or_404(token))


@never_cache
@require_safe
def tracking_live(request, token: str):
    """The part of the page htmx refreshes every minute; without `hx-trigger` once all is final."""
    return _live_response(request, _order_or_404(token))


@never_cache
@require_safe
def lookup_result(request, store_slug: str, signed: str):
    """The order found by a lookup, in its limited form.

    A lookup proves that someone knows an order number and a postcode (or the email), not that they
    read the buyer's mail. So this page shows where the parcels are and what was ordered, but nothing
    that names the buyer or acts for them: no name, no preference centre, no newsletter signup, no
    NPS answer, no coupon; its links never carry the emailed token. The link lasts a day."""
    return _tracking_response(request, _looked_up_order_or_404(store_slug, signed), limited=True, signed=signed)


@never_cache
@require_safe
def lookup_result_live(request, store_slug: str, signed: str):
    return _live_response(request, _looked_up_order_or_404(store_slug, signed), limited=True, signed=signed)


def _looked_up_order_or_404(store_slug: str, signed: str) -> Order:
    store = get_object_or_404(Store, slug=store_slug)
    order_id = lookup_order_id(signed, store_id=store.pk)
    order = order_by_id_for_page(store=store, order_id=order_id) if order_id else None
    if order is None:
        raise Http404
    return order


def _live_for(order: Order, *, limited: bool, signed: str) -> dict:
    live = _live_context(order, limited=limited)
    if limited:
        live["live_url"] = reverse("tracking:lookup_result_live", args=[order.store.slug, signed])
    return live


def _tracking_response(request, order: Order, *, limited: bool = False, signed: str = ""):
    store = order.store
    context, remember = _buyer_context(request, order, limited=limited)
    with timezone.override(buyer_time_zone(store=store, customer=order.customer)):
        context.update(_live_for(order, limited=limited, signed=signed))
    recommendations = recommendations_for_order(order=order)
    coupon = None if limited else blocks.coupon_for_order(order)
    social = _social_links(store)
    newsletter = "" if limited else _newsletter_state(order, request)
    context.update(
        {
            "lines": list(order.lines.all()),
            "recommendations": recommendations,
            "coupon": coupon,
            "social_links": social,
            "newsletter": newsletter,
            # Back from a signup without the box ticked (no JS): the form again, with its error.
            "newsletter_form": NewsletterForm(data={}) if request.GET.get("newsletter") else NewsletterForm(),
        }
    )
    if request.method == "GET":
        shown = [
            block
            for block, visible in (
                (PageBlock.RECOMMENDATIONS, recommendations),
                (PageBlock.COUPON, coupon),
                (PageBlock.SOCIAL, social),
                (PageBlock.NEWSLETTER, newsletter == "offer"),
            )
            if visible
        ]
        page_views_record(order=order, blocks=shown)
    response = _render_in_buyer_zone(request, order, "tracking/page.html", context)
    remember_language(response, remember)
    return response


def _live_response(request, order: Order, *, limited: bool = False, signed: str = ""):
    context, _remember = _buyer_context(request, order, limited=limited)
    with timezone.override(buyer_time_zone(store=order.store, customer=order.customer)):
        context.update(_live_for(order, limited=limited, signed=signed))
    return _render_in_buyer_zone(request, order, "tracking/_live.html", context)


@never_cache
@require_POST
def newsletter(request, token: str):
    """Sign up from the tracking page: thanks inline through htmx, or back to the page without JS."""
    order = _order_or_404(token)
    form = NewsletterForm(request.POST)
    if form.is_valid():
        newsletter_signup(order=order)
    if not request.htmx:
        outcome = "subscribed=1" if form.is_valid() else "newsletter=missing"
        return HttpResponseRedirect(f"{order.get_tracking_url()}?{outcome}#newsletter")
    context, _remember = _buyer_context(request, order)
    context.update({"newsletter": "thanks" if form.is_valid() else "offer", "newsletter_form": form})
    return _render_in_buyer_zone(request, order, "tracking/_newsletter.html", context)


@never_cache
@require_safe
def go(request, token: str, block: str):
    """Count a click on a block's link, then send the buyer on. The target must carry our signature."""
    if block not in PageBlock.values:
        raise Http404
    order = _order_or_404(token)
    try:
        target = unsign_target(block, request.GET.get("to", ""))
    except signing.BadSignature:
        return HttpResponseBadRequest(_("This link is not valid."))
    if request.method == "GET":  # link checkers send HEAD: answered, not counted
        page_event_record(
            store_id=order.store_id, order_id=order.pk, block=block, kind=PageEventKind.CLICK, target=target
        )
    return HttpResponseRedirect(target)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def order_lookup(request, store_slug: str):
    store = get_object_or_404(Store, slug=store_slug)
    language, remember = choose_language(request, store=store)
    use_language(request, language)
    form = OrderLookupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not allow(
            f"lookup:{store.pk}:{client_address(request)}",
            limit=LOOKUPS_PER_WINDOW,
            window_seconds=LOOKUP_WINDOW_SECONDS,
        ):
            form.add_error(None, _("Too many attempts. Please wait a few minutes and try again."))
            status = 429
        elif form.is_valid():
            order = order_for_lookup(store=store, **form.cleaned_data)
            if order is not None:
                return redirect(lookup_path(order))
            # One answer for a wrong number and a wrong email alike, so orders cannot be enumerated.
            form.add_error(None, _("We could not find an order with those details."))
    context = {
        "store": store,
        "form": form,
        "brand_css": brand_css(store),
        "languages": language_links(store, language),
        "action": reverse("tracking:lookup", kwargs={"store_slug": store.slug}),
    }
    with timezone.override(buyer_time_zone(store=store)):
        response = render(request, "tracking/lookup.html", context, status=status)
    remember_language(response, remember)
    return response

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core import signing
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.middleware.csp import get_nonce
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import parse_etags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.orders.models import Order, OrderStatus
from apps.orders.selectors import order_for_lookup
from apps.shipments.carriers import CARRIERS
from apps.shipments.models import Shipment, ShipmentStatus
from apps.stores.models import SocialNetwork, Store

from . import blocks, page_cache
from .buyer import (
    brand_css,
    buyer_time_zone,
    choose_language,
    language_links,
    remember_language,
    use_language,
)
from .forms import NewsletterForm, OrderLookupForm
from .links import lookup_ids, lookup_path, unsign_target, web_url_or_empty
from .models import PageBlock, PageEventKind
from .origin import is_same_site_post
from .page_views import page_view_count
from .progress import (
    FINAL_STATUSES,
    Progress,
    StatusStory,
    order_progress_preparing,
    shipment_progress,
    status_story,
)
from .selectors import order_by_tracking_token, order_for_page, recommendations_for_order, shipment_delay
from .services import newsletter_signup, page_event_record
from .throttle import allow, client_address

LOOKUPS_PER_WINDOW = 10
LOOKUP_WINDOW_SECONDS = 15 * 60
TOKEN_MAX_LENGTH = 32
POLL_SECONDS = 60  # the first poll; tracking-live.js waits longer each time nothing changed, up to 10 minutes


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
    """What the self-refreshing part of the page shows: shipments, and the NPS prompt once delivered.

    `order` comes from `order_for_page`: shipments, events and the NPS answer are loaded."""
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
    answered = asks_nps and order.nps_score is not None
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
        "nps_response": SimpleNamespace(score=order.nps_score) if answered else None,
        "nps_scale": blocks.nps_scale(order) if asks_nps else [],
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
        "preferences_path": blocks.preferences_path(personal) if personal else "",
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


# --- Which order a request names ----------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """The order a tracking URL names, as far as it is known before any query, and the form it asks for."""

    order_id: int | None
    store_id: int | None
    token: str = ""  # the emailed token (the full page)
    limited: bool = False  # reached by an order lookup (see lookup_result)
    store_slug: str = ""
    signed: str = ""

    def matches(self, stamp: page_cache.Stamp) -> bool:
        """Whether a cached order is the one this URL names (a lookup also names its store)."""
        if self.limited:
            return (stamp.store_id, stamp.store_slug) == (self.store_id, self.store_slug)
        return stamp.token == self.token

    def live_url(self) -> str:
        if self.limited:
            return reverse("tracking:lookup_result_live", args=[self.store_slug, self.signed])
        return reverse("tracking:live", args=[self.token])


def _token_target(token: str) -> Target:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise Http404
    known = page_cache.order_ids_for_token(token)
    return Target(order_id=known[0] if known else None, store_id=known[1] if known else None, token=token)


def _lookup_target(store_slug: str, signed: str) -> Target:
    ids = lookup_ids(signed)
    if ids is None:
        raise Http404
    store_id, order_id = ids
    return Target(order_id=order_id, store_id=store_id, limited=True, store_slug=store_slug, signed=signed)


def _load_order_or_404(target: Target, *, kind: str) -> Order:
    with_lines = kind == "page"
    if target.limited:
        order = order_for_page(order_id=target.order_id, store_id=target.store_id, with_lines=with_lines)
        if order is None or order.store.slug != target.store_slug:
            raise Http404
    else:
        order = order_for_page(token=target.token, with_lines=with_lines)
        if order is None:
            if target.order_id is not None:
                page_cache.forget_token(target.token)  # the order was deleted
            raise Http404
    return order


# --- Views ------------------------------------------------------------------------------------
@never_cache
@require_safe
def tracking_page(request, token: str):
    return _serve(request, _token_target(token), kind="page")


@never_cache
@require_safe
def tracking_live(request, token: str):
    """The part of the page tracking-live.js refreshes (ETag / 304); without a poll URL once all is final."""
    return _serve(request, _token_target(token), kind="live")


@never_cache
@require_safe
def lookup_result(request, store_slug: str, signed: str):
    """The order found by a lookup, in its limited form.

    A lookup proves that someone knows an order number and a postcode (or the email), not that they
    read the buyer's mail. So this page shows where the parcels are and what was ordered, but nothing
    that names the buyer or acts for them: no name, no preference centre, no newsletter signup, no
    NPS answer, no coupon; its links never carry the emailed token. The link lasts a day."""
    return _serve(request, _lookup_target(store_slug, signed), kind="page")


@never_cache
@require_safe
def lookup_result_live(request, store_slug: str, signed: str):
    return _serve(request, _lookup_target(store_slug, signed), kind="live")


def _variant(request, target: Target, kind: str) -> str:
    """What besides order and language changes the cached body: the limited form, and the newsletter
    block after a signup without JavaScript (?subscribed= thanks, ?newsletter= the form with its error)."""
    if target.limited:
        return "limited"
    if kind == "page" and request.GET.get("subscribed"):
        return "subscribed"
    if kind == "page" and request.GET.get("newsletter"):
        return "missing"
    return "full"


def _stamp_language(request, stamp: page_cache.Stamp) -> tuple[str, str]:
    return choose_language(
        request,
        store=SimpleNamespace(offered_languages=stamp.offered_languages, default_language=stamp.default_language),
        customer=SimpleNamespace(locale=stamp.customer_locale),
        order=SimpleNamespace(locale=stamp.order_locale),
    )


def _serve(request, target: Target, *, kind: str):
    """A tracking page or its live part: from the cache when this order version and language were rendered,
    else rendered from at most four queries (order_for_page, and the coupon) and cached.

    The versions are read before the database, so a change committed during the render leaves the
    rendered body under versions nobody asks for any more (and see page_cache on young versions). A token
    seen for the first time is looked up and remembered, but its render is not cached: its versions could
    only be read after its rows."""
    versions = None
    if target.order_id is not None:
        variant = _variant(request, target, kind)
        chosen: dict[str, tuple[str, str]] = {}

        def key_for(versions_key: str, stamp: page_cache.Stamp) -> str:
            if not target.matches(stamp):
                return ""
            chosen[versions_key] = _stamp_language(request, stamp)
            return page_cache.part_key(kind, target.order_id, versions_key, chosen[versions_key][0], variant)

        versions, stamp, part = page_cache.find(target.order_id, target.store_id, key_for)
        if part is not None:
            language, remember = chosen[versions.key]
            use_language(request, language)
            return _respond(request, part, target, kind=kind, store_id=stamp.store_id, remember=remember)

    order = _load_order_or_404(target, kind=kind)
    if target.order_id is None:
        page_cache.remember_token(target.token, order_id=order.pk, store_id=order.store_id)
    context, remember = _buyer_context(request, order, limited=target.limited)
    language = request.LANGUAGE_CODE
    with timezone.override(buyer_time_zone(store=order.store, customer=order.customer)):
        part, timeout = _render_page(request, order, context) if kind == "page" else _render_live(order, context)
    if versions is not None:
        customer = order.customer
        stamp = page_cache.Stamp(
            order_id=order.pk,
            store_id=order.store_id,
            store_slug=order.store.slug,
            token=order.tracking_token,
            offered_languages=tuple(order.store.offered_languages or ()),
            default_language=order.store.default_language,
            customer_locale=customer.locale if customer else "",
            order_locale=order.locale,
        )
        page_cache.stamp_set(stamp, versions)
        key = page_cache.part_key(kind, order.pk, versions.key, language, _variant(request, target, kind))
        page_cache.part_set(key, part, timeout=min(timeout, versions.page_seconds))
    return _respond(request, part, target, kind=kind, store_id=order.store_id, remember=remember)


def _live_part(context: dict) -> page_cache.CachedPart:
    """The live fragment, with the lookup's own poll URL as a per-response placeholder (it embeds the
    signed lookup, different for every lookup of the same order)."""
    marks = {"live_url": page_cache.placeholder()} if context["limited"] else {}
    body = render_to_string("tracking/_live.html", {**context, "live_url": marks.get("live_url", context["live_url"])})
    return page_cache.CachedPart(body=body, marks=marks, etag=_etag(body, marks))


def _etag(body: str, marks: dict[str, str]) -> str:
    """The ETag of what the buyer sees: the same body rendered twice has the same one, whatever the marks."""
    for name, mark in marks.items():
        body = body.replace(mark, "{" + name + "}")
    return page_cache.etag_for(body)


def _render_live(order: Order, context: dict) -> tuple[page_cache.CachedPart, int]:
    context.update(_live_context(order, limited=context["limited"]))
    return _live_part(context), page_cache.PAGE_SECONDS


def _render_page(request, order: Order, context: dict) -> tuple[page_cache.CachedPart, int]:
    limited = context["limited"]
    context.update(_live_context(order, limited=limited))
    live = _live_part(context)
    recommendations = recommendations_for_order(order=order)
    coupon = None if limited else blocks.coupon_for_order(order)
    social = _social_links(order.store)
    newsletter = "" if limited else _newsletter_state(order, request)
    marks = {**live.marks, "nonce": page_cache.placeholder()}
    context.update(
        {
            "csp_nonce": marks["nonce"],
            "live_html": mark_safe(live.body),  # rendered (escaped) by the template engine just above
            "live_etag": live.etag,
            "lines": list(order.lines.all()),
            "recommendations": recommendations,
            "coupon": coupon,
            "social_links": social,
            "newsletter": newsletter,
            # Back from a signup without the box ticked (no JS): the form again, with its error.
            "newsletter_form": NewsletterForm(data={}) if request.GET.get("newsletter") else NewsletterForm(),
        }
    )
    shown = tuple(
        block
        for block, visible in (
            (PageBlock.RECOMMENDATIONS, recommendations),
            (PageBlock.COUPON, coupon),
            (PageBlock.SOCIAL, social),
            (PageBlock.NEWSLETTER, newsletter == "offer"),
        )
        if visible
    )
    body = render_to_string("tracking/page.html", context)
    timeout = page_cache.PAGE_SECONDS
    if coupon is not None and coupon.expires_at is not None:  # gone from the page the moment it expires
        timeout = min(timeout, int((coupon.expires_at - timezone.now()).total_seconds()))
    return page_cache.CachedPart(body=body, marks=marks, blocks=tuple(str(b) for b in shown)), timeout


def _respond(request, part: page_cache.CachedPart, target: Target, *, kind: str, store_id: int, remember: str):
    values = {"live_url": target.live_url() if target.limited else ""}
    if kind == "live":
        # Weak comparison (RFC 9110 for If-None-Match): a proxy that compresses marks our tag W/"…".
        tags = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
        if "*" in tags or part.etag in tags:
            response = HttpResponseNotModified()
            response["ETag"] = part.etag
            return response
    else:
        nonce = get_nonce(request)  # lazy: falsy until read, so no `or`
        values["nonce"] = "" if nonce is None else str(nonce)
        if request.method == "GET":  # a HEAD (link checkers) is answered, not counted
            page_view_count(store_id=store_id, blocks=part.blocks)
    response = HttpResponse(part.fill(**values))
    if part.etag:
        response["ETag"] = part.etag
    remember_language(response, remember)
    return response


@csrf_exempt  # no CSRF cookie on buyer pages: the URL's token and a same-site check instead (origin.py)
@never_cache
@require_POST
def newsletter(request, token: str):
    """Sign up from the tracking page: thanks inline through htmx, or back to the page without JS."""
    if not is_same_site_post(request):
        return HttpResponseForbidden(_("This form can only be sent from the order's own page."))
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

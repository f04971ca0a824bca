"""The buyer's review page (from the email's signed link) and the public outputs of published reviews:
the Google product reviews feed, a JSON endpoint per product and an embeddable widget without script."""

import json
from types import SimpleNamespace

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_safe

from apps.campaigns.context import coupon_description
from apps.campaigns.copy import copy_for
from apps.campaigns.models import CouponShopState
from apps.core.safe_values import web_url
from apps.orders.models import OrderStatus
from apps.stores.selectors import store_by_slug
from apps.tracking.buyer import (
    buyer_page,
    choose_language,
    see_other,
    use_language,
)

from .feed import product_reviews_feed
from .forms import LineReviewForm
from .links import review_path, review_thanks_path
from .models import RATINGS
from .selectors import (
    order_for_review_token,
    product_for_store,
    product_rating_summary,
    published_reviews_for_feed,
    published_reviews_for_product,
    reviews_by_line,
    reward_for_order,
)
from .services import ReviewLocked, TooManyPhotos, review_incentive_for, reviews_submit

CLOSED_ORDER_STATUSES = {OrderStatus.CANCELLED, OrderStatus.REFUNDED}
PUBLIC_CACHE_SECONDS = 300
JSON_HTML_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
USABLE_COUPON = (CouponShopState.LOCAL, CouponShopState.CREATED)
# The widget is framed by the store's own site: no script at all, and any page may frame it (it has no
# button or form a framing page could trick someone into pressing).
WIDGET_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.NONE],
    "style-src": [CSP.NONCE],
    "img-src": [CSP.SELF, "https:", "data:"],
    "form-action": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": ["*"],
}


def _order_or_404(token: str):
    order = order_for_review_token(token=token)
    if order is None:
        raise Http404
    return order


def _reviewable_lines(order) -> list:
    """The order's lines that are products (a gift wrap or a fee has nothing to review)."""
    return [line for line in order.lines.select_related("product").all() if line.product_id]


def _incentive_text(store, language: str) -> str:
    incentive = review_incentive_for(store)
    if incentive is None:
        return ""
    # The promise, worded as the coupon it becomes (coupon_description reads kind, value and the currency).
    promise = SimpleNamespace(kind=incentive.kind, value=incentive.value, store=store)
    return coupon_description(promise, copy_for(language).LABELS, language)


class LineBlock:
    """One product on the page: its form when it may still be written or changed, else the review as it is."""

    def __init__(self, line, *, review, form, now):
        self.line = line
        self.review = review
        self.form = form
        self.locked = review is not None and now > review.editable_until
        self.stars = [{"value": rating, "checked": self._checked(rating)} for rating in reversed(RATINGS)]

    def _checked(self, rating: int) -> bool:
        if self.form is None:
            return False
        value = self.form["rating"].value()
        return str(value) == str(rating)


@never_cache
@ensure_csrf_cookie
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def write(request, token: str):
    """The page the review request opens: every product of the order, each with stars, a title, a text and
    photos. Opening it (GET, HEAD: link scanners open every link) writes nothing; a person's POST records
    the reviews, all or none, then the thank-you page (303)."""
    order = _order_or_404(token)
    store = order.store
    language, remember = choose_language(request, store=store, customer=order.customer, order=order)
    use_language(request, language)
    now = timezone.now()
    closed = order.status in CLOSED_ORDER_STATUSES
    existing = reviews_by_line(order=order)
    lines = _reviewable_lines(order)
    blocks = []
    error = ""
    for line in lines:
        review = existing.get(line.pk)
        editable = not closed and (review is None or now <= review.editable_until)
        form = None
        if editable:
            prefix = f"line-{line.pk}"
            if request.method == "POST":
                form = LineReviewForm(request.POST, request.FILES, prefix=prefix, existing=review)
            else:
                initial = {"rating": review.rating, "title": review.title, "text": review.text} if review else {}
                form = LineReviewForm(prefix=prefix, existing=review, initial=initial)
        blocks.append(LineBlock(line, review=review, form=form, now=now))

    if request.method == "POST":
        forms = [block.form for block in blocks if block.form is not None]
        if closed or not forms:
            error = _("This order can no longer be reviewed.")
        elif all([form.is_valid() for form in forms]):  # a list: every form checked, every error shown
            entries = [
                (block.line, block.form.review_input()) for block in blocks if block.form and block.form.is_filled
            ]
            if not entries:
                error = _("Rate at least one product to send your review.")
            else:
                try:
                    reviews_submit(order=order, entries=entries, language=language, now=now)
                except ReviewLocked:
                    error = _("The time to change this review has ended, so nothing was changed.")
                except TooManyPhotos:
                    error = _("A review holds at most 3 photos. Remove one to add another.")
                else:
                    return see_other(review_thanks_path(order, token=token))
        else:
            error = _("Some answers need a look. Nothing was sent yet.")

    context = {
        "order": order,
        "blocks": blocks,
        "closed": closed,
        "error": error,
        "incentive": "" if closed else _incentive_text(store, language),
        "tracking_url": order.get_tracking_url(),
    }
    status = 400 if error and request.method == "POST" else 200
    return buyer_page(
        request,
        store=store,
        customer=order.customer,
        template="reviews/write.html",
        context=context,
        remember=remember,
        status=status,
    )


@never_cache
@require_safe
def thanks(request, token: str):
    """After the reviews are sent: what was written, that it shows once approved, and the coupon it earned."""
    order = _order_or_404(token)
    existing = reviews_by_line(order=order)
    if not existing:
        raise Http404  # nothing sent yet: nothing to thank for
    store = order.store
    language, remember = choose_language(request, store=store, customer=order.customer, order=order)
    use_language(request, language)
    reward = reward_for_order(order=order)
    coupon = reward.coupon if reward else None
    context = {
        "order": order,
        "reviews": sorted(existing.values(), key=lambda review: review.line_id),
        "coupon": coupon if coupon and coupon.shop_state in USABLE_COUPON else None,
        "coupon_pending": coupon is not None and coupon.shop_state == CouponShopState.PENDING,
        "coupon_text": coupon_description(coupon, copy_for(language).LABELS, language) if coupon else "",
        "write_path": review_path(order, token=token),
        "tracking_url": order.get_tracking_url(),
    }
    return buyer_page(
        request,
        store=store,
        customer=order.customer,
        template="reviews/thanks.html",
        context=context,
        remember=remember,
    )


# --- Public outputs: only published reviews, only of the store in the address ----------------
def _store_or_404(store_slug: str):
    store = store_by_slug(slug=store_slug)
    if store is None:
        raise Http404
    return store


def _product_or_404(store, product_id: str):
    product = product_for_store(store=store, external_id=product_id)
    if product is None:
        raise Http404
    return product


@require_safe
@cache_control(public=True, max_age=PUBLIC_CACHE_SECONDS)
def google_feed(request, store_slug: str):
    """Every published review of the store, in Google's product reviews format."""
    store = _store_or_404(store_slug)
    body = product_reviews_feed(store=store, reviews=published_reviews_for_feed(store=store))
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


def review_json(review) -> dict:
    """A published review as the JSON endpoint gives it (plain text: the page showing it escapes it)."""
    return {
        "id": review.pk,
        "rating": review.rating,
        "title": review.title,
        "text": review.text,
        "author": review.author_name,
        "language": review.language,
        "submitted_at": review.submitted_at.isoformat(),
        "photos": [
            {"url": request_absolute(photo.image.url), "width": photo.width, "height": photo.height}
            for photo in review.photos.all()
        ],
        "reply": {"text": review.reply, "replied_at": review.replied_at.isoformat()} if review.reply else None,
    }


def request_absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}/{url.lstrip('/')}"


@require_safe
@cache_control(public=True, max_age=PUBLIC_CACHE_SECONDS)
def product_json(request, store_slug: str, product_id: str):
    store = _store_or_404(store_slug)
    product = _product_or_404(store, product_id)
    reviews = published_reviews_for_product(store=store, product=product)
    summary = product_rating_summary(store=store, product=product)
    payload = {
        "product": {"id": product.external_id, "name": product.name, "url": web_url(product.url)},
        "rating": summary,
        "reviews": [review_json(review) for review in reviews],
    }
    # <, > and & as \u escapes (as json_script writes them): the JSON stays the same data, and no HTML
    # parser that meets it (a page inlining it, a sniffing browser) sees a tag in a buyer's words.
    body = json.dumps(payload, ensure_ascii=False).translate(JSON_HTML_ESCAPES)
    response = HttpResponse(body, content_type="application/json")
    # A shop's own page may fetch it from the browser.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@xframe_options_exempt
@require_safe
@cache_control(public=True, max_age=PUBLIC_CACHE_SECONDS)
def widget(request, store_slug: str, product_id: str):
    """A product's published reviews as a small page for an <iframe> on the store's site: the store's
    colours and font, no script, every value escaped by the template."""
    store = _store_or_404(store_slug)
    product = _product_or_404(store, product_id)
    language, _remember = choose_language(request, store=store)
    use_language(request, language)
    summary = product_rating_summary(store=store, product=product)
    context = {
        "product": product,
        "summary": summary,
        "rounded": round(summary["average"] or 0),
        "reviews": published_reviews_for_product(store=store, product=product),
        "stars": list(RATINGS),
    }
    response = buyer_page(request, store=store, customer=None, template="reviews/widget.html", context=context)
    response._csp_config = WIDGET_CSP
    return response

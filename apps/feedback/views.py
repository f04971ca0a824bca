"""Buyer pages reached from email links: NPS answers, why a cart was left, referral shares, preferences,
unsubscribe."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from apps.customers.models import ConsentSource
from apps.customers.services import customer_set_marketing_consent, customer_set_preferences
from apps.orders.models import CartLeaveReason
from apps.orders.services import cart_record_leave_reason
from apps.tracking.buyer import (
    LANGUAGE_NAMES,
    buyer_page,
    choose_language,
    offered_languages,
    see_other,
    use_language,
)
from apps.tracking.links import go_path, web_url_or_empty
from apps.tracking.models import PageBlock, PageEventKind
from apps.tracking.services import page_event_record

from .forms import CartReasonForm, NpsAnswerForm, NpsCommentForm, PreferencesForm
from .links import SCORES, nps_scale, nps_thanks_path, preferences_path, referral_url
from .models import NpsSegment, segment_for
from .selectors import (
    cart_for_reason_token,
    customer_for_preferences_token,
    customer_for_unsubscribe_token,
    nps_response_for_order,
    order_for_nps_token,
    order_for_referral_token,
)
from .services.nps import nps_add_comment, nps_answer

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"


def _nps_order_or_404(token: str):
    order = order_for_nps_token(token=token)
    if order is None:
        raise Http404
    return order


def _nps_scores(selected: int | None) -> list[dict]:
    return [{"score": score, "checked": score == selected} for score in SCORES]


def _posted_score(value) -> int | None:
    try:
        score = int(value)
    except (TypeError, ValueError):
        return None
    return score if score in SCORES else None


@never_cache
@ensure_csrf_cookie
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def nps(request, token: str, score: int):
    """The landing an email's score button opens: the 0–10 scale with that score pre-selected, an
    optional comment, and "Send".

    Opening the link (GET, HEAD) writes nothing: link scanners and previews open every link in an
    email. Only a person's POST of the form records the answer (idempotent per order, through the
    services, which open a critics case and alert staff for a detractor); then the thanks page.
    """
    order = _nps_order_or_404(token)
    if score not in SCORES:
        raise Http404
    language, remember = choose_language(request, store=order.store, customer=order.customer, order=order)
    use_language(request, language)
    previous = nps_response_for_order(order=order)

    if request.method == "POST":
        form = NpsAnswerForm(request.POST)
        if form.is_valid():
            # A form without the comment box (not ours) leaves the comment as it is.
            comment = form.cleaned_data["comment"] if "comment" in request.POST else None
            response = nps_answer(order=order, score=form.cleaned_data["score"], comment=comment)
            saved = "?saved=1" if comment and response.comment else ""
            return see_other(f"{nps_thanks_path(order, token=token)}{saved}")
        selected = _posted_score(request.POST.get("score"))
    else:
        form = NpsAnswerForm(initial={"score": score, "comment": previous.comment if previous else ""})
        selected = score

    context = {
        "order": order,
        "form": form,
        "scores": _nps_scores(selected),
        "previous": previous,
        "tracking_url": order.get_tracking_url(),
        "preferences_path": preferences_path(order.customer) if order.customer else "",
    }
    return buyer_page(
        request,
        store=order.store,
        customer=order.customer,
        template="feedback/nps_answer.html",
        context=context,
        remember=remember,
    )


@never_cache
@ensure_csrf_cookie
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def cart_reason(request, token: str, reason: str):
    """The page an abandoned-cart email's answer opens: the six answers with that one pre-selected, a few
    words for "something else", and "Send"; after sending, thanks and the way back to the cart.

    As with NPS, opening the link writes nothing (scanners open every link); only a person's POST records
    the answer, which the flow's next email then follows (a free-shipping offer, no coupon…)."""
    cart = cart_for_reason_token(token=token)
    if cart is None or reason not in CartLeaveReason.values:
        raise Http404
    store = cart.store
    language, remember = choose_language(request, store=store, customer=cart.customer)
    use_language(request, language)
    sent = False
    if request.method == "POST":
        form = CartReasonForm(request.POST)
        if form.is_valid():
            cart_record_leave_reason(
                cart_id=cart.pk, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
            )
            return see_other(f"{request.path}?sent=1")
    else:
        sent = bool(request.GET.get("sent")) and bool(cart.leave_reason)
        form = CartReasonForm(initial={"reason": cart.leave_reason if sent else reason, "note": cart.leave_reason_note})
    context = {
        "cart": cart,
        "form": form,
        "sent": sent,
        "recovery_url": web_url_or_empty(cart.recovery_url) if not cart.is_converted else "",
    }
    return buyer_page(
        request,
        store=store,
        customer=cart.customer,
        template="feedback/cart_reason.html",
        context=context,
        remember=remember,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def nps_thanks(request, token: str):
    """After an answer is sent: thanks, and what follows from the score (detractors are asked what went
    wrong, promoters to review and share). A POST here adds the comment and its topics."""
    order = _nps_order_or_404(token)
    response = nps_response_for_order(order=order)
    if response is None:  # nothing sent yet: nothing to thank for
        raise Http404
    language, remember = choose_language(request, store=order.store, customer=order.customer, order=order)
    use_language(request, language)

    if request.method == "POST":
        form = NpsCommentForm(request.POST)
        if form.is_valid():
            nps_add_comment(response=response, comment=form.cleaned_data["comment"], topics=form.cleaned_data["topics"])
            return see_other(f"{request.path}?saved=1")
    else:
        form = NpsCommentForm(initial={"comment": response.comment, "topics": response.topics})

    store = order.store
    segment = segment_for(response.score)
    promoter = segment == NpsSegment.PROMOTER
    context = {
        "order": order,
        "score": response.score,
        "segment": segment,
        "form": form,
        "saved": bool(request.GET.get("saved")) and bool(response.comment or response.topics),
        "scale": nps_scale(order),
        "review_link": go_path(token=order.tracking_token, block=PageBlock.REVIEW, url=store.review_url)
        if promoter
        else "",
        "share_url": referral_url(order) if promoter and web_url_or_empty(store.website_url) else "",
        "tracking_url": order.get_tracking_url(),
        "preferences_path": preferences_path(order.customer) if order.customer else "",
    }
    return buyer_page(
        request, store=store, customer=order.customer, template="feedback/nps.html", context=context, remember=remember
    )


# A promoter's shared link is opened by link previews (chat apps) and mail scanners as often as by
# people, so opening it counts nothing. It shows a one-button page; pressing the button (a POST, no
# JavaScript needed) is the visit we count, then the store opens. No CSRF token: the only effect is
# a counter anyone could POST to anyway, and a friend who blocks cookies must still get through.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def referral(request, token: str):
    """A promoter's shared link: a page that names the store; its "Visit" button counts the visit and
    opens the store."""
    order = order_for_referral_token(token=token)
    target = web_url_or_empty(order.store.website_url) if order else ""
    if not target:
        raise Http404
    if request.method == "POST":
        page_event_record(
            store_id=order.store_id,
            order_id=order.pk,
            block=PageBlock.REFERRAL,
            kind=PageEventKind.CLICK,
            target=target,
        )
        return see_other(target)
    store = order.store
    language, remember = choose_language(request, store=store)  # the friend's language, not the buyer's
    use_language(request, language)
    context = {"target": target, "target_host": urlsplit(target).hostname or target}
    page = buyer_page(
        request, store=store, customer=None, template="feedback/referral.html", context=context, remember=remember
    )
    _let_forms_go_to(page, target)
    return page


def _let_forms_go_to(response, url: str) -> None:
    """Browsers check a form's redirect against the page's CSP `form-action`, hop by hop: let this page's
    form end on the store's site, and wherever that site sends it on (www., https). The page has no input
    a form could carry away, only the button."""
    if not settings.SECURE_CSP:
        return
    config = dict(settings.SECURE_CSP)
    config["form-action"] = [*config.get("form-action", [CSP.SELF]), f"{urlsplit(url).scheme}:"]
    response._csp_config = config


def _language_choices(store, customer) -> list[tuple[str, str]]:
    codes = offered_languages(store)
    if customer.locale and customer.locale not in codes and customer.locale in LANGUAGE_NAMES:
        codes = [*codes, customer.locale]
    return [(code, LANGUAGE_NAMES[code]) for code in codes]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request, token: str):
    """The preference centre: email categories, a break from marketing, unsubscribe, language."""
    customer = customer_for_preferences_token(token=token)
    if customer is None:
        raise Http404
    store = customer.store
    language, remember = choose_language(request, store=store, customer=customer)
    use_language(request, language)
    languages = _language_choices(store, customer)

    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in ("unsubscribe", "subscribe"):
            customer_set_marketing_consent(
                customer=customer, granted=action == "subscribe", source=ConsentSource.PREFERENCE_CENTRE
            )
            return HttpResponseRedirect(f"{request.path}?saved={action}d")
        form = PreferencesForm(request.POST, languages=languages, paused=customer.is_marketing_paused)
        if form.is_valid():
            data = form.cleaned_data
            customer_set_preferences(
                customer=customer,
                shipping_updates=data["shipping_updates"],
                review_requests=data["review_requests"],
                offers=data["offers"],
                pause_days=form.pause_days(),
                locale=data["language"],
            )
            return HttpResponseRedirect(f"{request.path}?saved=1&lang={data['language']}")
    else:
        form = PreferencesForm(
            languages=languages,
            paused=customer.is_marketing_paused,
            initial={
                "shipping_updates": customer.wants_shipping_updates,
                "review_requests": customer.wants_review_requests,
                "offers": customer.wants_offers,
                "language": customer.locale if customer.locale in dict(languages) else language,
            },
        )
    context = {"customer": customer, "form": form, "saved": request.GET.get("saved", "")}
    return buyer_page(
        request,
        store=store,
        customer=customer,
        template="feedback/preferences.html",
        context=context,
        remember=remember,
    )


@csrf_exempt  # RFC 8058: mail providers POST without cookies or a CSRF token; the signed URL is the proof
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """One-click unsubscribe (RFC 8058) on POST; a confirm page on GET. Sets no cookie either way."""
    customer = customer_for_unsubscribe_token(token=token)
    if customer is None:
        raise Http404
    store = customer.store
    language, _remember = choose_language(request, store=store, customer=customer)
    use_language(request, language)
    done = False
    if request.method == "POST":
        if request.POST.get(ONE_CLICK_FIELD) != ONE_CLICK_VALUE:
            return HttpResponseBadRequest("Expected List-Unsubscribe=One-Click.")
        customer_set_marketing_consent(customer=customer, granted=False, source=ConsentSource.UNSUBSCRIBE)
        done = True
    context = {
        "customer": customer,
        "done": done,
        "one_click_field": ONE_CLICK_FIELD,
        "one_click_value": ONE_CLICK_VALUE,
        "preferences_path": preferences_path(customer),
    }
    return buyer_page(request, store=store, customer=customer, template="feedback/unsubscribe.html", context=context)

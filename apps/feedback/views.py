"""Buyer pages reached from email links: NPS answers, referral shares, preferences, unsubscribe."""

from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from apps.customers.models import ConsentSource
from apps.customers.services import customer_set_marketing_consent, customer_set_preferences
from apps.tracking.buyer import (
    LANGUAGE_NAMES,
    brand_css,
    buyer_time_zone,
    choose_language,
    language_links,
    offered_languages,
    remember_language,
    use_language,
)
from apps.tracking.links import go_path, web_url_or_empty
from apps.tracking.models import PageBlock, PageEventKind
from apps.tracking.services import page_event_record

from .forms import NpsCommentForm, PreferencesForm
from .links import nps_scale, preferences_path, referral_url
from .models import NpsSegment, segment_for
from .selectors import (
    customer_for_preferences_token,
    customer_for_unsubscribe_token,
    nps_response_for_order,
    order_for_nps_token,
    order_for_referral_token,
)
from .services import nps_add_comment, nps_record

ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"


def _page(request, *, store, customer, template: str, context: dict, remember: str = "", status: int = 200):
    context = {
        "store": store,
        "brand_css": brand_css(store),
        "languages": language_links(store, request.LANGUAGE_CODE),
        **context,
    }
    with timezone.override(buyer_time_zone(store=store, customer=customer)):
        response = render(request, template, context, status=status)
    remember_language(response, remember)
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def nps(request, token: str, score: int):
    """One click in an email records the score (idempotent), then asks for an optional comment."""
    order = order_for_nps_token(token=token)
    if order is None or not 0 <= score <= 10:
        raise Http404
    language, remember = choose_language(request, store=order.store, customer=order.customer, order=order)
    use_language(request, language)

    # A HEAD (link checkers, previews) answers and records nothing; a GET is the buyer's click.
    head = request.method == "HEAD"
    response = nps_response_for_order(order=order) if head else nps_record(order=order, score=score)
    if request.method == "POST":
        form = NpsCommentForm(request.POST)
        if form.is_valid():
            nps_add_comment(response=response, comment=form.cleaned_data["comment"], topics=form.cleaned_data["topics"])
            return HttpResponseRedirect(f"{request.path}?saved=1")
    else:
        initial = {"comment": response.comment, "topics": response.topics} if response else {}
        form = NpsCommentForm(initial=initial)

    store = order.store
    segment = segment_for(score)
    promoter = segment == NpsSegment.PROMOTER
    context = {
        "order": order,
        "score": score,
        "segment": segment,
        "form": form,
        "saved": bool(request.GET.get("saved")) and response is not None and bool(response.comment or response.topics),
        "scale": nps_scale(order),
        "review_link": go_path(token=order.tracking_token, block=PageBlock.REVIEW, url=store.review_url)
        if promoter
        else "",
        "share_url": referral_url(order) if promoter and web_url_or_empty(store.website_url) else "",
        "tracking_url": order.get_tracking_url(),
        "preferences_path": preferences_path(order.customer) if order.customer else "",
    }
    return _page(
        request, store=store, customer=order.customer, template="feedback/nps.html", context=context, remember=remember
    )


@never_cache
@require_safe
def referral(request, token: str):
    """A promoter's shared link: count the visit, then open the store."""
    order = order_for_referral_token(token=token)
    target = web_url_or_empty(order.store.website_url) if order else ""
    if not target:
        raise Http404
    if request.method == "GET":
        page_event_record(
            store_id=order.store_id,
            order_id=order.pk,
            block=PageBlock.REFERRAL,
            kind=PageEventKind.CLICK,
            target=target,
        )
    return HttpResponseRedirect(target)


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
    return _page(
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
    return _page(request, store=store, customer=customer, template="feedback/unsubscribe.html", context=context)

"""Signed buyer links: NPS answers, why a cart was left, referral shares, the preference centre and unsubscribing.

Each carries an id signed with Django's signing and its own salt, so a link made for one
purpose never opens another, and no id can be guessed or changed. `*_url` helpers give the
absolute addresses emails need (SITE_URL); `*_path` the same for links on our own pages.
"""

from datetime import timedelta
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import get_language

from apps.orders.models import CartLeaveReason

NPS_SALT = "afterglow.feedback.nps"
REFERRAL_SALT = "afterglow.feedback.referral"
PREFERENCES_SALT = "afterglow.feedback.preferences"
UNSUBSCRIBE_SALT = "afterglow.feedback.unsubscribe"
CART_REASON_SALT = "afterglow.feedback.cart_reason"

_TOKEN_MARK = "__token__"


def token_path(name: str, token: str, **kwargs) -> str:
    """reverse(name, kwargs={"token": token, **kwargs}), with the route looked up once per name and other
    arguments: an email carries up to a dozen signed links and a batch renders hundreds of emails, and reverse
    matches every candidate pattern each time. The token goes in quoted as reverse quotes it."""
    if "/" in token:  # never in a signing token; reverse knows what to refuse
        return reverse(name, kwargs={"token": token, **kwargs})
    route = _route(name, tuple(sorted(kwargs.items())), get_script_prefix(), get_language(),
                   get_urlconf(settings.ROOT_URLCONF))  # fmt: skip
    return route.replace(_TOKEN_MARK, quote(token, safe=RFC3986_SUBDELIMS + "/~:@"))


@lru_cache(maxsize=512)
def _route(name: str, others: tuple, script_prefix: str, language: str | None, urlconf) -> str:
    return reverse(name, kwargs={"token": _TOKEN_MARK, **dict(others)}, urlconf=urlconf)


NPS_LINK_MAX_AGE = timedelta(days=180)
# Long after the abandoned-cart emails (the last goes at 72 h), the answer no longer says why they left.
CART_REASON_LINK_MAX_AGE = timedelta(days=30)
SCORES = range(0, 11)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _loads(token: str, *, salt: str, max_age=None) -> int | None:
    """The id a token carries, or None for a changed, foreign or (with max_age) expired one."""
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- NPS ------------------------------------------------------------------------------------
def nps_token(order) -> str:
    return signing.dumps(order.pk, salt=NPS_SALT)


def nps_order_id(token: str) -> int | None:
    return _loads(token, salt=NPS_SALT, max_age=NPS_LINK_MAX_AGE)


def nps_path(order, score: int, *, token: str = "") -> str:
    return token_path("feedback:nps", token or nps_token(order), score=score)


def nps_thanks_path(order, *, token: str = "") -> str:
    """Where a sent answer lands: the thanks and the follow-up (comment, review, share)."""
    return token_path("feedback:nps_thanks", token or nps_token(order))


def nps_scale(order) -> list[dict]:
    """Eleven score links for one order (one token signed for all), each to the landing with it pre-selected."""
    token = nps_token(order)
    return [{"score": score, "path": nps_path(order, score, token=token)} for score in SCORES]


# --- Why a cart was left ----------------------------------------------------------------------
def cart_reason_token(cart) -> str:
    return signing.dumps(cart.pk, salt=CART_REASON_SALT)


def cart_reason_cart_id(token: str) -> int | None:
    return _loads(token, salt=CART_REASON_SALT, max_age=CART_REASON_LINK_MAX_AGE)


def cart_reason_path(cart, reason: str, *, token: str = "") -> str:
    return token_path("feedback:cart_reason", token or cart_reason_token(cart), reason=reason)


def cart_reason_links(cart) -> dict[str, str]:
    """{answer: absolute link} (one token signed for all), each to a page with that answer pre-selected: only
    pressing "Send" there records it."""
    token = cart_reason_token(cart)
    return {reason: _absolute(cart_reason_path(cart, reason, token=token)) for reason in CartLeaveReason.values}


# --- Referral -------------------------------------------------------------------------------
def referral_path(order) -> str:
    return token_path("feedback:referral", signing.dumps(order.pk, salt=REFERRAL_SALT))


def referral_url(order) -> str:
    return _absolute(referral_path(order))


def referral_order_id(token: str) -> int | None:
    return _loads(token, salt=REFERRAL_SALT)


# --- Preference centre and unsubscribe ------------------------------------------------------
def preferences_path(customer) -> str:
    return token_path("feedback:preferences", signing.dumps(customer.pk, salt=PREFERENCES_SALT))


def preferences_url(customer) -> str:
    """The absolute link to this customer's preference centre (no expiry: it sits in every email)."""
    return _absolute(preferences_path(customer))


def preferences_customer_id(token: str) -> int | None:
    return _loads(token, salt=PREFERENCES_SALT)


def unsubscribe_path(customer) -> str:
    return token_path("feedback:unsubscribe", signing.dumps(customer.pk, salt=UNSUBSCRIBE_SALT))


def unsubscribe_url(customer) -> str:
    """The List-Unsubscribe address (RFC 8058 one-click POST, or a confirm page on GET)."""
    return _absolute(unsubscribe_path(customer))


def unsubscribe_customer_id(token: str) -> int | None:
    return _loads(token, salt=UNSUBSCRIBE_SALT)

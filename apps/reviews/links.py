"""The signed link to an order's review page.

It carries the order id signed with Django's signing and its own salt (a link made for NPS or the
preference centre never opens it), so nothing in it can be guessed or changed: a forged or altered
token is a 404 and writes nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

REVIEW_SALT = "afterglow.reviews.order"
# Long enough for a reminder and a late buyer; a review's own edit window is shorter (models.EDIT_WINDOW).
REVIEW_LINK_MAX_AGE = timedelta(days=180)


def review_token(order) -> str:
    return signing.dumps(order.pk, salt=REVIEW_SALT)


def review_order_id(token: str) -> int | None:
    """The order id a token carries, or None for a changed, foreign or expired one."""
    try:
        value = signing.loads(token, salt=REVIEW_SALT, max_age=REVIEW_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def review_path(order, *, token: str = "") -> str:
    return reverse("reviews:write", kwargs={"token": token or review_token(order)})


def review_thanks_path(order, *, token: str = "") -> str:
    return reverse("reviews:thanks", kwargs={"token": token or review_token(order)})


def review_url(order) -> str:
    """The absolute link an email's review button opens (SITE_URL)."""
    return f"{settings.SITE_URL}{review_path(order)}"


def widget_path(store, product) -> str:
    return reverse("reviews:widget", kwargs={"store_slug": store.slug, "product_id": product.external_id})


def widget_url(store, product) -> str:
    return f"{settings.SITE_URL}{widget_path(store, product)}"

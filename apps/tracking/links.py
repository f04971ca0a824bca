"""Signed outbound links: a click on a buyer page goes through us, is counted, then redirected.

The target travels in the URL signed with Django's signing, with the block in the salt: a link
cannot be edited to lead elsewhere (no open redirect), nor moved to another block.
"""

from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.core import signing
from django.urls import reverse

GO_SALT = "afterglow.tracking.go"
LOOKUP_SALT = "afterglow.tracking.lookup"
LOOKUP_MAX_AGE = timedelta(hours=24)


def is_web_url(url: str) -> bool:
    """True for absolute http(s) URLs only: never javascript:, data: or a relative path."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def web_url_or_empty(url: str) -> str:
    return url if is_web_url(url) else ""


def _signer(block: str) -> signing.Signer:
    return signing.Signer(salt=f"{GO_SALT}:{block}")


def sign_target(block: str, url: str) -> str:
    if not is_web_url(url):
        raise ValueError(f"not a web address: {url!r}")
    return _signer(block).sign(url)


def unsign_target(block: str, signed: str) -> str:
    """The URL a signed value carries; BadSignature when it was changed or made for another block."""
    url = _signer(block).unsign(signed)
    if not is_web_url(url):
        raise signing.BadSignature("not a web address")
    return url


def go_path(*, token: str, block: str, url: str) -> str:
    """The counted link to `url` from `block` of the tracking page with this token; '' for no link."""
    if not is_web_url(url):
        return ""
    path = reverse("tracking:go", kwargs={"token": token, "block": block})
    return f"{path}?{urlencode({'to': sign_target(block, url)})}"


def lookup_path(order) -> str:
    """Where an order lookup leads: the order's page in its limited form, valid for a day (see views)."""
    signed = signing.dumps([order.store_id, order.pk], salt=LOOKUP_SALT, compress=True)
    return reverse("tracking:lookup_result", kwargs={"store_slug": order.store.slug, "signed": signed})


def lookup_ids(signed: str) -> tuple[int, int] | None:
    """(store id, order id) a lookup link names; None when changed or expired. The caller checks the store."""
    try:
        value = signing.loads(signed, salt=LOOKUP_SALT, max_age=LOOKUP_MAX_AGE)
    except signing.BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(type(part) is int for part in value)):
        return None
    return value[0], value[1]

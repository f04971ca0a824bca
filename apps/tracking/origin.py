"""Same-site proof for the tracking page's one form (the newsletter signup), without a CSRF cookie.

A CSRF token on the page would set Django's CSRF cookie and `Vary: Cookie`, and make every cached page
personal. The signup does not need one: it acts on no session or cookie (no ambient authority to ride),
only on the order named by the unguessable token in its URL, which someone forging a request from another
site does not know. On top of that, the POST must say it comes from our own pages: browsers send `Origin`
with every POST (a cross-site form sends the attacker's origin, a sandboxed one "null"), and `Referer`
where an older browser sends no Origin; a request with neither is refused.
"""

from urllib.parse import urlsplit

from django.conf import settings


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_same_site_post(request) -> bool:
    """True when the POST comes from one of our own pages (this host, or a CSRF_TRUSTED_ORIGINS one)."""
    if getattr(request, "_dont_enforce_csrf_checks", False):
        return True  # Django's test client without enforce_csrf_checks, as CsrfViewMiddleware honours it
    ours = {f"{request.scheme}://{request.get_host()}".lower()}
    ours |= {origin.lower().rstrip("/") for origin in settings.CSRF_TRUSTED_ORIGINS if "*" not in origin}
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower().rstrip("/") in ours
    referer = request.headers.get("Referer", "")
    return bool(referer) and _origin_of(referer) in ours

"""Every page we serve carries the Content Security Policy and contains no inline script, and the
production settings make cookies secure."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.orders.factories import OrderFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def argument_free_dashboard_urls() -> list[str]:
    (dashboard,) = [p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "dashboard"]
    names = []
    for pattern in dashboard.url_patterns:
        if isinstance(pattern, URLPattern) and not pattern.pattern.converters and pattern.name:
            names.append(f"dashboard:{pattern.name}")
    return names


def assert_safe(response, where: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy, where
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], where
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), f"inline <script> on {where}"
    assert not INLINE_HANDLER.search(html), f"inline event handler on {where}"


def test_every_dashboard_page_an_owner_can_open_is_covered_by_the_policy(client):
    owner = MembershipFactory(role="owner")
    client.force_login(owner.user)
    checked = 0
    for name in argument_free_dashboard_urls():
        response = client.get(reverse(name))
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert_safe(response, name)
            checked += 1
    assert checked >= 5


def test_buyer_pages_and_sign_in_are_covered_by_the_policy(client):
    order = OrderFactory()
    for url in (order.get_tracking_url(), reverse("tracking:lookup", args=[order.store.slug]), reverse("login")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_safe(response, url)


def test_production_settings_make_session_and_csrf_cookies_secure(monkeypatch):
    import importlib

    import config.settings as production

    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    monkeypatch.delenv("SECURE_SSL_REDIRECT", raising=False)
    reloaded = importlib.reload(production)
    try:
        assert reloaded.SESSION_COOKIE_SECURE and reloaded.CSRF_COOKIE_SECURE
        assert reloaded.SESSION_COOKIE_HTTPONLY
        assert reloaded.SECURE_SSL_REDIRECT
        assert reloaded.SECURE_HSTS_SECONDS >= 31536000
    finally:
        monkeypatch.undo()
        importlib.reload(production)

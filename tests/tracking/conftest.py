import pytest
from django.core.cache import cache

from apps.tracking import page_views
from apps.tracking.page_cache import local_forget


@pytest.fixture(autouse=True)
def views_pushed_at_once(monkeypatch):
    """Web processes push counted views every second; here each view is pushed at once (one process)."""
    monkeypatch.setattr(page_views, "PUSH_EVERY_SECONDS", 0)
    page_views._pending.clear()


@pytest.fixture(autouse=True)
def empty_cache():
    """Recommendations and the lookup throttle live in the cache: every test starts without either."""
    cache.clear()
    local_forget()
    yield
    cache.clear()
    local_forget()

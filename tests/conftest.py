import os
import shutil

import pytest
from django.db import connection

from tests.tiers import is_slow

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


def pytest_configure(config):
    # Registered here, beside the hook that applies it, rather than in pyproject.toml's marker list.
    config.addinivalue_line("markers", "slow: left out of the fast tier (make test-fast); see tests/tiers.py")


def pytest_itemcollected(item):
    """Mark the slow tier (tests/tiers.py) as each test is collected, before `-m "not slow"` selects."""
    if is_slow(item.path):
        item.add_marker(pytest.mark.slow)


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason said, what this machine cannot run: PostgreSQL-only and browser tests."""
    on_postgres = connection.vendor == "postgresql"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    skip_browser = pytest.mark.skip(reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not CHROMIUM:
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: cached aggregates (best sellers) are keyed by ids a
    rolled-back test may hand out again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def english_after_each_test():
    """Pages activate the reader's language for the thread (as LocaleMiddleware does for each request);
    a test that calls code directly after a page must not inherit the previous page's language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def anymail_test_backend(settings):
    """Django's test setup swaps in the locmem backend; use Anymail's, which records tags and metadata
    (and still fills `mailoutbox`)."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture
def manager(client):
    """A manager of a new store, signed in on `client` (tests that need another store or role make their own)."""
    from tests.stores.factories import MembershipFactory

    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)
    return membership

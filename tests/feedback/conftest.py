import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Recommendations and the lookup throttle live in the cache: every test starts without either."""
    cache.clear()
    yield
    cache.clear()

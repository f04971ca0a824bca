"""The Redis cache keeps one redis-py client per connection pool (apps.core.redis_cache), and works as Django's."""

import os
import threading

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI does)")


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "apps.core.redis_cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


def test_every_operation_shares_one_client_and_values_round_trip(redis_cache):
    # when values go in and out, from two threads at once
    client = redis_cache._cache.get_client("a", write=True)

    def work(prefix: str) -> None:
        for n in range(50):
            redis_cache.set(f"{prefix}:{n}", {"n": n}, 60)
            assert redis_cache.get(f"{prefix}:{n}") == {"n": n}

    threads = [threading.Thread(target=work, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every value is there, counters count, and no operation made a client of its own
    assert redis_cache.get_many([f"left:{n}" for n in range(50)])["left:49"] == {"n": 49}
    assert redis_cache.add("counter", 1, 60) and redis_cache.incr("counter", 2) == 3
    assert redis_cache._cache.get_client("b") is client

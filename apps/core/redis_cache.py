"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient makes a new `redis.Redis` for every cache operation. redis-py builds each client's
table of response callbacks (about 170 entries, case-insensitive) when it is made, which costs more than the
round trip to a local Redis: on a tracking page served from the cache it was a fifth of the request. A client
is safe to share between threads (every command takes a connection from the pool), so one per pool is kept.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

"""A fixed-window counter in the shared cache: enough to stop order-number enumeration."""

from django.core.cache import cache

from apps.core.client_ip import client_ip


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    bucket = f"throttle:{key}"
    cache.add(bucket, 0, timeout=window_seconds)
    try:
        count = cache.incr(bucket)
    except ValueError:  # the bucket expired between add and incr
        cache.set(bucket, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def client_address(request) -> str:
    """Who to count against: the client's address as apps.core.client_ip defines it (proxy-aware)."""
    return client_ip(request) or "unknown"

"""Fetching product feeds and applying them through the product service."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core import outbound
from apps.orders.services import product_upsert
from apps.stores.models import Store

from .adapters import PayloadError
from .feeds import parse_feed
from .models import ProductFeed

logger = logging.getLogger(__name__)
MAX_FEED_BYTES = 100 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 60
BATCH = 500


@dataclass(frozen=True)
class FeedResult:
    seen: int
    created: int


def feed_apply(*, store: Store, content: bytes) -> FeedResult:
    """Upsert every product in a feed, a batch per transaction. Unchanged products are not written."""
    seen = created = 0
    batch = []
    for product in parse_feed(content):
        batch.append(product)
        if len(batch) == BATCH:
            created += _apply_batch(store, batch)
            seen += len(batch)
            batch = []
    if batch:
        created += _apply_batch(store, batch)
        seen += len(batch)
    return FeedResult(seen=seen, created=created)


def _apply_batch(store: Store, products) -> int:
    with transaction.atomic():
        return sum(product_upsert(store=store, data=product)[1] for product in products)


def download(url: str) -> bytes:
    """The feed's bytes over http(s) from a public address (apps.core.outbound: private, loopback and
    metadata addresses are refused, on every redirect too), refusing anything larger than MAX_FEED_BYTES."""
    try:
        result = outbound.fetch(
            url,
            max_bytes=MAX_FEED_BYTES,
            timeout=FETCH_TIMEOUT_SECONDS,
            headers={"User-Agent": "Afterglow product feed reader"},
        )
    except outbound.OutboundTooLarge as exc:
        raise PayloadError(f"The feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB.") from exc
    except outbound.OutboundFailed as exc:
        raise PayloadError(f"Could not fetch the feed: {exc}") from exc
    except outbound.OutboundError as exc:  # refused: the message says why, for the merchant
        raise PayloadError(str(exc)) from exc
    if not 200 <= result.status < 300:
        try:
            reason = HTTPStatus(result.status).phrase
        except ValueError:
            reason = ""
        raise PayloadError(f"Could not fetch the feed: the server answered {result.status} {reason}".rstrip() + ".")
    return result.content


def feed_refresh(*, feed_id: int, fetch=None) -> ProductFeed:
    feed = ProductFeed.objects.select_related("store").get(pk=feed_id)
    try:
        result = feed_apply(store=feed.store, content=(fetch or download)(feed.url))
    except PayloadError as exc:
        ProductFeed.objects.filter(pk=feed.pk).update(
            last_fetched_at=timezone.now(), last_ok=False, last_error=str(exc)[:2000], modified_at=timezone.now()
        )
    else:
        ProductFeed.objects.filter(pk=feed.pk).update(
            last_fetched_at=timezone.now(), last_ok=True, last_error="", products_seen=result.seen,
            products_created=F("products_created") + result.created, modified_at=timezone.now(),
        )  # fmt: skip
    feed.refresh_from_db()
    return feed


def feeds_due(now=None) -> list[int]:
    now = now or timezone.now()
    feeds = ProductFeed.objects.filter(enabled=True).only("pk", "last_fetched_at", "refresh_hours")
    never = Q(last_fetched_at__isnull=True)
    return [
        feed.pk
        for feed in feeds.filter(never | Q(last_fetched_at__lt=now - timedelta(hours=1)))
        if feed.last_fetched_at is None or feed.last_fetched_at <= now - timedelta(hours=feed.refresh_hours)
    ]

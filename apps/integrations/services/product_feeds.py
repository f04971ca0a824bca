"""Product feeds: adding one, fetching it when due and applying it through the product service (the formats are
read by `integrations/product_feed_formats.py`)."""

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import httpx
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core import outbound
from apps.orders.services import product_upsert
from apps.stores.models import Store

from ..adapters import PayloadError
from ..models import ProductFeed
from ..product_feed_formats import parse_feed

logger = logging.getLogger(__name__)


MAX_FEED_BYTES = 100 * 1024 * 1024


FETCH_TIMEOUT_SECONDS = 60


BATCH = 500


@dataclass(frozen=True)
class FeedResult:
    seen: int
    created: int


def feed_apply(*, store: Store, content: bytes) -> FeedResult:
    """Upsert every product in a feed, a batch per transaction. Unchanged products are not written.

    A file that is not a feed we read raises PayloadError with a sentence for the merchant (what is wrong,
    what to do, in the active language); the parser's own words go to the log only."""
    seen = created = 0
    batch = []
    try:
        products = parse_feed(content)
    except PayloadError as exc:
        logger.info("Store %s: not a product feed we read: %s", store.slug, exc)
        raise PayloadError(not_a_feed(content)) from exc
    try:
        for product in products:
            batch.append(product)
            if len(batch) == BATCH:
                created += _apply_batch(store, batch)
                seen += len(batch)
                batch = []
    except PayloadError as exc:
        if not isinstance(exc.__cause__, ET.ParseError):
            raise
        logger.info("Store %s: the feed is not well-formed XML: %s", store.slug, exc.__cause__)
        line = exc.__cause__.position[0]
        raise PayloadError(
            _(
                "The feed is not valid XML: it breaks off or is damaged at line %(line)s. Open its address in a "
                "browser to check that the whole feed comes through, then refresh it."
            )
            % {"line": line}
        ) from exc
    if batch:
        created += _apply_batch(store, batch)
        seen += len(batch)
    return FeedResult(seen=seen, created=created)


def not_a_feed(content: bytes) -> str:
    """Why a file is not a feed we read, in words, with what to do about it."""
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return _("The feed is empty: the address answered with no content. Check the feed's address in your shop.")
    if head.startswith((b"<!doctype html", b"<html")):
        return _(
            "The address opens a web page, not a product feed. Copy the feed's own address from your shop "
            "(it often ends in .xml) and save it here."
        )
    if head.startswith(b"<"):
        return _(
            "The file is XML, but not a product feed Afterglow reads. Export a YML (Yandex Market) or a "
            "Google Merchant feed (RSS or Atom) from your shop and use that."
        )
    return _(
        "The file is not XML, so it is not a product feed Afterglow reads. Use the address of a YML (Yandex "
        "Market) or Google Merchant feed (RSS or Atom) from your shop."
    )


def _apply_batch(store: Store, products) -> int:
    with transaction.atomic():
        return sum(product_upsert(store=store, data=product)[1] for product in products)


def download(url: str) -> bytes:
    """The feed's bytes over http(s) from a public address (apps.core.outbound: private, loopback and
    metadata addresses are refused, on every redirect too), refusing anything larger than MAX_FEED_BYTES.
    Failures raise PayloadError in words for the merchant; the technical detail goes to the log."""
    host = urlsplit(url).hostname or url
    try:
        result = outbound.fetch(
            url,
            max_bytes=MAX_FEED_BYTES,
            timeout=FETCH_TIMEOUT_SECONDS,
            headers={"User-Agent": "Afterglow product feed reader"},
        )
    except outbound.OutboundTooLarge as exc:
        logger.info("Feed at %s: %s", host, exc)
        raise PayloadError(
            _(
                "The feed is larger than %(size)s MB, more than Afterglow reads. Ask your shop for a smaller "
                "feed (without descriptions, or in-stock products only) and save its address here."
            )
            % {"size": MAX_FEED_BYTES // (1024 * 1024)}
        ) from exc
    except outbound.OutboundFailed as exc:
        logger.info("Feed at %s could not be fetched: %s (%r)", host, exc, exc.__cause__)
        if isinstance(exc.__cause__, httpx.TimeoutException):
            message = _(
                "%(host)s did not answer within %(seconds)s seconds. Check that the feed's address opens in "
                "a browser; Afterglow tries again at the next refresh."
            ) % {"host": host, "seconds": FETCH_TIMEOUT_SECONDS}
        else:
            message = _(
                "Afterglow could not reach %(host)s. Check the feed's address (a typing mistake, or a site "
                "that has moved); Afterglow tries again at the next refresh."
            ) % {"host": host}
        raise PayloadError(message) from exc
    except outbound.OutboundError as exc:  # refused: the message says why, for the merchant
        raise PayloadError(str(exc)) from exc
    if not 200 <= result.status < 300:
        try:
            reason = HTTPStatus(result.status).phrase
        except ValueError:
            reason = ""
        logger.info("Feed at %s answered HTTP %s %s", host, result.status, reason)
        raise PayloadError(_http_problem(result.status, f"{result.status} {reason}".strip()))
    return result.content


def _http_problem(status: int, answer: str) -> str:
    if status in (404, 410):
        return _(
            "There is no feed at this address: the server answered “%(answer)s”. Copy the feed's address "
            "again from your shop and save it here."
        ) % {"answer": answer}
    if status in (401, 403):
        return _(
            "The feed's server refused to give the feed (“%(answer)s”). If the feed is private, use the "
            "address with its access key that your shop shows, or make the feed public."
        ) % {"answer": answer}
    if status == 429 or status >= 500:
        return _(
            "The feed's server had a problem (“%(answer)s”). Nothing was changed; Afterglow tries again at "
            "the next refresh."
        ) % {"answer": answer}
    return _("The feed's server answered “%(answer)s” instead of the feed. Check the feed's address, then refresh.") % {
        "answer": answer
    }


def feed_refresh(*, feed_id: int, fetch=None) -> ProductFeed:
    feed = ProductFeed.objects.select_related("store").get(pk=feed_id)
    # Read in a worker: what went wrong is written in the store's language, which its dashboard also
    # falls back to.
    with translation.override(feed.store.default_language):
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


def feed_add(*, store: Store, url: str, refresh_hours: int = 24):
    """Add (or re-enable) a product feed and read it once, after commit."""
    from ..models import ProductFeed
    from ..tasks import feed_refresh_task

    with transaction.atomic():
        feed, _ = ProductFeed.objects.update_or_create(
            store=store, url=url, defaults={"refresh_hours": refresh_hours, "enabled": True}
        )
        feed_refresh_task.delay_on_commit(feed.pk)
    return feed

"""The tracking page from the shared cache: rendered once per order version and language, served without SQL.

Keys (Django's cache: Redis in production):
- `tracking:token:<sha256>` → (order id, store id). A token never changes hands, so this never goes stale
  (a deleted order's entry is dropped on its next 404). Keys show no token; cached bodies hold the page's
  own links, as the page does.
- `tracking:v:order:<id>`, `tracking:v:store:<id>` → a random version and when it was drawn. A change
  *deletes* the key (`pages_changed`); the next reader draws a new version, so every page rendered before
  is unreachable, even if a version key was evicted meanwhile (a counter restarting at 1 could meet old
  pages again).
- `tracking:stamp:<order>:<versions>` → what choosing the buyer's language needs (their locale, the
  store's languages), so a warm hit resolves `?lang=`, the cookie and Accept-Language without SQL.
- `tracking:page:<kind>:<order>:<versions>:<language>:<variant>` → a rendered body (`CachedPart`).

Readers take the versions before reading the database, so a change committed while a page renders
leaves that page under a version nobody asks for. One window is left: a writer deletes the version inside
its transaction, a reader draws the new one and reads the rows before the writer commits. So a version
younger than SETTLE_SECONDS caches pages for SETTLE_SECONDS only: a writer's transaction shorter than that
(webhooks, the dashboard: milliseconds) is never hidden for longer. (Bumping again on commit would close it
too, but an on-commit callback on every order save changes what other apps' tests count as queued work.)

Per-request values are never cached: the CSP nonce and the lookup link are placeholders in the stored
body, filled in on every response. Pages also expire after PAGE_SECONDS, which bounds what changes with
time alone (a parcel becoming "stalled", a coupon expiring).

Writes that bypass model signals (queryset `.update()`, `bulk_create`) must call `pages_changed`; the
receivers in receivers.py cover every `save()` and `delete()`.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass, field

from django.core.cache import cache

from apps.orders.models import Order

PAGE_SECONDS = 5 * 60
SETTLE_SECONDS = 15
STAMP_SECONDS = 24 * 60 * 60
TOKEN_SECONDS = 24 * 60 * 60
VERSION_SECONDS = 24 * 60 * 60
FORMAT = 1


@dataclass(frozen=True)
class CachedPart:
    """A rendered page or live fragment, with the placeholders to fill per response."""

    body: str
    marks: dict[str, str] = field(default_factory=dict)  # what → placeholder in body
    blocks: tuple[str, ...] = ()  # blocks the page shows, for the view counters
    etag: str = ""

    def fill(self, **values: str) -> str:
        body = self.body
        for name, mark in self.marks.items():
            body = body.replace(mark, values.get(name, ""))
        return body


@dataclass(frozen=True)
class Stamp:
    """The order facts the buyer's language depends on, valid for one set of versions."""

    order_id: int
    store_id: int
    store_slug: str
    token: str
    offered_languages: tuple[str, ...]
    default_language: str
    customer_locale: str
    order_locale: str


def placeholder() -> str:
    """A random mark for a per-response value: merchant or carrier text cannot guess it."""
    return f"__afterglow_{secrets.token_hex(12)}__"


def etag_for(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


# --- Keys -----------------------------------------------------------------------------------
def _token_key(token: str) -> str:
    return "tracking:token:" + hashlib.sha256(token.encode()).hexdigest()


def _order_version_key(order_id: int) -> str:
    return f"tracking:v:order:{order_id}"


def _store_version_key(store_id: int) -> str:
    return f"tracking:v:store:{store_id}"


def _stamp_key(order_id: int, versions: str) -> str:
    return f"tracking:stamp:{FORMAT}:{order_id}:{versions}"


def part_key(kind: str, order_id: int, versions_key: str, language: str, variant: str) -> str:
    # FORMAT: bump when CachedPart or Stamp change shape, so a deploy never unpickles the old one.
    return f"tracking:page:{FORMAT}:{kind}:{order_id}:{versions_key}:{language}:{variant}"


# --- What this process remembers -----------------------------------------------------------------
# Facts that never go stale are also kept in the worker's memory, so a warm hit costs one round trip to
# Redis (plus the view counter): a token's order, and the stamp of an order's versions (a stamp is keyed by
# its versions; a change makes new ones). Bounded: emptied when full.
LOCAL_LIMIT = 20_000
_local_tokens: dict[str, tuple[int, int]] = {}
_local_stamps: dict[int, tuple[str, "Stamp"]] = {}


def local_forget() -> None:
    """Empty this process's memory (tests, after emptying the shared cache)."""
    _local_tokens.clear()
    _local_stamps.clear()


def _keep(memo: dict, key, value) -> None:
    if len(memo) >= LOCAL_LIMIT:
        memo.clear()
    memo[key] = value


# --- Token → order ------------------------------------------------------------------------------
def order_ids_for_token(token: str) -> tuple[int, int] | None:
    """(order id, store id) for a token seen before, without SQL; None when unknown here."""
    if token in _local_tokens:
        return _local_tokens[token]
    found = cache.get(_token_key(token))
    if not found:
        return None
    _keep(_local_tokens, token, tuple(found))
    return tuple(found)


def remember_token(token: str, *, order_id: int, store_id: int) -> None:
    cache.set(_token_key(token), (order_id, store_id), TOKEN_SECONDS)
    _keep(_local_tokens, token, (order_id, store_id))


def forget_token(token: str) -> None:
    cache.delete(_token_key(token))
    _local_tokens.pop(token, None)


# --- Versions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Versions:
    key: str  # goes into the cache keys of pages and stamps
    settled: bool  # older than SETTLE_SECONDS: pages rendered under it may stay for PAGE_SECONDS

    @property
    def page_seconds(self) -> int:
        return PAGE_SECONDS if self.settled else SETTLE_SECONDS


def _versions_from(found: dict, keys: list[str]) -> Versions:
    values = []
    for key in keys:
        value = found.get(key)
        if value is None:
            cache.add(key, f"{secrets.token_hex(6)}-{int(time.time())}", VERSION_SECONDS)
            value = cache.get(key) or f"x-{int(time.time())}"  # evicted in between: a one-off miss, never stale
        values.append(value)
    drawn = max(int(value.rsplit("-", 1)[1]) for value in values)
    return Versions(key=".".join(values), settled=time.time() - drawn >= SETTLE_SECONDS)


def find(order_id: int, store_id: int, key_for) -> tuple[Versions, "Stamp | None", "CachedPart | None"]:
    """The current versions, the stamp for them and the cached part `key_for(versions key, stamp)` names
    (None where missing; `key_for` returns '' for a stamp that does not fit the request).

    When this process already knows the stamp of the order's current versions, the versions and the part
    come in one round trip: the part's key is guessed from the stamp, and used if the versions agree."""
    keys = [_order_version_key(order_id), _store_version_key(store_id)]
    known = _local_stamps.get(order_id)
    guess = key_for(*known) if known else ""
    found = cache.get_many([*keys, guess] if guess else keys)
    versions = _versions_from(found, keys)
    if known and known[0] == versions.key:
        return versions, known[1], found.get(guess) if guess else None
    stamp = cache.get(_stamp_key(order_id, versions.key))
    if stamp is None:
        return versions, None, None
    _keep(_local_stamps, order_id, (versions.key, stamp))
    key = key_for(versions.key, stamp)
    return versions, stamp, part_get(key) if key else None


def pages_changed(*, order_ids=(), store_ids=()) -> None:
    """Make the cached pages of these orders (and of every order of these stores) unreachable.

    Call it from any write that bypasses model signals (queryset `.update()`, `bulk_create`)."""
    keys = [_order_version_key(pk) for pk in order_ids if pk] + [_store_version_key(pk) for pk in store_ids if pk]
    if keys:
        cache.delete_many(keys)


def customer_pages_changed(*, customer_id: int) -> None:
    """The pages of every order of this customer (their name, language, newsletter state): one query."""
    pages_changed(order_ids=list(Order.objects.filter(customer_id=customer_id).values_list("pk", flat=True)))


# --- Stamps and parts -------------------------------------------------------------------------
def stamp_set(stamp: Stamp, versions: Versions) -> None:
    cache.set(_stamp_key(stamp.order_id, versions.key), stamp, STAMP_SECONDS if versions.settled else SETTLE_SECONDS)
    _keep(_local_stamps, stamp.order_id, (versions.key, stamp))


def part_get(key: str) -> CachedPart | None:
    return cache.get(key)


def part_set(key: str, part: CachedPart, *, timeout: int = PAGE_SECONDS) -> None:
    if timeout > 0:
        cache.set(key, part, timeout)

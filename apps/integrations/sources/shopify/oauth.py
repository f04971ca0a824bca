"""Installing Afterglow as a Shopify app (authorization code grant), when the operator registered one.

Offered only when SHOPIFY_API_KEY and SHOPIFY_API_SECRET are both set. The flow:

1. `install` (a dashboard POST): a one-use `state` nonce goes into the session with the store and shop, and
   the browser is sent to https://{shop}/admin/oauth/authorize.
2. `callback` (the browser, back from Shopify): `callback_verify` checks the HMAC Shopify put over the query,
   the shop's name, the timestamp (90 s, as Shopify's own libraries) and the nonce (taken out of the session:
   one use). The view makes no call out: `oauth_connection_pending` keeps the one-time code on a pending
   connection (encrypted, in `api_key`) and queues the connection setup task.
3. The setup task (`setup.setup`) sees the pending code and calls `oauth_exchange` first: the code becomes
   the access token, then the shop is read and the webhooks registered as for any connection.

An app's webhooks are signed with the app's secret, so the connection's secret is SHOPIFY_API_SECRET.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.stores.models import Store

from ...calls import ApiClient, CallError
from ...models import Connection, ConnectionState, Source
from .client import SHOP_DOMAIN, shop_domain

SESSION_KEY = "shopify_oauth_states"
STATE_TTL_SECONDS = 600  # long enough to read Shopify's consent screen
CLOCK_SKEW_SECONDS = 90  # Shopify's libraries refuse a callback timestamp further off than this
MAX_PENDING_STATES = 5
MAX_CODE_LENGTH = 255


class OAuthRefused(ValueError):
    """The callback cannot be trusted or used; the message is safe to show the merchant."""


@dataclass(frozen=True)
class Callback:
    shop: str
    code: str
    store_id: int


def oauth_enabled() -> bool:
    return bool(settings.SHOPIFY_API_KEY and settings.SHOPIFY_API_SECRET)


def callback_url() -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('shopify_oauth:callback')}"


def authorize_url(shop: str, state: str) -> str:
    """Shopify's consent screen for our app on this shop (an offline token: no grant_options[])."""
    query = urlencode(
        {
            "client_id": settings.SHOPIFY_API_KEY,
            "scope": settings.SHOPIFY_SCOPES,
            "redirect_uri": callback_url(),
            "state": state,
        }
    )
    return f"https://{shop}/admin/oauth/authorize?{query}"


# --- The state nonce -----------------------------------------------------------------------------------


def issue_state(session, *, store_id: int, shop: str, now: float | None = None) -> str:
    """A fresh nonce for this install, kept in the session with the store and shop it is for."""
    now = time.time() if now is None else now
    states = {
        nonce: entry
        for nonce, entry in (session.get(SESSION_KEY) or {}).items()
        if now - float(entry.get("at", 0)) < STATE_TTL_SECONDS
    }
    nonce = secrets.token_urlsafe(32)
    states[nonce] = {"store": store_id, "shop": shop, "at": now}
    # A few installs at once (two tabs) are fine; an unbounded list in the session is not.
    session[SESSION_KEY] = dict(sorted(states.items(), key=lambda item: item[1]["at"])[-MAX_PENDING_STATES:])
    return nonce


def take_state(session, nonce: str, *, now: float | None = None) -> dict | None:
    """The entry for `nonce`, removed from the session whatever happens next (one use); None when unknown or old."""
    now = time.time() if now is None else now
    states = dict(session.get(SESSION_KEY) or {})
    entry = states.pop(nonce, None) if nonce else None
    session[SESSION_KEY] = states
    if entry is None or now - float(entry.get("at", 0)) > STATE_TTL_SECONDS:
        return None
    return entry


# --- The callback's signature --------------------------------------------------------------------------


def _encoded(value: str) -> str:
    """As URLSearchParams writes a value (Shopify's libraries sign that): %20 for a space, `*` kept, `~` escaped."""
    return quote(value, safe="*").replace("~", "%7E")


def signed_message(pairs: list[tuple[str, str]]) -> str:
    """Every query parameter but `hmac` (and the legacy `signature`), sorted, as key=value joined by &."""
    kept = sorted((key, value) for key, value in pairs if key not in ("hmac", "signature"))
    return "&".join(f"{_encoded(key)}={_encoded(value)}" for key, value in kept)


def hmac_matches(pairs: list[tuple[str, str]], secret: str) -> bool:
    given = next((value for key, value in pairs if key == "hmac"), "")
    if not given or not secret:
        return False
    expected = hmac.new(secret.encode(), signed_message(pairs).encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def callback_verify(*, query, session, now: float | None = None) -> Callback:
    """Check Shopify's redirect back to us (`query`: a QueryDict). Raises OAuthRefused naming what is wrong."""
    now = time.time() if now is None else now
    pairs: list[tuple[str, str]] = []
    for key, values in query.lists():
        if len(values) != 1:
            raise OAuthRefused(f"The answer from Shopify carries {key!r} more than once.")
        pairs.append((key, values[0]))
    params = dict(pairs)
    # The nonce is spent before anything else is checked: a refused callback cannot be tried again with it.
    entry = take_state(session, params.get("state", ""), now=now)
    if not hmac_matches(pairs, settings.SHOPIFY_API_SECRET):
        raise OAuthRefused("The answer from Shopify is not signed by this app. Start the installation again.")
    shop = params.get("shop", "")
    if not SHOP_DOMAIN.fullmatch(shop):
        raise OAuthRefused("The shop in Shopify's answer is not a myshopify.com address.")
    try:
        stamp = int(params.get("timestamp", ""))
    except ValueError:
        raise OAuthRefused("The answer from Shopify has no valid timestamp.") from None
    if abs(now - stamp) > CLOCK_SKEW_SECONDS:
        raise OAuthRefused("The answer from Shopify is too old (or this server's clock is wrong). Start again.")
    if entry is None:
        raise OAuthRefused("This installation link has expired or was already used. Start the installation again.")
    if entry.get("shop") != shop:
        raise OAuthRefused("Shopify answered for another shop than the one you asked to install on.")
    code = params.get("code", "")
    if not code or len(code) > MAX_CODE_LENGTH:
        raise OAuthRefused("Shopify's answer carries no authorization code.")
    return Callback(shop=shop, code=code, store_id=int(entry["store"]))


# --- The pending connection and the exchange (in the setup task) ---------------------------------------


@transaction.atomic
def oauth_connection_pending(*, store: Store, shop: str, code: str) -> Connection:
    """Keep the one-time code on the store's Shopify connection (pending) and queue the setup task, which
    exchanges it. Nothing is called from the web request."""
    from ...services.connections import ROTATION_GRACE
    from ...tasks import connection_setup_task

    connection = Connection.objects.select_for_update().filter(store=store, source=Source.SHOPIFY).first()
    if connection is None:
        connection = Connection(store=store, source=Source.SHOPIFY)
    if connection.address and shop_domain(connection.address) != shop:
        # Another shop: what we knew of the old one does not apply; its history is imported afresh.
        connection.connected_at, connection.webhooks, connection.shop_name = None, [], ""
    new_secret = settings.SHOPIFY_API_SECRET
    if connection.secret and connection.secret != new_secret:  # a custom app's secret: honoured for a day
        connection.previous_secret = connection.secret
        connection.previous_secret_expires_at = timezone.now() + ROTATION_GRACE
    connection.secret = new_secret
    connection.address = shop
    connection.api_key = code  # encrypted at rest, and forgotten by the exchange
    connection.api_token = None  # the code's token replaces any earlier one
    connection.enabled = True
    connection.state = ConnectionState.PENDING
    connection.last_error = ""
    connection.failures_in_row = 0
    connection.circuit_open_until = None
    connection.save()
    transaction.on_commit(lambda: connection_setup_task.delay(connection.pk))
    return connection


def oauth_pending_code(connection: Connection) -> str:
    """The authorization code waiting to be exchanged ("" when the connection has its token)."""
    if connection.source != Source.SHOPIFY or connection.api_token:
        return ""
    return connection.api_key or ""


def oauth_exchange(connection: Connection, code: str) -> str:
    """POST the code to https://{shop}/admin/oauth/access_token; save and return the offline access token.

    The code is spent whatever the answer, so it is forgotten first. Raises CallError (the merchant installs
    again) when Shopify refuses it."""
    Connection.objects.filter(pk=connection.pk).update(api_key=None)
    connection.api_key = None
    shop = shop_domain(connection.address)
    if not shop:
        raise CallError("The shop address of this connection is not a myshopify.com address.")
    base = settings.SHOPIFY_ADMIN_BASE_URL.rstrip("/") or f"https://{shop}"
    body = {
        "client_id": settings.SHOPIFY_API_KEY,
        "client_secret": settings.SHOPIFY_API_SECRET,
        "code": code,
        "expiring": "0",
    }
    # One attempt: a code is good once, so a retry after an unclear failure could only be refused.
    with ApiClient(connection, base_url=base, max_attempts=1) as client:
        try:
            reply = client.request("POST", "admin/oauth/access_token", operation="oauth.exchange", json_body=body)
        except CallError as exc:
            if exc.status and 400 <= exc.status < 500:
                raise CallError(
                    "Shopify did not accept the installation code (codes expire after a few minutes). "
                    "Install the app again from the connections page.",
                    status=exc.status,
                ) from exc
            raise
    answer = reply.json()
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise CallError("Shopify's answer to the installation has no access token.")
    scope = str(answer.get("scope") or "")[:500]
    Connection.objects.filter(pk=connection.pk).update(api_token=token, scopes=scope, modified_at=timezone.now())
    connection.api_token, connection.scopes = token, scope
    return token

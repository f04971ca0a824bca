"""Calling a shop's Admin GraphQL API: one endpoint, the access token in a header, Shopify's soft rate limit.

Shopify answers a query over its cost budget with HTTP 200 and `errors[].extensions.code == "THROTTLED"`
(data absent), not with a 429. `throttle_wait` tells the shared client (apps/integrations/calls.py) so it
waits as long as the bucket needs to refill, exactly like a Retry-After.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings

from ...calls import ApiClient, CallError, Reply
from ...models import Connection

# The Admin API only answers on the shop's own myshopify.com name (a custom domain is the storefront).
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
THROTTLED_FALLBACK_SECONDS = 2.0  # a THROTTLED answer without its cost figures (older SDK fixtures)


def shop_domain(value: str) -> str:
    """ "https://Northwind.myshopify.com/admin" → "northwind.myshopify.com"; "" when it is not a shop's name."""
    host = (value or "").strip().lower()
    host = re.sub(r"^https?://", "", host).split("/", 1)[0]
    return host if SHOP_DOMAIN.fullmatch(host) else ""


def clean_shop_domain(value: str) -> str:
    """The connect form's check: the shop's myshopify.com name, or ValueError saying what to type."""
    domain = shop_domain(value)
    if not domain:
        raise ValueError("Type your shop's myshopify.com name, for example northwind.myshopify.com.")
    return domain


def admin_base(connection: Connection) -> str:
    """https://{shop}/admin/api/{version}, or the same path on SHOPIFY_ADMIN_BASE_URL (a local stand-in)."""
    override = settings.SHOPIFY_ADMIN_BASE_URL.rstrip("/")
    if override:
        base = override
    else:
        domain = shop_domain(connection.address)
        if not domain:
            raise CallError(
                f"{connection.address or 'The shop address'} is not a shop's myshopify.com address "
                "(for example northwind.myshopify.com)."
            )
        base = f"https://{domain}"
    return f"{base}/admin/api/{settings.SHOPIFY_API_VERSION}"


def throttle_wait(reply: Reply) -> float | None:
    """Seconds to wait when a 200 says THROTTLED: what the query needs minus what is left, at the restore rate."""
    if b"THROTTLED" not in reply.content:  # cheap: most answers are not throttled
        return None
    try:
        body = json.loads(reply.content)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    if not any(isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
        return None
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        return max(needed / float(status["restoreRate"]), 1.0)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return THROTTLED_FALLBACK_SECONDS


def shopify_client(connection: Connection) -> ApiClient:
    """The client for this shop; use it as a context manager so its connections are closed."""
    return ApiClient(
        connection,
        base_url=admin_base(connection),
        headers={"X-Shopify-Access-Token": connection.api_token or "", "Content-Type": "application/json"},
        throttle=throttle_wait,
    )


def graphql(client: ApiClient, query: str, variables: dict[str, Any] | None, operation: str) -> dict[str, Any]:
    """POST one GraphQL document; the `data` object. A body with errors and no data raises CallError carrying
    Shopify's messages (they name fields, never our token)."""
    reply = client.request(
        "POST", "graphql.json", operation=operation, json_body={"query": query, "variables": variables or {}}
    )
    body = reply.json()
    if not isinstance(body, dict):
        raise CallError(f"Shopify's answer to {operation} is not a GraphQL response.", status=reply.status)
    data = body.get("data")
    errors = body.get("errors")
    if errors and not data:
        raise CallError(f"Shopify refused {operation}: {error_messages(errors)}", status=reply.status, body=body)
    if not isinstance(data, dict):
        raise CallError(f"Shopify's answer to {operation} has no data.", status=reply.status, body=body)
    return data


def error_messages(errors: Any) -> str:
    if isinstance(errors, str):
        return errors[:500]
    if not isinstance(errors, list):
        return "unknown error"
    messages = [str(e.get("message", "")) if isinstance(e, dict) else str(e) for e in errors]
    return "; ".join(m for m in messages if m)[:500] or "unknown error"


def user_errors(payload: Any) -> list[dict[str, Any]]:
    """A mutation's userErrors as a list of dicts (absent or malformed: none)."""
    found = payload.get("userErrors") if isinstance(payload, dict) else None
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def gid_number(gid: Any) -> str:
    """gid://shopify/Order/8826877870386 → "8826877870386" (a query string such as ?model_name=… dropped);
    a value that is not a gid comes back as its text, "" for None."""
    if gid is None:
        return ""
    text = str(gid)
    if text.startswith("gid://"):
        return text.rsplit("/", 1)[-1].split("?", 1)[0]
    return text

"""Calling a WooCommerce shop: its site address, checked and normalised, and the wc/v3 REST client.

WooCommerce honours consumer key and secret as HTTP Basic auth only when the request comes over HTTPS
(`is_ssl()` in class-wc-rest-authentication.php); over plain HTTP it wants one-legged OAuth 1.0a, and Basic
auth there would also send the keys in clear text. So a plain http:// site is refused, unless its host is in
`settings.OUTBOUND_ALLOWED_NETWORKS`: a shop on the operator's own network (a local test shop).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from apps.core.outbound import OutboundError, allowed_networks, check_url

from ...calls import ApiClient, CallError
from ...models import Connection

API_PATH = "/wp-json/wc/v3"
# What people paste after the site's own address: the admin, the REST root, the login page.
ADMIN_TAIL = re.compile(r"/(wp-admin|wp-json|wp-login\.php)(/.*)?$", re.IGNORECASE)
HTTPS_ONLY = (
    "WooCommerce accepts API keys only over HTTPS: enter your shop's https:// address "
    "(over plain http:// the keys would travel in clear text and WooCommerce refuses them)."
)


def normalise_site_url(url: str) -> str:
    """The site address as we call it: https:// when no scheme was typed, lower-case host, no query,
    no trailing slash, and no /wp-admin… (or /wp-json…) pasted from the browser. A WordPress installed in
    a folder (https://example.com/shop) keeps its folder."""
    text = (url or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    path = ADMIN_TAIL.sub("", parts.path).rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def site_url_problem(url: str) -> str | None:
    """What is wrong with a WooCommerce site address, for the connect form; None when it will do.

    Only the shape and the scheme are judged here (no lookup unless an http:// address might be on an
    allowed network); the client checks the address again at every connection (apps/core/outbound.py)."""
    address = normalise_site_url(url)
    if not address:
        return "Enter your shop's address, such as https://shop.example.com."
    try:
        parsed = check_url(address, resolve_host=False)
    except OutboundError as exc:
        return str(exc)
    if parsed.scheme == "https":
        return None
    return None if _on_allowed_network(parsed.host, parsed.port or 80) else HTTPS_ONLY


def _on_allowed_network(host: str, port: int) -> bool:
    """True when every address of `host` is in the operator's allowed networks (none by default)."""
    networks = allowed_networks()
    if not networks:
        return False  # nothing allowed: no lookup needed
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return False
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    return bool(addresses) and all(any(ip in network for network in networks) for ip in addresses)


def site_url(connection: Connection) -> str:
    """The connection's site address, normalised; CallError with the form's message when it will not do."""
    problem = site_url_problem(connection.address)
    if problem:
        raise CallError(problem)
    return normalise_site_url(connection.address)


def woo_client(connection: Connection, **options: Any) -> ApiClient:
    """An ApiClient for the shop's wc/v3 REST API, authenticated with the consumer key and secret."""
    site = site_url(connection)
    if not connection.api_key or not connection.api_token:
        raise CallError("The WooCommerce consumer key and consumer secret are both needed.")
    return ApiClient(
        connection, base_url=f"{site}{API_PATH}", auth=(connection.api_key, connection.api_token), **options
    )


def error_code(exc: CallError) -> str:
    """The WordPress REST error code of a refusal (`rest_no_route`, `woocommerce_rest_…`), or ""."""
    return str(exc.body.get("code") or "") if isinstance(exc.body, dict) else ""


def error_message(exc: CallError, limit: int = 300) -> str:
    """The shop's own words for a refusal (`"Consumer secret is invalid."`), or ""."""
    if not isinstance(exc.body, dict) or not isinstance(exc.body.get("message"), str):
        return ""
    return " ".join(exc.body["message"].split())[:limit]


def header_int(headers, name: str) -> int | None:
    """A whole-number header (`X-WP-Total`, `X-WP-TotalPages`); None when absent or not a number."""
    value = (headers.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def clean_site_url(url: str) -> str:
    """The connect form's check: the address normalised, or ValueError saying what is wrong with it."""
    problem = site_url_problem(url)
    if problem:
        raise ValueError(problem)
    return normalise_site_url(url)

"""The client's address: one definition for everything that keys on it (the sign-in lockout through
django-axes' AXES_CLIENT_IP_CALLABLE, the order-lookup throttle).

`PROXY_COUNT` says how many reverse proxies we run in front of Django, each appending the address it
was reached from to X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`, Caddy, Traefik...).

- `PROXY_COUNT = 0` (the default): X-Forwarded-For and every other client-supplied header are ignored;
  the address is the socket's peer (REMOTE_ADDR). A client cannot choose its address by sending a header.
- `PROXY_COUNT = N > 0`: the address is the N-th entry of X-Forwarded-For counted from the right, the one
  our outermost proxy added. Anything left of it was written by the client and is not read. If the header
  has fewer entries than that (the request did not come through all our proxies), REMOTE_ADDR is used.
- `TRUSTED_PROXIES` (optional, networks): when set, X-Forwarded-For is read only on requests whose
  REMOTE_ADDR is one of them, so a client that reaches the app port directly cannot pick an address.

The parsing (IPv6, brackets and ports, IPv4-mapped addresses, junk tokens) is python-ipware's, through
django-ipware, with every option passed explicitly so no IPWARE_* setting changes the answer.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address as a canonical string, or None when the request carries no usable one."""
    proxy_count = getattr(settings, "PROXY_COUNT", 0)
    if proxy_count > 0 and _from_trusted_proxy(request):
        # ipware counts the proxies *listed in* the header (client, proxy1, ..., proxyN-1); the last proxy
        # is REMOTE_ADDR and not in it. Our count includes it, hence the minus one; non-strict means a
        # longer chain (whatever the client prepended) is fine and the client is picked from the right.
        forwarded, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxy_count - 1,
            proxy_trusted_ips=None,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
            algorithm="modern",
        )
        if forwarded:
            return forwarded
    peer, _routable = get_client_ip(
        request,
        proxy_count=None,
        request_header_order=["REMOTE_ADDR"],
        strict=False,
        algorithm="modern",
    )
    return peer


def _from_trusted_proxy(request: HttpRequest) -> bool:
    networks = getattr(settings, "TRUSTED_PROXIES", [])
    if not networks:
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "").strip())
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return any(peer in ipaddress.ip_network(network, strict=False) for network in networks)

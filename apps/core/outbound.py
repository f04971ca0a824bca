"""Every outbound HTTP call goes through here: only public addresses are ever connected to.

A merchant types an address (a product feed, later an API endpoint) and a worker fetches it. Without a
check that is server-side request forgery: `http://169.254.169.254/` reads cloud credentials,
`http://10.0.0.5:6379/` talks to Redis, and timing the answers scans the private network. So:

- `check_url(url)` refuses anything but http/https, user names and passwords in the address,
  backslashes and other tricks, and (with `resolve=True`, for forms) a host that does not resolve to
  public addresses only.
- The guard that matters sits in the connection itself: `GuardedBackend.connect_tcp` resolves the
  host once (`socket.getaddrinfo`, so "2130706433", "0x7f.1" and "127.1" are judged by what they
  really are), refuses unless EVERY address is public, and connects to the vetted address with no
  second lookup, so DNS rebinding cannot swap in 127.0.0.1 afterwards. The URL keeps the hostname,
  so the Host header, TLS SNI and certificate verification all use the name, not the IP.
- `guarded_client()` is an httpx.Client on that transport (no proxies from the environment). Every
  connection it opens, on any redirect it follows, is vetted; build API clients (retries, backoff)
  on top of it.
- `fetch(url, max_bytes=..., timeout=...)` is the simple GET: redirects followed by hand (at most 5,
  each hop checked again), the body read while streaming and refused past `max_bytes`, a total
  deadline on top of the connect timeout.

`settings.OUTBOUND_ALLOWED_NETWORKS` (CIDRs) lets an operator allow an internal network, such as an
on-premises feed server. Nothing private is allowed by default, DEBUG included.

Messages are for merchants ("The address feeds.example.com resolves to 10.0.0.5, a private network
address; ...") and name only the host and the address, never a path or query string (tokens live there).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import select
import socket
import ssl
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 5
CONNECT_TIMEOUT_SECONDS = 10.0
USER_AGENT = "Afterglow"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that must not follow a redirect to another origin (scheme, host or port).
CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})

PUBLIC_ONLY = "Afterglow only fetches public addresses."
CLOUD_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
        ipaddress.ip_address("168.63.129.16"),  # Azure platform (wire server): a public-looking address
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud metadata
        ipaddress.ip_address("fd00:ec2::254"),  # AWS instance metadata over IPv6
    }
)
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_RFC1918 = tuple(ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


class OutboundError(Exception):
    """An outbound fetch did not happen or did not finish; the message is for a merchant to read."""


class OutboundRefused(OutboundError, ValueError):
    """The address is one Afterglow does not fetch (not http/https, private, loopback, metadata...)."""


class OutboundFailed(OutboundError):
    """The address is allowed but the fetch failed: unknown host, refused connection, timeout, TLS."""


class OutboundTooLarge(OutboundFailed):
    """The answer is larger than the caller accepts."""

    def __init__(self, message: str, *, max_bytes: int):
        super().__init__(message)
        self.max_bytes = max_bytes


# --- Addresses ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _parse_networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {cidr!r} is not a network ({exc}).") from exc
    return tuple(networks)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The operator's explicitly allowed internal networks (settings.OUTBOUND_ALLOWED_NETWORKS)."""
    configured = getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", None) or ()
    if isinstance(configured, str):
        configured = configured.split(",")
    return _parse_networks(tuple(cidr for cidr in configured if cidr.strip()))


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d)
    or 6to4 (2002:AABB:CCDD::). Such an address reaches that IPv4 address, so it is judged as it."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_problem(ip: IPAddress) -> str | None:
    """None when Afterglow may connect to `ip`; otherwise what kind of address it is, for a message.

    An address in OUTBOUND_ALLOWED_NETWORKS is allowed, except a cloud metadata address: that one
    only when listed on its own (a /32 or /128), so allowing 100.64.0.0/10 for a VPN does not open
    Alibaba's metadata service, nor 169.254.0.0/16 everyone's."""
    embedded = _embedded_ipv4(ip)
    target = embedded if embedded is not None else ip
    allowed = allowed_networks()
    if target in CLOUD_METADATA:
        if any(network.num_addresses == 1 and target in network for network in allowed):
            return None
        return "a cloud metadata address"
    if any(ip in network or target in network for network in allowed):
        return None
    return _kind(target)


def _kind(ip: IPAddress) -> str | None:
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip in SHARED_ADDRESS_SPACE:
        return "a shared (carrier-grade NAT) address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.version == 6 and (ip.is_site_local or ip in UNIQUE_LOCAL):
        return "a private network address"
    if ip.version == 4 and any(ip in net for net in _RFC1918):
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global:
        return "a special-purpose address that is not public"
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _refusal(host: str, ip: IPAddress, problem: str) -> OutboundRefused:
    if _literal(host) is not None:
        return OutboundRefused(f"The address {host} is {problem}; {PUBLIC_ONLY}")
    return OutboundRefused(f"The address {host} resolves to {ip}, {problem}; {PUBLIC_ONLY}")


def resolve(host: str, port: int) -> list[tuple[socket.AddressFamily, tuple]]:
    """Look `host` up once and vet every address: [(family, sockaddr), ...] to connect to, in order.

    Refused (OutboundRefused) unless every address is allowed: a name that resolves to a public and a
    private address is refused as a whole, since which one a connection uses is not ours to choose."""
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundFailed(f"The address {host} could not be found (DNS lookup failed).") from exc
    except OSError as exc:
        raise OutboundFailed(f"The address {host} could not be looked up ({exc.strerror or exc}).") from exc
    vetted: list[tuple[socket.AddressFamily, tuple]] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        problem = address_problem(ip)
        if problem is not None:
            logger.warning("outbound refused: %s resolves to %s: %s", host, ip, problem)
            raise _refusal(host, ip, problem)
        if (family, sockaddr) not in vetted:
            vetted.append((family, sockaddr))
    if not vetted:
        raise OutboundFailed(f"The address {host} could not be found (DNS lookup failed).")
    return vetted


# --- URLs -----------------------------------------------------------------------------------------


def _parse(url: str | httpx.URL) -> httpx.URL:
    """An httpx.URL for an http(s) address with a host and no user name, password or parsing tricks."""
    text = str(url)
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text) or "\\" in text:
        raise OutboundRefused("The address contains spaces, control characters or backslashes.")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise OutboundRefused("The address is not a valid web address.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise OutboundRefused("Only http and https addresses are fetched.")
    if "@" in parts.netloc:
        raise OutboundRefused("Addresses with a user name or password in them are not fetched.")
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        raise OutboundRefused("The address is not a valid web address.") from exc
    if not parsed.host or "%" in parsed.host:
        raise OutboundRefused("The address has no valid host name.")
    if parsed.userinfo:
        raise OutboundRefused("Addresses with a user name or password in them are not fetched.")
    return parsed


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, _port(url)


def check_url(url: str, *, resolve_host: bool = True) -> httpx.URL:
    """Refuse (OutboundRefused/OutboundFailed) an address Afterglow would not fetch. With `resolve_host`
    (forms: tell the merchant now) the host is looked up and every address must be public. Fetching
    checks again at connection time, whatever was checked here."""
    parsed = _parse(url)
    if resolve_host:
        resolve(parsed.host, _port(parsed))
    return parsed


def describe(url: str | httpx.URL) -> str:
    """scheme://host[:port]/path of an address, for logs: never the query string (tokens live there)."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, ValueError):
        return "<invalid address>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


# --- The connection: vetted addresses only ---------------------------------------------------------


def _remaining(deadline: float | None, timeout: float | None) -> float | None:
    """`timeout` capped by what is left until `deadline`; socket.timeout once it has passed."""
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the total time limit passed")
    return left if timeout is None else min(timeout, left)


class _SocketStream(httpcore.NetworkStream):
    """A plain (or TLS) socket for httpcore whose every wait is capped by the fetch's total deadline."""

    def __init__(self, sock: socket.socket, deadline: float | None):
        self._sock = sock
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            self._sock.settimeout(_remaining(self._deadline, timeout))
            return self._sock.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            while buffer:
                self._sock.settimeout(_remaining(self._deadline, timeout))
                sent = self._sock.send(buffer)
                buffer = buffer[sent:]
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # server_hostname is the URL's host name (httpcore passes the origin's host), so SNI and the
        # certificate check are against the name the merchant typed, though we connected to an IP.
        try:
            self._sock.settimeout(_remaining(self._deadline, timeout))
            tls = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname)
        except TimeoutError as exc:
            self.close()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            self.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return _SocketStream(tls, self._deadline)

    def get_extra_info(self, info: str):
        if info == "ssl_object":
            return self._sock if isinstance(self._sock, ssl.SSLSocket) else None
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "socket":
            return self._sock
        if info == "is_readable":
            return _is_readable(self._sock)
        return None


def _is_readable(sock: socket.socket) -> bool:
    """True when the peer closed an idle pooled connection (or sent something unexpected)."""
    if sock.fileno() < 0:
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except AttributeError:  # pragma: no cover - no poll() on this platform
        return bool(select.select([sock], [], [], 0)[0])


def _connect(
    family: socket.AddressFamily,
    sockaddr: tuple,
    *,
    timeout: float | None,
    local_address: str | None = None,
    socket_options: Iterable | None = None,
) -> socket.socket:
    """A TCP connection to exactly `sockaddr` (a vetted address, no name): nothing is looked up again."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        for option in socket_options or ():
            sock.setsockopt(*option)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if local_address:
            sock.bind((local_address, 0))
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, resolving once and connecting only to vetted addresses."""

    def __init__(self, *, deadline: float | None = None):
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port)  # the only lookup; raises OutboundRefused/OutboundFailed
        last_error: OSError | None = None
        for family, sockaddr in addresses:
            try:
                sock = _connect(
                    family,
                    sockaddr,
                    timeout=_remaining(self.deadline, timeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(str(exc)) from exc
            except OSError as exc:
                last_error = exc
                continue
            return _SocketStream(sock, self.deadline)
        raise httpcore.ConnectError(str(last_error.strerror or last_error) if last_error else "no address")

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise OutboundRefused("Local sockets are not fetched.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (exception mapping, streaming) over a GuardedBackend. No proxy, no unix
    socket, no local address: a proxy would make the connection (and the address check) elsewhere."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = httpx.Limits(max_connections=20, max_keepalive_connections=10),  # noqa: B008
        retries: int = 0,
        deadline: float | None = None,
    ):
        # SSL_CERT_FILE / SSL_CERT_DIR are honoured (an operator's own CA); proxies and .netrc are not.
        ssl_context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits, retries=retries)
        # httpx has no argument for httpcore's network_backend; the pool is its only state (httpx 0.28).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=retries,
            network_backend=GuardedBackend(deadline=deadline),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _parse(request.url)  # also on redirects a caller lets httpx follow
        return super().handle_request(request)


def guarded_client(
    *,
    timeout: httpx.Timeout | float = httpx.Timeout(30.0, connect=CONNECT_TIMEOUT_SECONDS),  # noqa: B008
    verify: ssl.SSLContext | bool = True,
    deadline: float | None = None,
    headers: dict[str, str] | None = None,
    **kwargs,
) -> httpx.Client:
    """An httpx.Client that only ever connects to vetted public (or operator-allowed) addresses.

    For API clients: add retries, auth and logging on top. It ignores HTTP(S)_PROXY and .netrc from
    the environment and does not follow redirects unless asked (each hop would be vetted anyway)."""
    for forbidden in ("transport", "mounts", "proxy", "trust_env", "app"):
        if forbidden in kwargs:
            raise TypeError(f"guarded_client() does not take {forbidden!r}: it would bypass the address check")
    return httpx.Client(
        transport=GuardedTransport(verify=verify, deadline=deadline),
        trust_env=False,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=kwargs.pop("follow_redirects", False),
        max_redirects=kwargs.pop("max_redirects", MAX_REDIRECTS),
        **kwargs,
    )


# --- A simple GET ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    status: int
    headers: httpx.Headers
    url: str  # the final address, after redirects
    content: bytes


def fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    headers: dict[str, str] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    max_redirects: int = MAX_REDIRECTS,
    verify: ssl.SSLContext | bool = True,
) -> FetchResult:
    """GET `url` from a public address: redirects followed (each hop vetted), the body refused past
    `max_bytes` (never more read), everything within `timeout` seconds. Any status is returned; the
    caller decides what a 404 means. Raises OutboundRefused, OutboundTooLarge or OutboundFailed."""
    current = _parse(url)
    deadline = time.monotonic() + timeout
    request_headers = {"Accept-Encoding": "gzip", **(headers or {})}
    with guarded_client(verify=verify, deadline=deadline) as client:
        redirected_by: httpx.URL | None = None
        for _hop in range(max_redirects + 1):
            left = max(deadline - time.monotonic(), 0.001)
            hop_timeout = httpx.Timeout(left, connect=min(connect_timeout, left))
            request = client.build_request("GET", current, headers=request_headers, timeout=hop_timeout)
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise failure(current, exc, timeout) from exc
            except OutboundRefused as exc:
                if redirected_by is None:
                    raise
                message = f"{redirected_by.host} redirected to an address that is not fetched: {exc}"
                raise OutboundRefused(message) from exc
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    target = _redirect_target(current, location)
                    if _origin(target) != _origin(current):  # credentials stay with the origin they were for
                        request_headers = {k: v for k, v in request_headers.items() if k.lower() not in CREDENTIALS}
                    logger.info("outbound redirect %s -> %s", describe(current), describe(target))
                    redirected_by, current = current, target
                    continue
                content = read_limited(response, current, max_bytes=max_bytes)
            except httpx.HTTPError as exc:
                raise failure(current, exc, timeout) from exc
            finally:
                response.close()
            logger.info("outbound GET %s: %s, %s bytes", describe(current), response.status_code, len(content))
            return FetchResult(status=response.status_code, headers=response.headers, url=str(current), content=content)
    raise OutboundFailed(f"{current.host} redirected more than {max_redirects} times; nothing was fetched.")


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    try:
        joined = current.join(location)
    except (httpx.InvalidURL, ValueError) as exc:
        raise OutboundRefused(f"{current.host} redirected to an address that is not valid.") from exc
    try:
        return _parse(joined)
    except OutboundRefused as exc:
        raise OutboundRefused(f"{current.host} redirected to an address that is not fetched: {exc}") from exc


def failure(url: httpx.URL, exc: httpx.HTTPError, timeout: float) -> OutboundFailed:
    if isinstance(exc, httpx.TimeoutException):
        return OutboundFailed(f"{url.host} did not answer within {timeout:g} seconds.")
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or "connection failed"
        return OutboundFailed(f"Could not connect to {url.host}: {reason[:200]}")
    return OutboundFailed(f"The connection to {url.host} failed: {(str(exc) or type(exc).__name__)[:200]}")


def read_limited(response: httpx.Response, url: httpx.URL, *, max_bytes: int) -> bytes:
    """The body, decompressed if gzip, never holding more than max_bytes + 1 of it."""
    too_large = OutboundTooLarge(
        f"The answer from {url.host} is larger than {_size(max_bytes)}; nothing was read.", max_bytes=max_bytes
    )
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise OutboundFailed(f"{url.host} answered in an encoding Afterglow does not read ({encoding[:40]}).")
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
    length = response.headers.get("content-length", "")
    if decoder is None and length.isdigit() and int(length) > max_bytes:
        raise too_large
    body = bytearray()
    raw_read = 0
    for chunk in response.iter_raw(chunk_size=min(64 * 1024, max_bytes + 1)):
        raw_read += len(chunk)
        if decoder is None:
            body += chunk[: max_bytes + 1 - len(body)]
        else:
            try:
                body += decoder.decompress(chunk, max_bytes + 1 - len(body))
            except zlib.error as exc:
                raise OutboundFailed(f"{url.host} sent a damaged compressed answer.") from exc
        if len(body) > max_bytes or raw_read > max_bytes + 1:
            raise too_large
    if decoder is not None and not decoder.eof:
        raise OutboundFailed(f"{url.host} sent an incomplete compressed answer.")
    return bytes(body)


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"

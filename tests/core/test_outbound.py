"""Outbound fetches reach public addresses only: no loopback, private network, link-local or cloud
metadata address, however it is spelt, whatever DNS answers the second time, wherever a redirect points.

Real connections go to pytest-httpserver on 127.0.0.1, which a test allows through
OUTBOUND_ALLOWED_NETWORKS (the operator's setting) or reaches by standing in for a public address.
"""

import gzip
import logging
import re
import socket
import ssl
import time
from pathlib import Path

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_httpserver import HTTPServer
from werkzeug import Response

from apps.core import outbound
from apps.core.outbound import OutboundFailed, OutboundRefused, OutboundTooLarge, check_url, fetch, guarded_client

TLS = Path(__file__).parent / "outbound_tls"
PUBLIC_IP = "93.184.215.14"  # a public address (example.com's); no test connects to it for real


def local(server: HTTPServer, path: str = "/", host: str = "127.0.0.1") -> str:
    return f"{server.url_for(path).split(':', 1)[0]}://{host}:{server.port}{path}"


@pytest.fixture
def allow_localhost(settings):
    """The operator allows exactly 127.0.0.1 (where the test server listens) and nothing else."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def dns(monkeypatch):
    """Chosen answers for chosen host names (one list of addresses per lookup, the last one repeating);
    every other name resolves as usual. `dns.lookups` lists the names looked up, in order."""
    real_getaddrinfo = socket.getaddrinfo
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(name)
        queue = answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    class DNS:
        def answer(self, host: str, *responses: list[str]) -> None:
            answers[host] = [list(response) for response in responses]

    resolver = DNS()
    resolver.lookups = lookups
    return resolver


@pytest.fixture
def connections(monkeypatch):
    """Every address a fetch opened a TCP connection to, in order."""
    opened: list[str] = []
    real_connect = outbound._connect

    def connect(family, sockaddr, **kwargs):
        opened.append(sockaddr[0])
        return real_connect(family, sockaddr, **kwargs)

    monkeypatch.setattr(outbound, "_connect", connect)
    return opened


class Bystander:
    """A listening socket on 127.0.0.2 that no fetch may reach: it only tells whether anyone knocked."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def knocked(self) -> bool:
        try:
            self.sock.accept()[0].close()
        except BlockingIOError:
            return False
        return True


@pytest.fixture
def bystander():
    bystander = Bystander()
    yield bystander
    bystander.sock.close()


# --- Refused before any connection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/feed.xml", "a loopback address"),
        ("http://localhost:8000/feed.xml", "a loopback address"),
        ("http://[::1]/feed.xml", "a loopback address"),
        ("http://10.1.2.3/feed.xml", "a private network address"),
        ("http://172.16.0.9/feed.xml", "a private network address"),
        ("http://192.168.1.1/feed.xml", "a private network address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://169.254.10.1/", "a link-local address"),
        ("http://100.64.0.1/", "a shared (carrier-grade NAT) address"),
        ("http://[::ffff:127.0.0.1]/", "a loopback address"),
        ("http://[::ffff:a9fe:a9fe]/", "a cloud metadata address"),
        ("http://[64:ff9b::a00:5]/", "a private network address"),  # NAT64 of 10.0.0.5
        ("http://[2002:c0a8:101::]/", "a private network address"),  # 6to4 of 192.168.1.1
        ("http://[fd00::1]/", "a private network address"),
        ("http://[fe80::1]/", "a link-local address"),
        ("http://2130706433/", "a loopback address"),
        ("http://0x7f000001/", "a loopback address"),
        ("http://0x7f.1/", "a loopback address"),
        ("http://127.1/", "a loopback address"),
        ("http://0.0.0.0:6379/", "an unspecified address"),
        ("http://[::]/", "an unspecified address"),
        ("http://224.0.0.1/", "a multicast address"),
        ("http://240.0.0.1/", "a reserved address"),
    ],
)
def test_a_loopback_private_or_metadata_address_is_refused_without_connecting(url, kind, connections):
    # Given an address that reaches this machine, its network or the cloud's metadata service
    # When it is fetched
    with pytest.raises(OutboundRefused) as refused:
        fetch(url, max_bytes=1000, timeout=5)
    # Then it is refused with a reason a merchant can read, and nothing was connected to
    assert kind in str(refused.value)
    assert str(refused.value).endswith("Afterglow only fetches public addresses.")
    assert connections == []


def test_a_host_name_that_resolves_to_a_private_address_is_refused_with_both_named(dns, connections):
    # Given a merchant's feed host whose DNS points inside our network
    dns.answer("feeds.example.com", ["10.0.0.5"])
    # When it is fetched, or checked as a form would
    with pytest.raises(OutboundRefused) as refused:
        fetch("https://feeds.example.com/products.xml", max_bytes=1000, timeout=5)
    with pytest.raises(OutboundRefused):
        check_url("https://feeds.example.com/products.xml")
    # Then the message says what it resolved to and why that is refused
    assert str(refused.value) == (
        "The address feeds.example.com resolves to 10.0.0.5, a private network address; "
        "Afterglow only fetches public addresses."
    )
    assert connections == []


def test_a_host_name_with_one_public_and_one_private_address_is_refused(dns, connections):
    # Given a name answering with a public and a private address (the connection could use either)
    dns.answer("mixed.example.com", [PUBLIC_IP, "192.168.0.10"])
    # When it is fetched
    with pytest.raises(OutboundRefused, match=re.escape("resolves to 192.168.0.10, a private network address")):
        fetch("http://mixed.example.com/feed.xml", max_bytes=1000, timeout=5)
    # Then not even the public address is connected to
    assert connections == []


def test_an_ipv6_only_host_with_a_private_address_is_refused(dns, connections):
    dns.answer("v6.example.com", ["fd12:3456::7"])
    with pytest.raises(OutboundRefused, match="resolves to fd12:3456::7, a private network address"):
        fetch("http://v6.example.com/", max_bytes=1000, timeout=5)
    assert connections == []


@pytest.mark.parametrize(
    "url",
    ["ftp://feeds.example.com/feed.xml", "file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "feeds.example.com"],
)
def test_only_http_and_https_are_fetched(url, connections):
    with pytest.raises(OutboundRefused, match="Only http and https addresses are fetched"):
        fetch(url, max_bytes=1000, timeout=5)
    assert connections == []


@pytest.mark.parametrize(
    "url",
    [
        "http://user:secret@feeds.example.com/feed.xml",
        "http://feeds.example.com@127.0.0.1/feed.xml",
        "http://@127.0.0.1/feed.xml",
        "http://feeds.example.com\\@127.0.0.1/feed.xml",
        "http://feeds.example.com%2f@127.0.0.1/",
        "http://127.0.0.1\t/feed.xml",
    ],
)
def test_user_names_passwords_and_parsing_tricks_are_refused(url, connections):
    # Given an address that different parsers would read as different hosts
    # When it is fetched
    with pytest.raises(OutboundRefused) as refused:
        fetch(url, max_bytes=1000, timeout=5)
    # Then it is refused, without echoing any password
    assert "secret" not in str(refused.value)
    assert connections == []


def test_a_name_that_does_not_resolve_is_a_clear_failure(dns):
    dns.answer("gone.example.com", [])
    with pytest.raises(OutboundFailed, match=re.escape("The address gone.example.com could not be found")):
        check_url("https://gone.example.com/feed.xml")


def test_a_local_server_is_refused_by_default_even_in_debug(settings, httpserver):
    # Given a server on this machine and no allowed networks, in DEBUG
    settings.DEBUG = True
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    httpserver.expect_request("/feed.xml").respond_with_data("secret internal data")
    # When it is fetched
    with pytest.raises(OutboundRefused, match="a loopback address"):
        fetch(local(httpserver, "/feed.xml"), max_bytes=1000, timeout=5)
    # Then the server never saw a request
    assert httpserver.log == []


def test_the_allowed_networks_allow_exactly_what_they_list(allow_localhost, bystander, connections):
    # Given only 127.0.0.1/32 allowed
    # When another loopback address is fetched
    with pytest.raises(OutboundRefused, match=re.escape("127.0.0.2 is a loopback address")):
        fetch(f"http://127.0.0.2:{bystander.port}/", max_bytes=1000, timeout=5)
    # Then it is refused and nobody there was contacted
    assert connections == []
    assert not bystander.knocked()


def test_allowing_a_broad_network_does_not_open_the_cloud_metadata_service(settings, connections):
    # Given an operator who allows the VPN range 100.64.0.0/10 and the link-local range
    settings.OUTBOUND_ALLOWED_NETWORKS = ["100.64.0.0/10", "169.254.0.0/16"]
    # When an address in those ranges is checked, then it is allowed...
    check_url("http://100.64.0.7/feed.xml")
    check_url("http://169.254.10.1/feed.xml")
    # ...but the metadata services inside them stay refused
    for url in ("http://100.100.100.200/latest/meta-data/", "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(OutboundRefused, match="a cloud metadata address"):
            fetch(url, max_bytes=1000, timeout=5)
    assert connections == []


def test_an_allowed_network_that_is_not_a_network_is_a_configuration_error(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="OUTBOUND_ALLOWED_NETWORKS"):
        check_url("http://10.0.0.1/")


# --- Fetching ---------------------------------------------------------------------------------------


def test_an_allowed_server_is_fetched_with_status_headers_final_address_and_body(allow_localhost, httpserver):
    # Given a feed server the operator allowed
    httpserver.expect_request("/feed.xml", method="GET").respond_with_data(
        b"<rss/>", content_type="application/xml", headers={"ETag": '"v1"'}
    )
    url = local(httpserver, "/feed.xml")
    # When it is fetched
    result = fetch(url, max_bytes=1000, timeout=5, headers={"User-Agent": "Afterglow product feed reader"})
    # Then the answer comes back whole, and the server saw its own name and our user agent
    assert (result.status, result.content, result.url) == (200, b"<rss/>", url)
    assert result.headers["etag"] == '"v1"'
    request = httpserver.log[0][0]
    assert request.headers["Host"] == f"127.0.0.1:{httpserver.port}"
    assert request.headers["User-Agent"] == "Afterglow product feed reader"


def test_an_error_status_is_returned_for_the_caller_to_judge(allow_localhost, httpserver):
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    result = fetch(local(httpserver, "/gone.xml"), max_bytes=1000, timeout=5)
    assert (result.status, result.content) == (404, b"gone")


def test_proxy_settings_in_the_environment_are_not_used(allow_localhost, httpserver, monkeypatch):
    # Given a proxy in the environment (a proxy would make the connection, and the check, elsewhere)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    httpserver.expect_request("/feed.xml").respond_with_data("direct")
    # When fetching, then the server is reached directly
    assert fetch(local(httpserver, "/feed.xml"), max_bytes=1000, timeout=5).content == b"direct"


def test_dns_is_asked_once_and_the_vetted_address_is_the_one_connected_to(dns, httpserver, monkeypatch):
    # Given a name that answers a public address first, then 127.0.0.1 (DNS rebinding)
    dns.answer("rebind.example.com", [PUBLIC_IP], ["127.0.0.1"])
    httpserver.expect_request("/feed.xml").respond_with_data("from the public server")
    # ...and the local test server standing in for the public one (this sandbox has no internet)
    opened = []
    real_connect = outbound._connect

    def connect(family, sockaddr, **kwargs):
        opened.append(sockaddr[0])
        stand_in = ("127.0.0.1", httpserver.port) if sockaddr[0] == PUBLIC_IP else sockaddr
        return real_connect(family, stand_in, **kwargs)

    monkeypatch.setattr(outbound, "_connect", connect)
    # When it is fetched
    result = fetch(f"http://rebind.example.com:{httpserver.port}/feed.xml", max_bytes=1000, timeout=5)
    # Then the name was looked up once, the connection went to the vetted public address only,
    # and the server saw the name the merchant typed
    assert result.content == b"from the public server"
    assert dns.lookups == ["rebind.example.com"]
    assert opened == [PUBLIC_IP]
    assert httpserver.log[0][0].headers["Host"] == f"rebind.example.com:{httpserver.port}"


def test_a_second_lookup_that_would_rebind_to_a_forbidden_address_is_never_made(
    allow_localhost, dns, httpserver, connections
):
    # Given a name allowed on its first answer (127.0.0.1 is allowed) that rebinds to the metadata address
    dns.answer("feeds.test", ["127.0.0.1"], ["169.254.169.254"])
    httpserver.expect_request("/feed.xml").respond_with_data("ok")
    # When it is fetched
    result = fetch(f"http://feeds.test:{httpserver.port}/feed.xml", max_bytes=1000, timeout=5)
    # Then one lookup, one connection, to the vetted address
    assert result.content == b"ok"
    assert dns.lookups == ["feeds.test"]
    assert connections == ["127.0.0.1"]


def test_a_redirect_is_followed_to_an_allowed_address(allow_localhost, httpserver):
    httpserver.expect_request("/old.xml").respond_with_data("", status=301, headers={"Location": "/new.xml"})
    httpserver.expect_request("/new.xml").respond_with_data("<rss/>")
    result = fetch(local(httpserver, "/old.xml"), max_bytes=1000, timeout=5)
    assert (result.status, result.content, result.url) == (200, b"<rss/>", local(httpserver, "/new.xml"))


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "a cloud metadata address"),
        ("http://10.0.0.1:6379/", "a private network address"),
        ("http://127.0.0.2:{bystander}/", "a loopback address"),
        ("http://[::ffff:127.0.0.2]:{bystander}/", "a loopback address"),
        ("http://2130706434:{bystander}/", "a loopback address"),  # 127.0.0.2 as a number
    ],
)
def test_a_redirect_to_a_forbidden_address_is_refused_without_connecting(
    target, kind, allow_localhost, httpserver, bystander, connections
):
    # Given an allowed server that redirects somewhere forbidden
    location = target.format(bystander=bystander.port)
    httpserver.expect_request("/feed.xml").respond_with_data("", status=302, headers={"Location": location})
    # When it is fetched
    with pytest.raises(OutboundRefused) as refused:
        fetch(local(httpserver, "/feed.xml"), max_bytes=1000, timeout=5)
    # Then the hop is refused: only the first server was connected to, nobody on 127.0.0.2 was contacted
    assert kind in str(refused.value)
    assert connections == ["127.0.0.1"]
    assert not bystander.knocked()


def test_a_redirect_to_another_scheme_is_refused(allow_localhost, httpserver, connections):
    httpserver.expect_request("/feed.xml").respond_with_data("", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(OutboundRefused, match="redirected to an address that is not fetched"):
        fetch(local(httpserver, "/feed.xml"), max_bytes=1000, timeout=5)
    assert connections == ["127.0.0.1"]


def test_redirects_are_bounded(allow_localhost, httpserver):
    # Given a server that redirects to itself forever
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    # When it is fetched, then it gives up after 5 redirects (6 requests)
    with pytest.raises(OutboundFailed, match="redirected more than 5 times"):
        fetch(local(httpserver, "/loop"), max_bytes=1000, timeout=5)
    assert len(httpserver.log) == 6


def test_credentials_do_not_follow_a_redirect_to_another_host(allow_localhost, dns, httpserver):
    # Given an API answering with a redirect to another host name
    dns.answer("cdn.test", ["127.0.0.1"])
    httpserver.expect_request("/api/feed").respond_with_data(
        "", status=302, headers={"Location": f"http://cdn.test:{httpserver.port}/files/feed.xml"}
    )
    httpserver.expect_request("/files/feed.xml").respond_with_data("<rss/>")
    # When it is fetched with a bearer token
    result = fetch(
        local(httpserver, "/api/feed"), max_bytes=1000, timeout=5, headers={"Authorization": "Bearer s3cr3t"}
    )
    # Then the token went to the API only
    assert result.content == b"<rss/>"
    first, second = (request for request, _response in httpserver.log)
    assert first.headers.get("Authorization") == "Bearer s3cr3t"
    assert "Authorization" not in second.headers


# --- Size and time ----------------------------------------------------------------------------------


def test_a_body_larger_than_the_limit_is_refused(allow_localhost, httpserver):
    httpserver.expect_request("/big.xml").respond_with_data(b"x" * 2001)
    with pytest.raises(OutboundTooLarge, match="larger than 2000 bytes"):
        fetch(local(httpserver, "/big.xml"), max_bytes=2000, timeout=5)


def test_a_body_of_exactly_the_limit_is_read(allow_localhost, httpserver):
    httpserver.expect_request("/edge.xml").respond_with_data(b"x" * 2000)
    assert len(fetch(local(httpserver, "/edge.xml"), max_bytes=2000, timeout=5).content) == 2000


def test_an_endless_body_without_a_length_is_cut_off_at_the_limit(allow_localhost, httpserver):
    # Given a server streaming 64 MB with no Content-Length
    sent = []

    def endless(request):
        def chunks():
            for _ in range(1024):
                sent.append(1)
                yield b"y" * 65536

        return Response(chunks(), content_type="application/xml")

    httpserver.expect_request("/stream.xml").respond_with_handler(endless)
    # When it is fetched with a 100 KB limit
    with pytest.raises(OutboundTooLarge):
        fetch(local(httpserver, "/stream.xml"), max_bytes=100 * 1024, timeout=10)
    # Then the fetch stopped long before the server had sent everything
    assert len(sent) < 1024


def test_a_compressed_body_is_limited_by_its_decompressed_size(allow_localhost, httpserver):
    # Given a small gzip answer that inflates to 5 MB
    bomb = gzip.compress(b"\0" * 5_000_000)
    httpserver.expect_request("/bomb.xml").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    # When it is fetched with a 100 KB limit, then it is refused as too large
    with pytest.raises(OutboundTooLarge):
        fetch(local(httpserver, "/bomb.xml"), max_bytes=100_000, timeout=5)


def test_a_compressed_body_within_the_limit_is_decompressed(allow_localhost, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        gzip.compress(b"<rss>" + b"a" * 5000 + b"</rss>"), headers={"Content-Encoding": "gzip"}
    )
    result = fetch(local(httpserver, "/feed.xml"), max_bytes=10_000, timeout=5)
    assert result.content == b"<rss>" + b"a" * 5000 + b"</rss>"
    assert httpserver.log[0][0].headers["Accept-Encoding"] == "gzip"


def test_a_server_that_answers_slowly_is_given_up_on_at_the_total_timeout(allow_localhost, httpserver):
    # Given a server that sends a byte every 0.2 s (each read alone would be quick enough)
    def drip(request):
        def chunks():
            for _ in range(10):
                yield b"z"
                time.sleep(0.2)

        return Response(chunks())

    httpserver.expect_request("/slow.xml").respond_with_handler(drip)
    # When it is fetched with a 0.6 s total timeout
    started = time.monotonic()
    with pytest.raises(OutboundFailed, match=re.escape("did not answer within 0.6 seconds")):
        fetch(local(httpserver, "/slow.xml"), max_bytes=1000, timeout=0.6)
    # Then it gives up at the deadline, not after the whole answer
    assert time.monotonic() - started < 1.8


def test_a_closed_port_is_a_clear_failure(allow_localhost):
    # Given an allowed address where nothing listens
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    # When it is fetched, then the failure says so
    with pytest.raises(OutboundFailed, match=re.escape("Could not connect to 127.0.0.1")):
        fetch(f"http://127.0.0.1:{port}/feed.xml", max_bytes=1000, timeout=5)


def test_messages_and_logs_never_carry_the_query_string(allow_localhost, dns, caplog):
    # Given a feed address with a token in its query string, at a private address
    dns.answer("feeds.example.com", ["10.0.0.5"])
    caplog.set_level(logging.DEBUG, logger="apps.core.outbound")
    # When it is refused
    with pytest.raises(OutboundRefused) as refused:
        fetch("https://feeds.example.com/feed.xml?token=tok_live_abcdef", max_bytes=1000, timeout=5)
    # Then neither the message nor the log holds the token
    assert "tok_live_abcdef" not in str(refused.value)
    assert "tok_live_abcdef" not in caplog.text
    assert "feeds.example.com" in caplog.text


# --- TLS: connected to the IP, verified against the name -------------------------------------------


@pytest.fixture
def tls_server():
    """An https server on 127.0.0.1 whose certificate (from a test CA) names feeds.test only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    server_names: list[str | None] = []
    context.sni_callback = lambda ssl_socket, name, ctx: server_names.append(name)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.server_names = server_names
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def trust_test_ca():
    return ssl.create_default_context(cafile=str(TLS / "ca.pem"))


def test_https_sends_the_host_name_for_sni_and_verifies_the_certificate_against_it(
    allow_localhost, dns, tls_server, trust_test_ca, connections
):
    # Given feeds.test resolving to the (allowed) test server with a certificate for feeds.test
    dns.answer("feeds.test", ["127.0.0.1"])
    tls_server.expect_request("/feed.xml").respond_with_data("<rss/>")
    # When it is fetched over https
    result = fetch(f"https://feeds.test:{tls_server.port}/feed.xml", max_bytes=1000, timeout=5, verify=trust_test_ca)
    # Then the connection went to the vetted IP, TLS named feeds.test, and the certificate checked out
    assert result.content == b"<rss/>"
    assert connections == ["127.0.0.1"]
    assert tls_server.server_names == ["feeds.test"]
    assert tls_server.log[0][0].headers["Host"] == f"feeds.test:{tls_server.port}"


def test_https_refuses_a_certificate_for_another_name(allow_localhost, dns, tls_server, trust_test_ca):
    # Given another name pointing at the same server (its certificate is for feeds.test only)
    dns.answer("other.test", ["127.0.0.1"])
    tls_server.expect_request("/feed.xml").respond_with_data("<rss/>")
    # When it is fetched, then certificate verification fails against the name, not the IP
    with pytest.raises(OutboundFailed, match="certificate"):
        fetch(f"https://other.test:{tls_server.port}/feed.xml", max_bytes=1000, timeout=5, verify=trust_test_ca)
    assert tls_server.log == []


# --- The client API clients build on ----------------------------------------------------------------


def test_the_guarded_client_refuses_a_forbidden_hop_even_when_httpx_follows_redirects(
    allow_localhost, httpserver, connections
):
    # Given an API client built on guarded_client that lets httpx follow redirects
    httpserver.expect_request("/api").respond_with_data(
        "", status=307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    # When the API redirects to the metadata service
    with guarded_client(follow_redirects=True) as client, pytest.raises(OutboundRefused, match="cloud metadata"):
        client.get(local(httpserver, "/api"))
    # Then that hop is never connected to
    assert connections == ["127.0.0.1"]


def test_the_guarded_client_cannot_be_given_its_own_transport():
    with pytest.raises(TypeError, match="bypass the address check"):
        guarded_client(transport=httpx.HTTPTransport())

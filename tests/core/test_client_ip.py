"""One definition of the client's address (apps/core/client_ip.py), used by the sign-in lockout and the
order-lookup throttle."""

import pytest
from django.test import RequestFactory

from apps.core.client_ip import client_ip
from apps.tracking.throttle import client_address


def request(remote="10.0.0.2", forwarded=None, **meta):
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", REMOTE_ADDR=remote, **meta)


def test_without_a_proxy_only_the_socket_address_counts(settings):
    settings.PROXY_COUNT = 0
    spoofed = {"HTTP_X_REAL_IP": "203.0.113.1", "HTTP_CLIENT_IP": "203.0.113.2", "HTTP_FORWARDED": "for=203.0.113.3"}
    assert client_ip(request("198.51.100.7", forwarded="203.0.113.4", **spoofed)) == "198.51.100.7"


@pytest.mark.parametrize(
    ("proxy_count", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),  # what one proxy writes for a client that sent nothing
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entry is left of ours
        (1, "junk, 198.51.100.7", "198.51.100.7"),
        (1, "10.1.2.3", "10.1.2.3"),  # a client on a private network is still that client
        (1, "2001:db8::7", "2001:db8::7"),
        (1, "::ffff:198.51.100.7", "198.51.100.7"),
        (2, "6.6.6.6, 198.51.100.7, 203.0.113.50", "198.51.100.7"),  # CDN then our proxy
        (2, "198.51.100.7", "10.0.0.2"),  # did not come through both proxies: the peer's address
        (1, "", "10.0.0.2"),
    ],
)
def test_behind_proxies_the_address_our_outermost_proxy_saw_counts(settings, proxy_count, forwarded, expected):
    settings.PROXY_COUNT = proxy_count
    assert client_ip(request(forwarded=forwarded)) == expected


def test_behind_a_proxy_other_client_headers_are_still_ignored(settings):
    settings.PROXY_COUNT = 1
    assert client_ip(request(HTTP_X_REAL_IP="203.0.113.1", HTTP_CLIENT_IP="203.0.113.2")) == "10.0.0.2"


def test_with_trusted_proxies_the_header_is_read_only_from_them(settings):
    settings.PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "::1/128"]
    assert client_ip(request("10.0.0.2", forwarded="198.51.100.7")) == "198.51.100.7"
    assert client_ip(request("::1", forwarded="198.51.100.7")) == "198.51.100.7"
    # a client reaching the app port directly cannot choose its address
    assert client_ip(request("203.0.113.9", forwarded="198.51.100.7")) == "203.0.113.9"


def test_no_usable_address_is_none_and_the_throttle_counts_it_as_unknown(settings):
    settings.PROXY_COUNT = 0
    assert client_ip(request("")) is None
    assert client_address(request("not-an-address")) == "unknown"

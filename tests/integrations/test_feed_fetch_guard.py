"""A product feed address is fetched only from public addresses: a merchant cannot make Afterglow read
its own network, the cloud metadata service or this machine, by typing the address or by a redirect.
The refusal is said in the dashboard form, and recorded on the feed when a refresh meets it."""

import socket

import pytest
from django.urls import reverse

from apps.integrations.models import ProductFeed
from apps.integrations.services.product_feeds import feed_refresh
from apps.orders.models import Product
from tests.integrations.factories import ProductFeedFactory

pytestmark = pytest.mark.django_db

FEED = b"""<?xml version="1.0"?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel><title>Northwind</title>
  <item><g:id>mug-1</g:id><g:title>Stoneware mug</g:title><g:price>15.00 EUR</g:price></item>
</channel></rss>"""

PUBLIC_ONLY = "Afterglow only fetches public addresses."


@pytest.fixture
def resolve_to(monkeypatch):
    """Make DNS answer `addresses` for `host` (no addresses: the name is not found); other names as usual."""
    real_getaddrinfo = socket.getaddrinfo

    def answer(host: str, *addresses: str) -> None:
        def getaddrinfo(name, port, *args, **kwargs):
            if name != host:
                return real_getaddrinfo(name, port, *args, **kwargs)
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    return answer


# --- Refreshing a feed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "The address 169.254.169.254 is a cloud metadata address"),
        ("http://127.0.0.1:6379/", "The address 127.0.0.1 is a loopback address"),
        ("http://2130706433/feed.xml", "The address 2130706433 resolves to 127.0.0.1, a loopback address"),
        ("http://[::ffff:10.0.0.5]/feed.xml", "The address ::ffff:10.0.0.5 is a private network address"),
    ],
)
def test_refreshing_a_feed_at_a_forbidden_address_records_why_and_imports_nothing(url, reason):
    # Given a feed whose address points at this machine, its network or the metadata service
    feed = ProductFeedFactory(url=url)
    # When it is refreshed (the scheduled task calls this)
    refreshed = feed_refresh(feed_id=feed.pk)
    # Then the feed shows the readable reason and no product was created
    assert refreshed.last_ok is False
    assert refreshed.last_error == f"{reason}; {PUBLIC_ONLY}"
    assert not Product.objects.filter(store=feed.store).exists()


def test_a_feed_host_that_now_resolves_to_a_private_address_is_refused_at_refresh(resolve_to):
    # Given a feed added while its host was public, whose DNS now points inside our network
    feed = ProductFeedFactory(url="https://feeds.example.com/products.xml?key=abc123secret")
    resolve_to("feeds.example.com", "10.0.0.5")
    # When it is refreshed
    refreshed = feed_refresh(feed_id=feed.pk)
    # Then the refusal names the host and the address, never the key in the query string
    assert refreshed.last_error == (
        f"The address feeds.example.com resolves to 10.0.0.5, a private network address; {PUBLIC_ONLY}"
    )
    assert "abc123secret" not in refreshed.last_error
    assert not Product.objects.filter(store=feed.store).exists()


def test_a_feed_that_redirects_to_the_metadata_service_is_refused(settings, httpserver):
    # Given an internal feed server the operator allowed, which redirects to the metadata service
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    httpserver.expect_request("/feed.xml").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam/"}
    )
    feed = ProductFeedFactory(url=f"http://127.0.0.1:{httpserver.port}/feed.xml")
    # When it is refreshed
    refreshed = feed_refresh(feed_id=feed.pk)
    # Then the redirect is refused and recorded, and nothing was imported
    assert refreshed.last_ok is False
    assert "redirected to an address that is not fetched" in refreshed.last_error
    assert "169.254.169.254 is a cloud metadata address" in refreshed.last_error
    assert not Product.objects.filter(store=feed.store).exists()


def test_an_internal_feed_server_is_read_only_while_the_operator_allows_it(settings, httpserver):
    # Given an on-premises feed server on 127.0.0.1, allowed by the operator
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type="application/xml")
    feed = ProductFeedFactory(url=f"http://127.0.0.1:{httpserver.port}/feed.xml")
    # When it is refreshed, then its products are read
    assert feed_refresh(feed_id=feed.pk).products_seen == 1
    assert Product.objects.filter(store=feed.store, external_id="mug-1").exists()
    # When the operator withdraws the allowance, then the next refresh is refused before connecting
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    refreshed = feed_refresh(feed_id=feed.pk)
    assert (refreshed.last_ok, refreshed.last_error) == (
        False,
        f"The address 127.0.0.1 is a loopback address; {PUBLIC_ONLY}",
    )
    assert len(httpserver.log) == 1


def test_refresh_now_in_the_dashboard_shows_the_refusal(client, manager, django_capture_on_commit_callbacks):
    # Given a feed at the metadata address
    feed = ProductFeedFactory(store=manager.store, url="http://169.254.169.254/latest/meta-data/")
    # When the manager presses "Refresh now"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dashboard:feed_refresh", args=[feed.pk]))
    # Then the feed list shows it failed, and why
    page = client.get(reverse("dashboard:feed_list")).content.decode()
    assert "Failed" in page
    assert "The address 169.254.169.254 is a cloud metadata address" in page
    assert not Product.objects.filter(store=manager.store).exists()


# --- Adding a feed in the dashboard ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "The address 169.254.169.254 is a cloud metadata address"),
        ("http://localhost:8000/feed.xml", "The address localhost resolves to 127.0.0.1, a loopback address"),
        ("http://127.0.0.1/feed.xml", "The address 127.0.0.1 is a loopback address"),
        ("http://[::1]/feed.xml", "The address ::1 is a loopback address"),
        ("http://192.168.1.20/feed.xml", "The address 192.168.1.20 is a private network address"),
        ("http://100.64.1.1/feed.xml", "The address 100.64.1.1 is a shared (carrier-grade NAT) address"),
    ],
)
def test_the_feed_form_refuses_a_private_or_local_address(
    url, reason, client, manager, django_capture_on_commit_callbacks
):
    # Given a manager adding a feed at a forbidden address
    form = {"action": "add-feed", "add-url": url, "add-refresh_hours": 24}
    # When the form is sent
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("dashboard:feed_list"), form)
    # Then the form says why, and no feed is saved or read
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not ProductFeed.objects.exists()
    assert callbacks == []


def test_the_feed_form_refuses_a_host_that_resolves_to_a_private_address(client, manager, resolve_to):
    resolve_to("feeds.example.com", "10.0.0.5")
    form = {"action": "add-feed", "add-url": "https://feeds.example.com/products.xml", "add-refresh_hours": 24}
    response = client.post(reverse("dashboard:feed_list"), form)
    assert response.status_code == 400
    assert "The address feeds.example.com resolves to 10.0.0.5, a private network address" in response.content.decode()
    assert not ProductFeed.objects.exists()


def test_the_feed_form_refuses_a_host_that_is_not_found(client, manager, resolve_to):
    # Given a typo in the feed's host name
    resolve_to("feeds.exmaple.com")
    form = {"action": "add-feed", "add-url": "https://feeds.exmaple.com/products.xml", "add-refresh_hours": 24}
    # When the form is sent, then it says the address was not found, and nothing is saved
    response = client.post(reverse("dashboard:feed_list"), form)
    assert response.status_code == 400
    assert "The address feeds.exmaple.com could not be found" in response.content.decode()
    assert not ProductFeed.objects.exists()

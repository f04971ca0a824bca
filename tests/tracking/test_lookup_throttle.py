"""The order-lookup throttle counts per client: behind our proxy by the address the proxy saw, so two
buyers behind it are two clients; never by a header a client can write itself."""

import pytest
from django.urls import reverse

from apps.tracking.views import LOOKUPS_PER_WINDOW
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def lookup(client, store, number, proof, **meta):
    url = reverse("tracking:lookup", args=[store.slug])
    return client.post(url, {"number": number, "email_or_postcode": proof}, **meta)


def exhaust(client, store, **meta):
    for _ in range(LOOKUPS_PER_WINDOW):
        assert lookup(client, store, "#0000", "x@example.com", **meta).status_code == 200


def test_behind_one_proxy_two_buyers_have_separate_throttles(client, settings):
    # given one reverse proxy, so every request comes from its address
    settings.PROXY_COUNT = 1
    order = OrderFactory(number="#3001")
    # when one buyer uses up the lookups
    exhaust(client, order.store, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert (
        lookup(
            client, order.store, "#3001", order.email, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7"
        ).status_code
        == 429
    )
    # then another buyer behind the same proxy still finds their order
    response = lookup(client, order.store, "#3001", order.email, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/track/{order.store.slug}/order/")


def test_behind_one_proxy_what_the_client_prepends_does_not_escape_the_throttle(client, settings):
    # given one proxy, which appends the address it saw to whatever X-Forwarded-For the client sent
    settings.PROXY_COUNT = 1
    order = OrderFactory(number="#3002")
    for n in range(LOOKUPS_PER_WINDOW):
        lookup(
            client,
            order.store,
            "#0000",
            "x@example.com",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.7",
        )
    # when the client writes yet another address in front
    response = lookup(
        client, order.store, "#3002", order.email, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.7"
    )
    # then it is still the same client
    assert response.status_code == 429


def test_without_a_proxy_a_spoofed_x_forwarded_for_does_not_escape_the_throttle(client, settings):
    # given no proxy configured (the default)
    settings.PROXY_COUNT = 0
    order = OrderFactory(number="#3003")
    # when a client sends a new X-Forwarded-For (and X-Real-IP, Client-IP) with every lookup
    for n in range(LOOKUPS_PER_WINDOW):
        spoofed = {
            "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}",
            "HTTP_X_REAL_IP": f"203.0.113.{n}",
            "HTTP_CLIENT_IP": f"192.0.2.{n}",
        }
        lookup(client, order.store, "#0000", "x@example.com", **spoofed)
    response = lookup(client, order.store, "#3003", order.email, HTTP_X_FORWARDED_FOR="198.51.100.200")
    # then every lookup counted against its real address
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()

""" "Send a test event" posts a delivery signed like the source's own to our public webhook address, and
keeps what our endpoint answered."""

import pytest

from apps.integrations.models import Connection, ConnectionState, InboundEvent
from apps.integrations.services.test_events import connection_send_test_event
from apps.orders.models import Order
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)
SOURCES = ("shopify", "woocommerce", "aftership", "easypost", "17track")


@pytest.mark.parametrize("source", SOURCES)
def test_each_sources_test_event_passes_through_the_real_endpoint_twice(source, live_server, settings, mailoutbox):
    settings.SITE_URL = live_server.url
    store = StoreFactory(slug="northwind")
    connection = Connection.objects.create(
        store=store, source=source, secret="hook-secret", api_token="api-key", state=ConnectionState.CONNECTED
    )
    if source == "17track":  # 17TRACK signs with the API key
        Connection.objects.filter(pk=connection.pk).update(secret="api-key")

    first = connection_send_test_event(connection_id=connection.pk)
    second = connection_send_test_event(connection_id=connection.pk)

    assert first.test_event_ok and second.test_event_ok, (first.test_event_result, second.test_event_result)
    assert first.test_event_result.startswith("HTTP 200")
    assert InboundEvent.objects.filter(store=store, source=source).exists()
    assert not InboundEvent.objects.filter(store=store, outcome__in=["rejected", "failed"]).exists()
    assert mailoutbox == []  # a test event emails nobody
    assert Order.objects.filter(store=store, is_history=False).count() == 0


def test_an_address_that_does_not_answer_is_said_plainly(settings):
    settings.SITE_URL = "http://127.0.0.1:9"
    connection = Connection.objects.create(
        store=StoreFactory(), source="shopify", secret="hook-secret", state=ConnectionState.CONNECTED
    )

    connection = connection_send_test_event(connection_id=connection.pk)

    assert connection.test_event_ok is False
    assert "Could not reach http://127.0.0.1:9" in connection.test_event_result

import uuid

import pytest
from django.urls import reverse

from apps.integrations.models import InboundEvent, Outcome
from apps.orders.models import Order
from tests.integrations.conftest import b64_hmac, fixture_bytes
from tests.integrations.factories import ConnectionFactory, InboundEventFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_failures_are_listed_for_a_person_to_see(client, manager):
    failed = InboundEventFactory(store=manager.store, failed=True)
    fine = InboundEventFactory(store=manager.store)
    items = client.get(reverse("dashboard:inbound_list"), {"outcome": "problems"}).context["page"].items
    assert [e.pk for e in items] == [failed.pk]
    assert fine.pk not in [e.pk for e in items]


def test_the_detail_shows_the_raw_body_and_the_error(client, manager):
    event = InboundEventFactory(store=manager.store, failed=True, body='{"id": 424242}')
    page = client.get(reverse("dashboard:inbound_detail", args=[event.pk])).content.decode()
    assert "424242" in page
    assert "not known yet" in page


def test_a_person_replays_a_failed_delivery_once_its_order_exists(client, manager):
    # given a fulfillment that failed because its order had not arrived
    secret = "s3cret"
    ConnectionFactory(store=manager.store, source="shopify", secret=secret)
    url = reverse("integrations:webhook", kwargs={"source": "shopify", "store_slug": manager.store.slug})

    def deliver(topic, body):
        headers = {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": b64_hmac(secret, body),
                   "X-Shopify-Webhook-Id": str(uuid.uuid4())}  # fmt: skip
        return client.post(url, data=body, content_type="application/json", headers=headers)

    assert deliver("fulfillments/create", fixture_bytes("shopify/shopify_fulfillments_create.json")).status_code == 422
    failed = InboundEvent.objects.get(outcome=Outcome.FAILED)
    deliver("orders/create", fixture_bytes("shopify/shopify_orders_create.json"))
    assert Order.objects.filter(store=manager.store).exists()
    # when the manager presses replay
    response = client.post(reverse("dashboard:inbound_replay", args=[failed.pk]), follow=True)
    # then it is processed and says so
    failed.refresh_from_db()
    assert failed.outcome == Outcome.PROCESSED
    assert failed.replays == 1
    assert "Replayed" in response.content.decode()


def test_a_rejected_delivery_cannot_be_replayed(client, manager):
    event = InboundEventFactory(store=manager.store, outcome=Outcome.REJECTED, delivery_id="")
    response = client.post(reverse("dashboard:inbound_replay", args=[event.pk]), follow=True)
    event.refresh_from_db()
    assert event.outcome == Outcome.REJECTED
    assert "never applied" in response.content.decode()


def test_support_staff_cannot_see_or_replay_the_inbound_log(client):
    support = MembershipFactory(role="support")
    client.force_login(support.user)
    event = InboundEventFactory(store=support.store, failed=True)
    assert client.get(reverse("dashboard:inbound_list")).status_code == 403
    assert client.post(reverse("dashboard:inbound_replay", args=[event.pk])).status_code == 403

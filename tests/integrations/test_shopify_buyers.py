"""Buyers as Shopify reports them over time: consent the buyer withdrew here, and a changed address."""

import json
import uuid

import pytest
import time_machine

from apps.customers.models import ConsentSource, Customer, SuppressionReason
from apps.feedback.links import unsubscribe_path
from apps.integrations.models import InboundEvent, Outcome
from apps.orders.models import Order
from tests.customers.factories import CustomerFactory
from tests.integrations.conftest import b64_hmac, fixture_json

pytestmark = pytest.mark.django_db
SECRET = "test-webhook-secret"
SHOPIFY_CUSTOMER_ID = 115310627314723954


@pytest.fixture
def shopify(connect, post_webhook):
    connect("shopify", SECRET)

    def send(topic: str, payload: dict):
        body = json.dumps(payload).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": b64_hmac(SECRET, body),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        }
        return post_webhook("shopify", body, headers)

    return send


def order_payload(*, order_id: int, email: str, placed: str, updated: str | None = None, accepts: bool = True) -> dict:
    payload = fixture_json("shopify/shopify_orders_create.json")
    payload.update(
        id=order_id,
        name=f"#{order_id}",
        email=email,
        created_at=placed,
        processed_at=placed,
        updated_at=updated or placed,
        cancelled_at=None,
        buyer_accepts_marketing=accepts,
    )
    payload["customer"].update(id=SHOPIFY_CUSTOMER_ID, email=email)
    return payload


def send_twice(shopify, topic: str, payload: dict):
    responses = [shopify(topic, payload) for _ in range(2)]
    for response in responses:
        assert response.status_code == 200, response.content
    return responses


def test_a_one_click_unsubscribe_survives_later_updates_of_the_order_it_came_from(shopify, store, client):
    # given a buyer who ticked "email me offers" at checkout on 1 March
    with time_machine.travel("2026-03-01T10:05:00Z"):
        send_twice(
            shopify,
            "orders/create",
            order_payload(order_id=5001, email="ana@example.com", placed="2026-03-01T10:00:00Z"),
        )
    customer = Customer.objects.get(store=store, email="ana@example.com")
    assert customer.marketing_consent
    # and who unsubscribed with the one-click link on 3 March
    with time_machine.travel("2026-03-03T09:00:00Z"):
        client.post(unsubscribe_path(customer), {"List-Unsubscribe": "One-Click"})
    customer.refresh_from_db()
    assert not customer.marketing_consent

    # when Shopify sends orders/updated for that order (it was fulfilled on 4 March), and a stale copy
    with time_machine.travel("2026-03-04T12:00:00Z"):
        send_twice(
            shopify,
            "orders/updated",
            order_payload(
                order_id=5001, email="ana@example.com", placed="2026-03-01T10:00:00Z", updated="2026-03-04T11:00:00Z"
            ),
        )
        send_twice(
            shopify,
            "orders/updated",
            order_payload(
                order_id=5001, email="ana@example.com", placed="2026-03-01T10:00:00Z", updated="2026-03-02T11:00:00Z"
            ),
        )

    # then the buyer stays unsubscribed: the checkout's box was an answer of 1 March, not a new one
    customer.refresh_from_db()
    assert not customer.marketing_consent
    assert customer.consent_source == ConsentSource.UNSUBSCRIBE
    assert customer.consent_events.count() == 2  # granted at checkout, withdrawn by the link


def test_a_new_checkout_after_the_unsubscribe_where_the_box_is_ticked_again_grants_consent(shopify, store, client):
    with time_machine.travel("2026-03-01T10:05:00Z"):
        shopify("orders/create", order_payload(order_id=5001, email="ana@example.com", placed="2026-03-01T10:00:00Z"))
    customer = Customer.objects.get(store=store, email="ana@example.com")
    with time_machine.travel("2026-03-03T09:00:00Z"):
        client.post(unsubscribe_path(customer), {"List-Unsubscribe": "One-Click"})
    # when she buys again on 10 March and ticks the box at that checkout
    with time_machine.travel("2026-03-10T10:05:00Z"):
        send_twice(
            shopify,
            "orders/create",
            order_payload(order_id=5002, email="ana@example.com", placed="2026-03-10T10:00:00Z"),
        )
    # then that newer answer counts
    customer.refresh_from_db()
    assert customer.marketing_consent
    assert customer.consent_at.isoformat() == "2026-03-10T10:00:00+00:00"


def test_a_customer_who_changes_email_keeps_one_record_and_no_order_is_lost(shopify, store):
    # given an order from Shopify customer 1153… as old@example.com, whose old address once hard-bounced
    send_twice(
        shopify, "orders/create", order_payload(order_id=6001, email="old@example.com", placed="2026-03-01T10:00:00Z")
    )
    Customer.objects.filter(store=store).update(
        suppressed_at="2026-03-02T00:00:00Z", suppression_reason=SuppressionReason.BOUNCE
    )
    # when the same Shopify customer orders again under a new address, and Shopify sends customers/update
    send_twice(
        shopify, "orders/create", order_payload(order_id=6002, email="new@example.com", placed="2026-03-05T10:00:00Z")
    )
    update = {"id": SHOPIFY_CUSTOMER_ID, "email": "newest@example.com", "first_name": "Ana", "last_name": "Lee"}
    send_twice(shopify, "customers/update", update)

    # then both orders are kept, on one customer who now has the newest address and is no longer
    # suppressed by the old address's bounce
    customer = Customer.objects.get(store=store)
    assert customer.external_id == str(SHOPIFY_CUSTOMER_ID)
    assert customer.email == "newest@example.com"
    assert customer.first_name == "Ana"
    assert customer.suppressed_at is None
    orders = Order.objects.filter(store=store).order_by("external_id")
    assert [(o.external_id, o.email, o.customer_id) for o in orders] == [
        ("6001", "old@example.com", customer.pk),
        ("6002", "new@example.com", customer.pk),
    ]
    assert not InboundEvent.objects.exclude(outcome=Outcome.PROCESSED).exists()


def test_a_new_address_that_already_has_its_own_record_gets_the_order_without_an_error(shopify, store):
    # given a guest record under the new address, and the Shopify customer under the old one
    guest = CustomerFactory(store=store, email="new@example.com", external_id="")
    shopify("orders/create", order_payload(order_id=6001, email="old@example.com", placed="2026-03-01T10:00:00Z"))
    # when the Shopify customer orders under the guest's address
    responses = send_twice(
        shopify, "orders/create", order_payload(order_id=6002, email="new@example.com", placed="2026-03-05T10:00:00Z")
    )
    # then the order is saved on the record of that address; the shop's id stays with its first record
    assert all("Error" not in r.content.decode() for r in responses)
    order = Order.objects.get(store=store, external_id="6002")
    assert order.customer_id == guest.pk
    assert Customer.objects.get(store=store, email="old@example.com").external_id == str(SHOPIFY_CUSTOMER_ID)
    guest.refresh_from_db()
    assert guest.external_id == ""

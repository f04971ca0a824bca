"""A store's sender name, however the merchant types it, is one sender in the From header; an address no
ESP accepts fails the email with its reason instead of leaving it in limbo."""

from email.utils import getaddresses

import pytest
import time_machine

from apps.campaigns.dispatch import message_send
from apps.campaigns.models import FlowKind, Message, MessageStatus
from apps.campaigns.preview import send_test
from tests.campaigns.test_dispatch import NOON_ROME, schedule
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def confirmation_for(flows, store):
    buyer = CustomerFactory(store=store, email="ana@example.com")
    order = OrderFactory(store=store, customer=buyer, email=buyer.email)
    return schedule(flows, FlowKind.ORDER_CONFIRMATION, "confirmation", customer=buyer, at=NOON_ROME, order=order)


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("Smith, Jones & Co", "Smith, Jones & Co"),
        ('The "Best" Shop', 'The "Best" Shop'),
        ("Shop\r\nBcc: everyone@example.com", "Shop Bcc: everyone@example.com"),
        ("Степь и Лист", "Степь и Лист"),
    ],
)
@time_machine.travel(NOON_ROME, tick=False)
def test_any_sender_name_is_one_sender(flows, store, mailoutbox, typed, shown):
    store.sender_name, store.sender_email = typed, "hello@shop.example"
    store.save()
    message = confirmation_for(flows, store)
    # when the confirmation is sent (and the send is retried)
    assert message_send(message_id=message.pk).status == MessageStatus.SENT
    assert message_send(message_id=message.pk).status == "not_claimed"
    # then its From header is a single address with the name as typed
    (email,) = mailoutbox
    assert getaddresses([email.from_email]) == [(shown, "hello@shop.example")]
    assert "\n" not in email.from_email and "\r" not in email.from_email


@time_machine.travel(NOON_ROME, tick=False)
def test_without_a_sender_address_the_store_name_goes_with_the_platform_address(flows, store, mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Afterglow <noreply@afterglow.example>"
    store.name, store.sender_name, store.sender_email = "Smith, Jones & Co", "", ""
    store.save()
    message_send(message_id=confirmation_for(flows, store).pk)
    assert getaddresses([mailoutbox[0].from_email]) == [("Smith, Jones & Co", "noreply@afterglow.example")]


@time_machine.travel(NOON_ROME, tick=False)
def test_an_address_no_esp_accepts_fails_the_email_with_its_reason(flows, store, mailoutbox):
    from apps.stores.models import Store

    Store.objects.filter(pk=store.pk).update(sender_email="hello@@shop")  # saved before validation existed
    message = confirmation_for(flows, store)
    assert message_send(message_id=message.pk).status == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.reason.startswith("invalid address")
    assert mailoutbox == []
    assert not Message.objects.filter(status=MessageStatus.SENDING).exists()


def test_a_test_send_uses_the_same_quoted_sender(flows, store, mailoutbox):
    store.sender_name, store.sender_email = "Smith, Jones & Co", "hello@shop.example"
    store.save()
    send_test(step=flows[FlowKind.ORDER_CONFIRMATION].steps.get(), language="en", to="me@shop.example")
    assert getaddresses([mailoutbox[0].from_email]) == [("Smith, Jones & Co", "hello@shop.example")]

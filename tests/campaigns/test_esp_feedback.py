"""Every Anymail fixture posted to Anymail's own endpoint updates the right Message; bounces and
complaints suppress, unsubscribes withdraw consent; posted twice, nothing changes twice."""

import base64
import json
from pathlib import Path

import pytest
from django.utils import timezone

from apps.campaigns.models import FlowKind, Message, MessageEvent, MessageStatus
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.customers.models import Customer
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "anymail"
EXPECTED = {
    item["file"].split("/")[-1]: item["expected_normalized"]
    for item in json.loads((FIXTURES / "anymail_expected_normalization.json").read_text())
}
# What each normalised event does to the ledger and the address.
EFFECTS = {
    "delivered": ("delivered_at", None),
    "opened": ("opened_at", None),
    "clicked": ("clicked_at", None),
    "bounced": ("bounced_at", "suppressed"),
    "complained": ("complained_at", "suppressed"),
    "unsubscribed": (None, "unsubscribed"),
}


def endpoint(name: str) -> str:
    esp = name.split("_")[1]
    return f"/anymail/{esp}/tracking/"


@pytest.fixture
def anymail_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass", "MAILGUN_WEBHOOK_SIGNING_KEY": "TEST_WEBHOOK_SIGNING_KEY"}


def sent_message(flows, *, email: str, esp_id: str | None) -> Message:
    customer = CustomerFactory(store=flows[FlowKind.WIN_BACK].store, email=email.lower(), consenting=True)
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key=f"test:{email}",
                email=email,
                scheduled_for=timezone.now(),
                customer_id=customer.pk,
            )
        ]
    )
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=timezone.now(), esp_message_id=esp_id or ""
    )
    message.refresh_from_db()
    return message


def post(client, name: str):
    auth = "Basic " + base64.b64encode(b"user:pass").decode()
    body = (FIXTURES / name).read_bytes()
    return client.post(endpoint(name), data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)


MATCHABLE = [
    name
    for name, expected in EXPECTED.items()
    if expected.get("event_type") in EFFECTS and (expected.get("message_id") or expected.get("recipient"))
]


@pytest.mark.parametrize("name", MATCHABLE)
def test_each_fixture_updates_its_message_once(client, flows, anymail_settings, name):
    expected = EXPECTED[name]
    recipient = expected.get("recipient") or "someone@example.com"
    message = sent_message(flows, email=recipient, esp_id=expected.get("message_id"))
    # when the ESP reports the event twice
    assert post(client, name).status_code == 200
    assert post(client, name).status_code == 200
    # then one event row, and the message and address changed as the event says
    message.refresh_from_db()
    events = MessageEvent.objects.filter(message=message)
    assert events.count() == 1
    assert events.get().event_type == expected["event_type"]
    field, effect = EFFECTS[expected["event_type"]]
    if field:
        assert getattr(message, field) is not None, name
    customer = Customer.objects.get(pk=message.customer_id)
    soft = (
        json.loads((FIXTURES / name).read_text()).get("Type") in ("SoftBounce", "Transient")
        if name.startswith("anymail_postmark")
        else False
    )
    if effect == "suppressed" and not soft:
        assert customer.suppressed_at is not None, name
    if effect == "unsubscribed":
        assert customer.marketing_consent is False, name


def test_a_hard_bounce_stops_all_further_email_to_the_address(client, flows, anymail_settings, mailoutbox):
    from apps.campaigns.dispatch import message_send

    message = sent_message(flows, email="bounce@example.com", esp_id="2706ee8a-737c-4285-b032-ccd317af53ed")
    post(client, "anymail_postmark_tracking_bounce.json")
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    (next_one,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key="order:x",
                email="bounce@example.com",
                scheduled_for=timezone.now(),
                customer_id=message.customer_id,
            )
        ]
    )
    outcome = message_send(message_id=next_one.pk)
    assert outcome.status == MessageStatus.SUPPRESSED
    assert mailoutbox == []


def test_sendgrid_dropped_as_unsubscribed_withdraws_consent(client, flows, anymail_settings):
    message = sent_message(flows, email="unsubscribe@example.com", esp_id="a36ec0f9-aabe-45c7-9a84-3e17afb5cb65")
    assert post(client, "anymail_sendgrid_tracking_dropped_unsubscribed.json").status_code == 200
    assert Customer.objects.get(pk=message.customer_id).marketing_consent is False


def test_sendgrid_dropped_invalid_suppresses_the_address(client, flows, anymail_settings):
    message = sent_message(flows, email="invalid@invalid", esp_id="c74002d9-7ccb-4f67-8b8c-766cec03c9a6")
    post(client, "anymail_sendgrid_tracking_dropped_invalid.json")
    assert Customer.objects.get(pk=message.customer_id).suppressed_at is not None


def test_a_webhook_without_the_shared_secret_is_refused(client, flows, anymail_settings):
    body = (FIXTURES / "anymail_postmark_tracking_bounce.json").read_bytes()
    response = client.post("/anymail/postmark/tracking/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert not MessageEvent.objects.exists()


def test_an_apple_privacy_open_is_flagged_not_counted(flows):
    from anymail.signals import AnymailTrackingEvent

    from apps.campaigns.services.esp_reports import esp_event_record

    message = sent_message(flows, email="ana@example.com", esp_id="m-1")
    event = AnymailTrackingEvent(
        event_type="opened",
        message_id="m-1",
        event_id="e-1",
        user_agent="Mozilla/5.0",
        timestamp=timezone.now(),
        esp_event={},
    )
    esp_event_record(event=event, esp_name="Test")
    message.refresh_from_db()
    assert message.opened_at is None
    assert message.machine_opened is True

"""ESP reports are believed only when authenticated: without ANYMAIL_WEBHOOK_SECRET every ESP webhook is
closed and `check --deploy` fails; with it, our sequential ids are believed only beside their address."""

import base64
import json

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from apps.campaigns.models import MessageEvent
from apps.core.checks import esp_webhooks_have_a_secret
from apps.customers.models import Customer
from tests.campaigns.test_esp_feedback import FIXTURES, sent_message

pytestmark = pytest.mark.django_db
AUTH = "Basic " + base64.b64encode(b"user:pass").decode()


def complaint(*, recipient: str, message_id: int, auth: str | None = None, client):
    payload = json.loads((FIXTURES / "anymail_postmark_tracking_spamcomplaint.json").read_text())
    payload.update(Email=recipient, MessageID="forged", Metadata={"message_id": str(message_id)})
    headers = {"Authorization": auth} if auth else {}
    return client.post(
        "/anymail/postmark/tracking/", data=json.dumps(payload), content_type="application/json", headers=headers
    )


def test_without_a_webhook_secret_a_forged_complaint_is_refused_and_suppresses_no_one(client, flows, settings):
    # given an ESP configured without a webhook secret, and a customer who got an email
    settings.ANYMAIL = {}
    message = sent_message(flows, email="ana@example.com", esp_id="esp-1")
    # when anyone posts a complaint naming that message, twice
    responses = [complaint(recipient="ana@example.com", message_id=message.pk, client=client) for _ in range(2)]
    # then both are refused with a JSON reason, and the customer can still be emailed
    assert [r.status_code for r in responses] == [403, 403]
    assert "ANYMAIL_WEBHOOK_SECRET" in responses[0].json()["error"]
    assert Customer.objects.get(pk=message.customer_id).suppressed_at is None
    assert not MessageEvent.objects.exists()


def test_a_report_naming_our_message_id_for_another_address_is_not_applied_to_it(client, flows, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    message = sent_message(flows, email="ana@example.com", esp_id="esp-1")
    # when an authenticated report names our id but another recipient (a guessed id, a mixed-up ESP)
    for _ in range(2):
        assert (
            complaint(recipient="bob@example.com", message_id=message.pk, auth=AUTH, client=client).status_code == 200
        )
    # then Ana's message and address are untouched
    assert Customer.objects.get(pk=message.customer_id).suppressed_at is None
    assert not MessageEvent.objects.filter(message=message).exists()


def test_the_same_report_for_the_right_address_is_applied_once(client, flows, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    message = sent_message(flows, email="ana@example.com", esp_id="esp-1")
    for _ in range(2):
        assert (
            complaint(recipient="ana@example.com", message_id=message.pk, auth=AUTH, client=client).status_code == 200
        )
    assert Customer.objects.get(pk=message.customer_id).suppressed_at is not None
    assert MessageEvent.objects.filter(message=message).count() == 1


def test_deploy_check_fails_when_an_esp_has_no_webhook_secret(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "token"}
    assert [error.id for error in esp_webhooks_have_a_secret()] == ["afterglow.E002"]
    with pytest.raises(SystemCheckError, match=r"afterglow\.E002"):
        call_command("check", "--deploy", "--fail-level", "ERROR", "--tag", "security")
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "token", "WEBHOOK_SECRET": "abc"}  # not user:password
    assert [error.id for error in esp_webhooks_have_a_secret()] == ["afterglow.E002"]
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "token", "WEBHOOK_SECRET": "random1:random2"}
    assert esp_webhooks_have_a_secret() == []


def test_deploy_check_is_quiet_when_mail_goes_to_no_esp(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.ANYMAIL = {}
    assert esp_webhooks_have_a_secret() == []


def test_a_report_without_a_message_id_is_matched_within_the_store_it_names(flows, store):
    from anymail.signals import AnymailTrackingEvent
    from django.utils import timezone

    from apps.campaigns.models import Message
    from apps.campaigns.services.esp_reports import find_message
    from tests.stores.factories import StoreFactory

    # given the same address emailed by two stores, the other store's email the latest
    ours = sent_message(flows, email="ana@example.com", esp_id="esp-ours")
    other = StoreFactory(slug="elsewhere")
    theirs = Message.objects.create(
        store=other,
        step=ours.step,
        subject_key="x",
        email="ana@example.com",
        scheduled_for=timezone.now(),
        status="sent",
        sent_at=timezone.now(),
    )
    # when a report names no message id but our store in its metadata
    event = AnymailTrackingEvent(event_type="bounced", recipient="ana@example.com", metadata={"store": store.slug})
    # then it is about our email, not the other store's
    assert find_message(event) == ours
    assert theirs.pk != ours.pk

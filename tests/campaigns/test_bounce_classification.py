"""The per-ESP reading of bounce reports, for the kinds no sample in tests/fixtures shows, and the rule that
turns repeated soft bounces into a suppression. (Each ESP's real samples go through its endpoint in
test_bounce_policy.py.)"""

from datetime import UTC, datetime, timedelta

import pytest
from anymail import urls as anymail_urls
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.http import QueryDict

from apps.campaigns.bounces import ESP_RULES, classify, repeated_failure
from apps.campaigns.models import BounceKind

HARD, SOFT, UNKNOWN, COMPLAINT = BounceKind.HARD, BounceKind.SOFT, BounceKind.UNKNOWN, BounceKind.COMPLAINT
BOUNCED, REJECTED, FAILED = EventType.BOUNCED, EventType.REJECTED, EventType.FAILED


def mailgun_legacy(**fields) -> QueryDict:
    form = QueryDict(mutable=True)
    form.update(fields)
    return form


def unisender_go_hard_bounce(delivery_status: str) -> dict:
    return {"status": "hard_bounced", "delivery_info": {"delivery_status": delivery_status}}


CASES = [
    # (ESP, Anymail's event type and reject reason, the ESP's raw report, what it means for the address)
    ("Amazon SES", BOUNCED, RejectReason.BOUNCED, {"bounce": {"bounceType": "Undetermined"}}, UNKNOWN),
    ("Amazon SES", REJECTED, RejectReason.BLOCKED, {"eventType": "Reject", "reject": {"reason": "Bad content"}}, None),
    ("Brevo", BOUNCED, RejectReason.INVALID, {"event": "invalid_email"}, HARD),
    ("Brevo", REJECTED, RejectReason.BLOCKED, {"event": "blocked"}, None),
    ("SendinBlue", BOUNCED, RejectReason.BOUNCED, {"event": "soft_bounce"}, SOFT),
    ("Mailgun", BOUNCED, RejectReason.OTHER, {"event-data": {"severity": "permanent", "reason": "old"}}, UNKNOWN),
    ("Mailgun", BOUNCED, RejectReason.BOUNCED, {"event-data": {"reason": "suppress-bounce"}}, HARD),
    ("Mailgun", BOUNCED, RejectReason.OTHER, {"event-data": {"reason": "suppress-complaint"}}, COMPLAINT),
    ("Mailgun", BOUNCED, RejectReason.OTHER, {"event-data": {"reason": "suppress-unsubscribe"}}, None),
    ("Mailgun", BOUNCED, RejectReason.BOUNCED, mailgun_legacy(event="bounced", code="550"), HARD),
    ("Mailgun", REJECTED, RejectReason.BOUNCED, mailgun_legacy(event="dropped", reason="old", code="605"), UNKNOWN),
    ("Mailgun", REJECTED, RejectReason.BOUNCED, mailgun_legacy(event="dropped", reason="hardfail"), HARD),
    ("Mailjet", REJECTED, RejectReason.INVALID, {"event": "blocked", "error": "typofix"}, HARD),
    ("Mailjet", REJECTED, RejectReason.BLOCKED, {"event": "blocked", "error": "preblocked"}, None),
    ("Mailjet", BOUNCED, RejectReason.BOUNCED, {"event": "bounce", "hard_bounce": ""}, UNKNOWN),
    ("Mailtrap", BOUNCED, RejectReason.BOUNCED, {"event": "bounce", "bounce_category": "unavailable"}, UNKNOWN),
    ("Mandrill", REJECTED, None, {"event": "reject"}, None),
    ("Postal", FAILED, None, {"event": "MessageDeliveryFailed", "payload": {"status": "HardFail"}}, HARD),
    ("Postmark", BOUNCED, RejectReason.OTHER, {"RecordType": "Bounce", "Type": "VirusNotification"}, None),
    ("Postmark", REJECTED, RejectReason.INVALID, {"RecordType": "Bounce", "Type": "BadEmailAddress"}, HARD),
    ("Postmark", REJECTED, RejectReason.BLOCKED, {"RecordType": "Bounce", "Type": "ManuallyDeactivated"}, None),
    ("Resend", BOUNCED, RejectReason.OTHER, {"data": {"bounce": {"type": "Undetermined"}}}, UNKNOWN),
    ("Resend", BOUNCED, RejectReason.BLOCKED, {"data": {"bounce": {"message": "Resend has suppressed…"}}}, HARD),
    ("SendGrid", BOUNCED, None, {"event": "bounce"}, UNKNOWN),
    ("SendGrid", REJECTED, RejectReason.BOUNCED, {"event": "dropped", "reason": "Bounced Address"}, HARD),
    ("SparkPost", BOUNCED, RejectReason.OTHER, {"msys": {"message_event": {"bounce_class": "1"}}}, UNKNOWN),
    ("SparkPost", BOUNCED, RejectReason.BLOCKED, {"msys": {"message_event": {"bounce_class": "50"}}}, SOFT),
    ("SparkPost", BOUNCED, RejectReason.BOUNCED, {"msys": {"message_event": {"bounce_class": "30"}}}, HARD),
    ("SparkPost", REJECTED, RejectReason.BLOCKED, {"msys": {"message_event": {"bounce_class": "25"}}}, None),
    ("Unisender Go", BOUNCED, RejectReason.BOUNCED, unisender_go_hard_bounce("err_mailbox_full"), SOFT),
    ("Unisender Go", BOUNCED, RejectReason.OTHER, unisender_go_hard_bounce("err_lost"), UNKNOWN),
    # An ESP without a rule: a bounce is of unknown kind, an "invalid"/"bounced" rejection is hard.
    ("Some new ESP", BOUNCED, RejectReason.BOUNCED, {}, UNKNOWN),
    ("Some new ESP", REJECTED, RejectReason.INVALID, {}, HARD),
    ("Some new ESP", REJECTED, RejectReason.SPAM, {}, None),
    ("Some new ESP", EventType.COMPLAINED, RejectReason.SPAM, {}, COMPLAINT),
    ("Some new ESP", EventType.DEFERRED, None, {}, None),
    ("Postmark", EventType.DEFERRED, None, {"RecordType": "Bounce", "Type": "Transient"}, None),
    ("Some new ESP", FAILED, None, {}, None),
]


@pytest.mark.parametrize(("esp_name", "event_type", "reject_reason", "raw", "expected"), CASES)
def test_each_esp_report_means_what_the_esp_says(esp_name, event_type, reject_reason, raw, expected):
    event = AnymailTrackingEvent(event_type=event_type, reject_reason=reject_reason, esp_event=raw)
    assert classify(event, esp_name) == expected


def test_every_esp_with_an_anymail_tracking_webhook_has_a_rule():
    names = {
        pattern.callback.view_class.esp_name
        for pattern in anymail_urls.urlpatterns
        if "tracking" in pattern.name and isinstance(getattr(pattern.callback.view_class, "esp_name", None), str)
    }
    assert names - set(ESP_RULES) == set()
    assert len(names) >= 13


T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours", "suppress"),
    [
        ((0, 36, 72), True),  # three times, over three days, 72 hours apart
        ((0, 36, 71), False),  # not quite 72 hours
        ((0, 1, 2), False),  # one bad morning
        ((0, 120), False),  # twice is not three times, however far apart
        ((0, 10, 20, 30, 40, 50, 60, 70), False),  # many times, but within three days
    ],
)
def test_soft_bounces_suppress_when_repeated_over_days(hours, suppress):
    assert repeated_failure([T + timedelta(hours=h) for h in hours]) is suppress

"""Bounces as each ESP means them, through Anymail's real endpoints: a hard bounce or a complaint suppresses
the address at once; soft bounces only when repeated over days with no delivery in between; a deferral
never. Every payload is posted twice and counts once.

The payloads are each ESP's samples from Anymail's own tests, a few derived from one of them by changing the
field that tells the kind (tests/fixtures/SOURCES.md says which); each post gets our buyer's address
and, where the scenario needs several events, the moment it happened and a fresh event id, re-signed with
the ESP's own scheme where it has one.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from anymail.webhooks.postal import PostalBaseWebhookView
from django.utils import timezone

from apps.campaigns.models import FlowKind, Message, MessageEvent, MessageStatus
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.customers.models import ConsentEvent, Customer, SuppressionReason
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "anymail"
ADDRESS = "buyer@example.com"
AUTH = "Basic " + base64.b64encode(b"user:pass").decode()
MAILGUN_KEY, MAILERSEND_SECRET, UNISENDER_GO_KEY = "mailgun-signing-key", "mailersend-secret", "unisender-go-key"
MANDRILL_KEY, MANDRILL_URL = "mandrill-key", "https://shop.example/anymail/mandrill/tracking/"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def esp_settings(settings, monkeypatch):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": "user:pass",
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "MAILERSEND_SIGNING_SECRET": MAILERSEND_SECRET,
        "MANDRILL_WEBHOOK_KEY": MANDRILL_KEY,
        "MANDRILL_WEBHOOK_URL": MANDRILL_URL,
        "POSTAL_WEBHOOK_KEY": "unused",
        "UNISENDER_GO_API_KEY": UNISENDER_GO_KEY,
    }
    # Two optional packages of Anymail's are not installed here. Amazon SES's view builds boto3 sessions
    # for subscription confirmation and inbound mail, which tracking notifications never use; Postal's RSA
    # signature is checked with `cryptography`: only that one check is skipped (basic auth still applies).
    monkeypatch.setattr("anymail.webhooks.amazon_ses._get_anymail_boto3_params", lambda **kwargs: ({}, {}))
    monkeypatch.setattr(PostalBaseWebhookView, "validate_request", lambda self, request: None)


# --- Giving a sample our buyer's address, a moment and a fresh event id (same moment, same id) ---------
def _ts(at: datetime) -> int:
    return int(at.timestamp())


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _amazon_ses(p, to, at):
    ses = json.loads(p["Message"])
    ses["mail"]["destination"] = [to]
    for kind, recipients in (("bounce", "bouncedRecipients"), ("complaint", "complainedRecipients")):
        for recipient in ses.get(kind, {}).get(recipients, []):
            recipient["emailAddress"] = to
    if "delivery" in ses:
        ses["delivery"]["recipients"] = [to]
    p["Message"] = json.dumps(ses) + "\n"
    if at:
        p["Timestamp"], p["MessageId"] = _iso(at), f"{p['MessageId']}-{_ts(at)}"


def _brevo(p, to, at):
    p["email"] = to
    if at:
        p["ts_epoch"] = _ts(at) * 1000


def _mailersend(p, to, at):
    p["data"]["email"]["recipient"]["email"] = to
    if at:
        p["data"]["created_at"], p["data"]["id"] = _iso(at), f"{p['data']['id']}{_ts(at)}"


def _mailgun(p, to, at):  # the event id is the signature's token, set when signing
    p["event-data"]["recipient"] = to
    if at:
        p["event-data"]["timestamp"] = at.timestamp()


def _mailjet(p, to, at):
    p[0]["email"] = to
    if at:
        p[0]["time"] = _ts(at)


def _mailtrap(p, to, at):
    p["events"][0]["email"] = to
    if at:
        p["events"][0]["timestamp"], p["events"][0]["event_id"] = _ts(at), f"{p['events'][0]['event_id']}-{_ts(at)}"


def _mandrill(p, to, at):
    p[0]["msg"]["email"] = to
    if at:
        p[0]["ts"] = _ts(at)


def _postal(p, to, at):
    (p["payload"].get("message") or p["payload"]["original_message"])["to"] = to
    if at:
        p["timestamp"], p["uuid"] = at.timestamp(), f"{p['uuid']}-{_ts(at)}"


def _postmark(p, to, at):
    p["Email" if "Email" in p else "Recipient"] = to
    if at:
        p["BouncedAt" if "BouncedAt" in p else "DeliveredAt"] = at.isoformat()
        if "ID" in p:
            p["ID"] += _ts(at)


def _resend(p, to, at):  # the event id is the svix-id header, set when posting
    p["data"]["to"] = [to]
    if at:
        p["created_at"] = _iso(at)


def _sendgrid(p, to, at):
    p[0]["email"] = to
    if at:
        p[0]["timestamp"], p[0]["sg_event_id"] = _ts(at), f"{p[0]['sg_event_id']}-{_ts(at)}"


def _sparkpost(p, to, at):
    (event,) = p[0]["msys"].values()
    event["rcpt_to"] = event["raw_rcpt_to"] = to
    if at:
        event["timestamp"], event["event_id"] = str(_ts(at)), f"{event['event_id']}{_ts(at)}"


def _unisender_go(p, to, at):
    p["email"] = to
    if at:
        p["event_time"] = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


# --- Posting as each ESP does ----------------------------------------------------------------------------
def _post_json(client, path, payload, **headers):
    body = json.dumps(payload).encode()
    return client.post(path, data=body, content_type="application/json", HTTP_AUTHORIZATION=AUTH, **headers)


def _post_amazon_ses(client, path, p):
    return client.post(
        path,
        data=json.dumps(p),
        content_type="text/plain; charset=UTF-8",
        HTTP_AUTHORIZATION=AUTH,
        HTTP_X_AMZ_SNS_MESSAGE_ID=p["MessageId"],
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=p["Type"],
    )


def _post_mailersend(client, path, p):
    body = json.dumps(p).encode()
    signature = hmac.new(MAILERSEND_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        path, data=body, content_type="application/json", HTTP_AUTHORIZATION=AUTH, HTTP_SIGNATURE=signature
    )


def _post_mailgun(client, path, p):
    token = hashlib.sha256(json.dumps(p["event-data"], sort_keys=True).encode()).hexdigest()[:50]
    timestamp = str(int(p["event-data"]["timestamp"]))
    signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return _post_json(
        client, path, {**p, "signature": {"token": token, "timestamp": timestamp, "signature": signature}}
    )


def _post_mandrill(client, path, p):
    events = json.dumps(p)
    digest = hmac.new(MANDRILL_KEY.encode(), f"{MANDRILL_URL}mandrill_events{events}".encode(), hashlib.sha1)
    return client.post(
        path,
        data={"mandrill_events": events},
        HTTP_AUTHORIZATION=AUTH,
        HTTP_X_MANDRILL_SIGNATURE=base64.b64encode(digest.digest()).decode(),
    )


def _post_resend(client, path, p):
    svix_id = "msg_" + hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest()[:24]
    return _post_json(client, path, p, HTTP_SVIX_ID=svix_id)


def _post_unisender_go(client, path, p):
    placeholder = "__SIGNATURE__"
    body = json.dumps({**p, "auth": placeholder}, separators=(",", ":"))
    signature = hashlib.md5(body.replace(placeholder, UNISENDER_GO_KEY).encode()).hexdigest()
    return client.post(
        path,
        data=body.replace(placeholder, signature).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )


@dataclass(frozen=True)
class Esp:
    """An ESP as its samples show it: which report (tests/fixtures/anymail/anymail_<name>_tracking_<kind>.json)
    is its hard bounce, soft bounce, complaint, and proof of delivery."""

    name: str
    stamp: Callable
    send: Callable
    hard: str
    soft: str
    complaint: str | None = None
    # Proof that an email arrived, for ESPs whose soft bounces are bounces; None where the ESP reports its
    # temporary failures as deferrals, which never count.
    delivered: str | None = None

    def post(self, client, kind: str, *, at: datetime | None = None):
        payload = json.loads((FIXTURES / f"anymail_{self.name}_tracking_{kind}.json").read_text())
        self.stamp(payload, ADDRESS, at)
        return self.send(client, f"/anymail/{self.name}/tracking/", payload)

    def post_twice(self, client, kind: str, *, at: datetime | None = None) -> None:
        assert self.post(client, kind, at=at).status_code == 200, kind
        assert self.post(client, kind, at=at).status_code == 200, kind


ESPS = [
    Esp("amazon_ses", _amazon_ses, _post_amazon_ses, "bounce_permanent", "bounce_transient", "complaint", "delivery"),
    Esp("brevo", _brevo, _post_json, "hard_bounce", "soft_bounce", "complaint", "delivered"),
    Esp("mailersend", _mailersend, _post_mailersend, "hard_bounced", "soft_bounced", "spam_complaint", "delivered"),
    Esp("mailgun", _mailgun, _post_mailgun, "failed_permanent", "failed_temporary", "complained"),
    Esp("mailjet", _mailjet, _post_json, "bounce_hard", "bounce_soft", "spam", "sent"),
    Esp("mailtrap", _mailtrap, _post_json, "bounce", "soft_bounce", "spam"),
    # Mandrill reports no deliveries: a click proves one.
    Esp("mandrill", _mandrill, _post_mandrill, "hard_bounce", "soft_bounce", delivered="click"),
    # Postal's HardFail is its hard bounce; a MessageBounced does not say which kind, so it counts as soft.
    Esp("postal", _postal, _post_json, "failed_hardfail", "bounced", delivered="delivered"),
    Esp("postmark", _postmark, _post_json, "bounce", "bounce_soft", "spamcomplaint", "delivery"),
    Esp("resend", _resend, _post_resend, "bounced", "bounced_transient", "complained", "delivered"),
    Esp("sendgrid", _sendgrid, _post_json, "bounce", "bounce_blocked", delivered="delivered"),
    Esp("sparkpost", _sparkpost, _post_json, "bounce", "bounce_mailbox_full", delivered="delivery"),
    Esp("unisender_go", _unisender_go, _post_unisender_go, "hard_bounced", "soft_bounced", "spam"),
]
BY_NAME = {esp.name: esp for esp in ESPS}
COUNTING = [esp for esp in ESPS if esp.delivered]
DEFERRING = [esp for esp in ESPS if not esp.delivered]
with_each = pytest.mark.parametrize("esp", ESPS, ids=lambda esp: esp.name)
with_each_counting = pytest.mark.parametrize("esp", COUNTING, ids=lambda esp: esp.name)


# --- The buyer and the emails they were sent -------------------------------------------------------------
@pytest.fixture
def buyer(flows) -> Customer:
    return CustomerFactory(store=flows[FlowKind.WIN_BACK].store, email=ADDRESS, consenting=True)


def email_sent(flows, buyer: Customer) -> Message:
    """A win-back email sent to the buyer just now: ESP reports about the address land on the latest one."""
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    key = f"test:{Message.objects.count()}"
    (message,) = messages_schedule(
        [Planned(step=step, subject_key=key, email=ADDRESS, scheduled_for=timezone.now(), customer_id=buyer.pk)]
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, sent_at=timezone.now())
    return message


def suppressed(buyer: Customer) -> bool:
    buyer.refresh_from_db()
    return buyer.suppressed_at is not None


# --- At once ----------------------------------------------------------------------------------------------
@with_each
def test_a_hard_bounce_suppresses_the_address_at_once(client, flows, esp_settings, buyer, esp):
    message = email_sent(flows, buyer)
    esp.post_twice(client, esp.hard)
    assert suppressed(buyer)
    assert buyer.suppression_reason == SuppressionReason.BOUNCE
    assert list(MessageEvent.objects.filter(message=message).values_list("bounce", flat=True)) == ["hard"]
    message.refresh_from_db()
    assert message.bounced_at is not None


@pytest.mark.parametrize("esp", [esp for esp in ESPS if esp.complaint], ids=lambda esp: esp.name)
def test_a_complaint_suppresses_the_address_at_once(client, flows, esp_settings, buyer, esp):
    message = email_sent(flows, buyer)
    esp.post_twice(client, esp.complaint)
    assert suppressed(buyer)
    assert buyer.suppression_reason == SuppressionReason.COMPLAINT
    assert MessageEvent.objects.filter(message=message).count() == 1
    message.refresh_from_db()
    assert message.complained_at is not None


# --- Soft bounces -----------------------------------------------------------------------------------------
@with_each
def test_one_soft_bounce_does_not_suppress_the_address(client, flows, esp_settings, buyer, esp):
    message = email_sent(flows, buyer)
    esp.post_twice(client, esp.soft)
    assert not suppressed(buyer)
    (event,) = MessageEvent.objects.filter(message=message)
    message.refresh_from_db()
    if esp.delivered:  # a soft bounce: this email did not arrive, and it counts
        assert event.bounce in ("soft", "unknown")
        assert message.bounced_at is not None
    else:  # the ESP is still retrying: no bounce at all
        assert (event.event_type, event.bounce, message.bounced_at) == ("deferred", "", None)


@with_each_counting
def test_three_soft_bounces_over_four_days_suppress_the_address(client, flows, esp_settings, buyer, time_machine, esp):
    for day in (0, 2, 4):
        time_machine.move_to(START + timedelta(days=day), tick=False)
        assert not suppressed(buyer)
        email_sent(flows, buyer)
        esp.post_twice(client, esp.soft, at=timezone.now())
    assert suppressed(buyer)
    assert buyer.suppression_reason == SuppressionReason.BOUNCE
    assert MessageEvent.objects.filter(message__email=ADDRESS).count() == 3
    assert "repeated soft bounces: 3 in 96 hours" in ConsentEvent.objects.get(customer=buyer, granted=False).note


@with_each_counting
def test_three_soft_bounces_within_an_hour_do_not_suppress(client, flows, esp_settings, buyer, time_machine, esp):
    for minutes in (0, 20, 40):
        time_machine.move_to(START + timedelta(minutes=minutes), tick=False)
        email_sent(flows, buyer)
        esp.post_twice(client, esp.soft, at=timezone.now())
    assert not suppressed(buyer)
    assert MessageEvent.objects.filter(message__email=ADDRESS).exclude(bounce="").count() == 3


@with_each_counting
def test_a_delivery_in_between_starts_the_count_again(client, flows, esp_settings, buyer, time_machine, esp):
    def on_day(day: int, report: str) -> None:
        time_machine.move_to(START + timedelta(days=day), tick=False)
        email_sent(flows, buyer)
        esp.post_twice(client, report, at=timezone.now())

    on_day(0, esp.soft)
    on_day(1, esp.soft)
    on_day(2, esp.delivered)
    assert MessageEvent.objects.filter(event_type__in=("delivered", "clicked")).count() == 1
    on_day(3, esp.soft)
    on_day(4, esp.soft)
    assert not suppressed(buyer)  # four soft bounces over four days, but only two since the delivery
    on_day(6, esp.soft)
    assert suppressed(buyer)  # three since the delivery, over three days


@pytest.mark.parametrize(
    ("esp", "report"),
    [(esp, esp.soft) for esp in DEFERRING]
    + [(BY_NAME["sendgrid"], "deferred"), (BY_NAME["mailgun"], "failed_greylisted")],
    ids=lambda value: value.name if isinstance(value, Esp) else value,
)
def test_a_deferral_is_no_bounce_however_often(client, flows, esp_settings, buyer, time_machine, esp, report):
    for day in (0, 2, 4, 6):
        time_machine.move_to(START + timedelta(days=day), tick=False)
        message = email_sent(flows, buyer)
        esp.post_twice(client, report, at=timezone.now())
        message.refresh_from_db()
        assert message.bounced_at is None
    assert not suppressed(buyer)
    assert set(MessageEvent.objects.values_list("event_type", "bounce")) == {("deferred", "")}

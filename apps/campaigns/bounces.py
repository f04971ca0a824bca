"""Bounces as ESPs mean them: which ESP reports stop email to an address, and when.

Every ESP tells a permanent failure from a temporary one in its own words, and Anymail passes those words
on untouched in `event.esp_event`. `ESP_RULES` reads them, one rule per ESP (keyed by Anymail's
`esp_name`), and `classify()` answers HARD, SOFT, UNKNOWN, COMPLAINT or None (not a bounce at all).

The policy:

- A complaint, or a hard bounce, suppresses the address at once.
- A soft bounce never does by itself, and neither does a bounce the ESP did not classify (UNKNOWN): an
  unknown kind is treated as soft, because a wrong suppression stops every email to a real buyer for good.
  It is kept on its event row (`MessageEvent.bounce`) and marks its message as not arrived (`bounced_at` is
  set for every kind of bounce: it records what happened to that email; the kind is on the event).
- The address (per store) is suppressed, reason BOUNCE, once it has soft-bounced SOFT_BOUNCE_LIMIT times,
  on at least SOFT_BOUNCE_MIN_DAYS different days (UTC), the first and the last at least
  SOFT_BOUNCE_MIN_SPAN apart, with no delivery since the first of them. A delivery report, or an open or
  a click (each proves one; Mandrill reports no deliveries), starts the count again. There is no upper
  window: "no delivery in between" already says every email sent meanwhile failed.
- Deferrals (Anymail's `deferred`: the ESP is still retrying) are not bounces and count for nothing. Mailgun,
  Mailtrap and Unisender Go report every temporary failure this way, so with them only a permanent
  failure of an unknown or temporary cause (Mailgun "old", say) is counted.
- Times are the ESP's own event times. The same ESP event posted twice is stored once (MessageEvent is
  unique per message and ESP event id), so it is counted once.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db.models import Max

from .models import BounceKind, MessageEvent

SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_MIN_DAYS = 2
SOFT_BOUNCE_MIN_SPAN = timedelta(hours=72)
# Kinds that count towards the limit; and the reports that prove an email reached the mailbox.
COUNTED = (BounceKind.SOFT, BounceKind.UNKNOWN)
DELIVERY_EVIDENCE = (EventType.DELIVERED, EventType.OPENED, EventType.CLICKED)

HARD, SOFT, UNKNOWN, COMPLAINT = BounceKind.HARD, BounceKind.SOFT, BounceKind.UNKNOWN, BounceKind.COMPLAINT
Rule = Callable[[Mapping[str, Any], AnymailTrackingEvent], BounceKind | None]


def classify(event: AnymailTrackingEvent, esp_name: str) -> BounceKind | None:
    """What this report means for the address; None when it is no bounce or complaint."""
    if event.event_type == EventType.COMPLAINED:
        return COMPLAINT
    if event.event_type not in (EventType.BOUNCED, EventType.REJECTED, EventType.FAILED):
        return None  # deliveries, engagement, deferrals, unsubscribes…
    raw = event.esp_event if isinstance(event.esp_event, Mapping) else {}
    return ESP_RULES.get(esp_name, _default)(raw, event)


def _default(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    """A bounce of no known kind is UNKNOWN. A rejection "bounced" or "invalid" is the ESP refusing to send
    to an address it already holds as bad (SendGrid "Bounced Address", Postmark BadEmailAddress, Mailjet
    typofix): HARD. Other rejections (blocked, spam, unsubscribed) and failures are no bounce."""
    if event.event_type == EventType.BOUNCED:
        return UNKNOWN
    if event.event_type == EventType.REJECTED and event.reject_reason in (RejectReason.BOUNCED, RejectReason.INVALID):
        return HARD
    return None


def _by_event_name(field: str, kinds: dict) -> Rule:
    def rule(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
        name = raw.get(field)
        return kinds[name] if name in kinds else _default(raw, event)

    return rule


def _amazon_ses(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # bounceType Permanent / Transient / Undetermined (Resend, on SES, says the same in data.bounce.type).
    if event.event_type != EventType.BOUNCED:
        return _default(raw, event)
    return {"Permanent": HARD, "Transient": SOFT}.get((raw.get("bounce") or {}).get("bounceType"), UNKNOWN)


def _mailersend(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    return _by_event_name("type", {"hard_bounced": HARD, "soft_bounced": SOFT})(raw.get("data") or {}, event)


# Mailgun's `reason` on a permanent failure (temporary ones reach us as deferrals). Only "bounce" puts the
# address on Mailgun's bounce list; "old" (gave up retrying), "generic", "espblock"… do not.
MAILGUN_REASONS = {
    "bounce": HARD,
    "suppress-bounce": HARD,
    "suppress-complaint": COMPLAINT,
    "suppress-unsubscribe": None,
}


def _mailgun(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    data = raw.get("event-data")
    if isinstance(data, Mapping):
        if event.event_type == EventType.BOUNCED:
            reason = data.get("reason")
            return MAILGUN_REASONS.get(reason, UNKNOWN)
        return _default(raw, event)
    # Legacy form-encoded webhooks: "bounced" is a hard bounce; "dropped" says why in `reason`.
    if raw.get("event") == "bounced":
        return HARD
    if raw.get("event") == "dropped" and raw.get("reason"):
        return HARD if raw.get("reason") == "hardfail" else UNKNOWN
    return _default(raw, event)


def _mailjet(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # Bounce events say `hard_bounce` true or false; "blocked" events go by their reject reason.
    if event.event_type == EventType.BOUNCED and isinstance(raw.get("hard_bounce"), bool):
        return HARD if raw["hard_bounce"] else SOFT
    return _default(raw, event)


def _mailtrap(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # "bounce" is Mailtrap's permanent failure ("soft bounce" and "suspension" arrive as deferrals);
    # a `bounce_category` other than "hard" is a cause we do not take as permanent.
    if raw.get("event") == "bounce":
        return HARD if raw.get("bounce_category") in (None, "hard") else UNKNOWN
    return _default(raw, event)


def _postal(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # Postal's HardFail (Anymail: failed) is the receiving server refusing for good; MessageBounced (a bounce
    # message received later) does not say which kind it is; SoftFail arrives as a deferral.
    if event.event_type == EventType.FAILED and (raw.get("payload") or {}).get("status") == "HardFail":
        return HARD
    return _default(raw, event)


POSTMARK_TYPES = {
    "HardBounce": HARD,
    "BadEmailAddress": HARD,
    "SoftBounce": SOFT,
    "SpamComplaint": COMPLAINT,
    "SpamNotification": COMPLAINT,
    "VirusNotification": None,  # about the message, not the address
}


def _postmark(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # Bounce `Type`; a SubscriptionChange (suppression at Postmark) says it in `SuppressionReason`.
    kind = raw.get("SuppressionReason") if raw.get("RecordType") == "SubscriptionChange" else raw.get("Type")
    return POSTMARK_TYPES[kind] if kind in POSTMARK_TYPES else _default(raw, event)


def _resend(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # email.bounced is documented as a permanent rejection; newer payloads add bounce.type as on SES.
    if event.event_type != EventType.BOUNCED:
        return _default(raw, event)
    kind = ((raw.get("data") or {}).get("bounce") or {}).get("type")
    return {"Permanent": HARD, "Transient": SOFT}.get(kind, UNKNOWN) if kind else HARD


def _sendgrid(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # A bounce event's `type`: "bounce" (permanent, on SendGrid's bounce list) or "blocked" (temporary).
    if raw.get("event") == "bounce":
        return {"bounce": HARD, "blocked": SOFT}.get(raw.get("type"), UNKNOWN)
    return _default(raw, event)


SPARKPOST_HARD_CLASSES = {"10", "30"}  # Invalid Recipient, Generic Bounce: No RCPT (90 arrives as unsubscribe)


def _sparkpost(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    # `bounce_class`: 10 and 30 are hard; 1 undetermined; the soft (20-24, 40, 70) and block (25, 50-54)
    # classes are not permanent. A policy or generation rejection is a bounce only for a hard class.
    body = next(iter((raw.get("msys") or {}).values()), None) or {}
    bounce_class = str(body.get("bounce_class", ""))
    if event.event_type not in (EventType.BOUNCED, EventType.REJECTED) or not bounce_class:
        return _default(raw, event)
    if bounce_class in SPARKPOST_HARD_CLASSES:
        return HARD
    if event.event_type == EventType.REJECTED:
        return None
    return UNKNOWN if bounce_class == "1" else SOFT


# Unisender Go's "hard_bounced" means "no more attempts", whatever the cause; its `delivery_status` says
# the cause. Only these say the address itself is gone (soft_bounced arrives as a deferral).
UNISENDER_GO_HARD = {"err_user_unknown", "err_user_inactive", "err_mailbox_discarded", "err_domain_inactive"}
UNISENDER_GO_SOFT = {"err_mailbox_full", "err_too_large", "err_will_retry"}


def _unisender_go(raw: Mapping, event: AnymailTrackingEvent) -> BounceKind | None:
    if raw.get("status") != "hard_bounced":
        return _default(raw, event)
    status = (raw.get("delivery_info") or {}).get("delivery_status")
    return HARD if status in UNISENDER_GO_HARD else SOFT if status in UNISENDER_GO_SOFT else UNKNOWN


_brevo = _by_event_name("event", {"hard_bounce": HARD, "invalid_email": HARD, "soft_bounce": SOFT})

ESP_RULES: dict[str, Rule] = {
    "Amazon SES": _amazon_ses,
    "Brevo": _brevo,
    "SendinBlue": _brevo,  # Anymail's deprecated name for Brevo's old webhook URL
    "MailerSend": _mailersend,
    "Mailgun": _mailgun,
    "Mailjet": _mailjet,
    "Mailtrap": _mailtrap,
    "Mandrill": _by_event_name("event", {"hard_bounce": HARD, "soft_bounce": SOFT}),
    "Postal": _postal,
    "Postmark": _postmark,
    "Resend": _resend,
    "SendGrid": _sendgrid,
    "SparkPost": _sparkpost,
    "Unisender Go": _unisender_go,
}


def soft_bounces_since_last_delivery(*, store_id: int, email: str) -> list[datetime]:
    """When the address soft-bounced (or bounced of an unknown kind) since it last received an email,
    oldest first. Cheap when there are fewer than the limit, which is nearly always."""
    of_address = {"message__store_id": store_id, "message__email__iexact": email}
    times = list(
        MessageEvent.objects.filter(bounce__in=COUNTED, **of_address)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
    )
    if len(times) < SOFT_BOUNCE_LIMIT:
        return times
    delivered = MessageEvent.objects.filter(
        event_type__in=DELIVERY_EVIDENCE, occurred_at__gt=times[0], **of_address
    ).aggregate(last=Max("occurred_at"))["last"]
    return [at for at in times if delivered is None or at > delivered]


def repeated_failure(times: list[datetime]) -> bool:
    """Soft bounces enough times, on enough days, over long enough to give the address up."""
    if len(times) < SOFT_BOUNCE_LIMIT:
        return False
    days = {at.astimezone(UTC).date() for at in times}
    return len(days) >= SOFT_BOUNCE_MIN_DAYS and max(times) - min(times) >= SOFT_BOUNCE_MIN_SPAN

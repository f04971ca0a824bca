"""Sending from the ledger, exactly once.

A message moves scheduled → sending → sent under a row claim (`select_for_update(skip_locked=True)`),
so two workers, two beats or a retried task never send it twice. If a worker dies after the ESP
accepted a message but before we recorded it, the row stays `sending`; the sweeper marks it `unknown`
for a person to decide. It is never resent blindly.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused
from anymail.message import AnymailMessage
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from apps.core.mailbox import InvalidMailbox, store_sender
from apps.customers.models import Customer
from apps.orders.selectors import recommended_products

from . import rules
from .context import message_context
from .copy import LANGUAGES
from .design.blocks import needs_of
from .flows import definition_for
from .models import CouponShopState, Message, MessageStatus, StepEditor
from .rendering import TemplateError, render_email
from .sending import transport
from .services.coupons import coupon_issue, message_incentive
from .services.messages import message_trace

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
STUCK_AFTER = timedelta(minutes=10)
QUEUE_TRANSACTIONAL, QUEUE_MARKETING = "transactional", "marketing"


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str = ""


def _claim(message_id: int) -> Message | None:
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=MessageStatus.SCHEDULED, scheduled_for__lte=now)
            .first()
        )
        if message is None:
            return None  # already taken, done, or not due: nothing to do
        message.status = MessageStatus.SENDING
        message.claimed_at = now
        message.attempts += 1
        message.save(update_fields=["status", "claimed_at", "attempts", "modified_at"])
    return (
        Message.objects.select_related("store", "step__flow", "customer", "order", "cart", "shipment")
        .filter(pk=message_id)
        .first()
    )


def held(message: Message):
    """The message's row while this worker still holds it (`sending`). Its created_at is the ledger's partition
    key on PostgreSQL: with it, an update reads and plans one month's partition instead of every month's."""
    return Message.objects.filter(pk=message.pk, created_at=message.created_at, status=MessageStatus.SENDING)


def _finish(message: Message, status: str, *, rule: str, reason: str = "", **fields) -> Outcome:
    """Record the result, but only if this worker still holds the message (status `sending`)."""
    trace = message_trace(message, action=status, rule=rule, reason=reason)
    updated = held(message).update(
        status=status, trace=trace, reason=reason[:255], modified_at=timezone.now(), **fields
    )
    return Outcome(status if updated else "lost", reason)


def language_for(message: Message) -> str:
    offered = message.store.offered_languages
    for candidate in (
        message.customer.locale if message.customer_id else "",
        message.order.locale if message.order_id else "",
        message.store.default_language,
    ):
        if candidate in LANGUAGES and (candidate in offered or candidate == message.store.default_language):
            return candidate
    return "en"


def _pick(content: dict, language: str, fallback: str) -> str:
    return content.get(language) or content.get(fallback) or content.get("en") or next(iter(content.values()), "")


def pick_design(step, language: str, fallback: str) -> tuple[str, list[dict] | None]:
    """(language, blocks): the step's blocks in the language, else the store's default, else English, with the
    language they are written in; (language, None) in the HTML mode or when no language has blocks (the
    step's HTML body is used then)."""
    if step.editor != StepEditor.BLOCKS:
        return language, None
    designs = step.design or {}
    for candidate in (language, fallback, "en"):
        if designs.get(candidate):
            return candidate, designs[candidate]
    return language, None


MARKETING_BLOCKS = ("coupon", "recommendations")


def may_market_to(message: Message) -> bool:
    """Offers and cross-sell only go to buyers who said yes to marketing (where the store asks for
    consent): a confirmation to anyone else carries the order, not promotions."""
    customer = message.customer
    return (
        bool(customer and customer.marketing_consent) or not rules.policy_for(message.store).marketing_requires_consent
    )


COUPON_WAIT = timedelta(minutes=2)
COUPON_REFUSED_WAIT = timedelta(hours=1)
# An order or shipping email is what the buyer needs; a code is a bonus. It waits this long for the shop,
# then goes without the code.
TRANSACTIONAL_COUPON_PATIENCE = timedelta(minutes=10)
USABLE = (CouponShopState.LOCAL, CouponShopState.CREATED)


def coupon_hold(message: Message) -> rules.Decision | None:
    """A code the shop has not created yet holds its email: a buyer must never get a code that does not
    work. The shop is asked to create it (a task on the integrations queue), which sends the email when done.
    A code the shop refused holds a marketing email with the shop's reason in the trace, for a person to
    see; an order or shipping email waits a little for its code, then goes without it (see build_email).
    Decides only: the caller records the hold, then asks the shop."""
    if message_incentive(message) is None or not may_market_to(message):
        return None
    coupon = coupon_issue(message=message)
    if coupon is None or coupon.shop_state in USABLE:
        return None
    now = timezone.now()
    if message.transactional and (
        coupon.shop_state == CouponShopState.REFUSED or now - message.created_at >= TRANSACTIONAL_COUPON_PATIENCE
    ):
        return None
    if coupon.shop_state == CouponShopState.PENDING:
        reason = f"waiting for the shop to create code {coupon.code}"
        return rules.Decision(rules.DEFER, "coupon_in_shop", reason, until=now + COUPON_WAIT)
    reason = f"held: code {coupon.code} is not in the shop ({coupon.shop_error or 'refused'})"
    return rules.Decision(rules.DEFER, "coupon_refused", reason[:255], until=now + COUPON_REFUSED_WAIT)


def render_message(message: Message, *, language: str, may_market: bool, coupon=None, sample_coupon=None):
    """The message's email as its recipient gets it: (RenderedEmail, context, whether it is advertising).
    `sample_coupon` (a context dict) shows where a coupon will be, for a message not sent yet."""
    step, store = message.step, message.store
    # An email is in one language: the one its blocks are written in (their layout words, dates and money too).
    language, design = pick_design(step, language, store.default_language)
    blocks = needs_of(design) if design is not None else definition_for(step.flow.kind).blocks
    if not may_market:
        blocks = tuple(block for block in blocks if block not in MARKETING_BLOCKS)
    shown_coupon = coupon or sample_coupon
    if shown_coupon and "coupon" not in blocks:
        blocks = (*blocks, "coupon")
    wants_products = "recommendations" in blocks and message.order_id
    products = recommended_products(order=message.order, limit=4) if wants_products else []
    # An offer makes an email advertising, whatever else it says: a delay apology with a coupon is marked as
    # an ad in Korea and carries the refusal line and unsubscribe (KISA: transactional mail that carries an
    # advertisement is advertising).
    advertising = not message.transactional or shown_coupon is not None
    context = message_context(
        message, language=language, blocks=blocks, coupon=coupon, recommendations=products, advertising=advertising
    )
    if sample_coupon:
        context["coupon"] = sample_coupon
    subject_source = _pick(message.variant.subject, language, store.default_language) if message.variant_id else None
    with translation.override(language):
        rendered = render_email(
            subject=subject_source or _pick(step.subject, language, store.default_language),
            preheader=_pick(step.preheader, language, store.default_language),
            body=_pick(step.body, language, store.default_language),
            context=context,
            blocks=blocks,
            advertising=advertising,
            design=design,
        )
    return rendered, context, advertising


# ESPs that take one tag per message: Anymail refuses a second one ("Postmark does not support multiple tags").
SINGLE_TAG_BACKENDS = ("anymail.backends.postmark.",)


def esp_tags(step) -> list[str]:
    """The flow kind and step as tags, or the flow kind alone where the ESP takes one tag."""
    tags = [step.flow.kind, step.key]
    return tags[:1] if settings.EMAIL_BACKEND.startswith(SINGLE_TAG_BACKENDS) else tags


def build_email(message: Message) -> tuple[AnymailMessage, dict]:
    """Render the message and wrap it for Anymail. Returns the email and what was rendered."""
    language = language_for(message)
    step, store = message.step, message.store
    may_market = may_market_to(message)
    # A coupon is issued only where it may be shown, and shown wherever one is issued, once it works.
    coupon = coupon_issue(message=message) if may_market and step.incentive_kind else None
    if coupon is not None and coupon.shop_state not in USABLE:
        coupon = None  # an order email that could not wait for its code (coupon_hold)
    rendered, context, advertising = render_message(message, language=language, may_market=may_market, coupon=coupon)
    email = AnymailMessage(
        subject=rendered.subject,
        body=rendered.text,
        from_email=store_sender(store),
        to=[message.email],
        reply_to=[store.reply_to_email or store.support_email]
        if (store.reply_to_email or store.support_email)
        else None,
    )
    email.attach_alternative(rendered.html, "text/html")
    email.tags = esp_tags(step)
    email.metadata = {"message_id": str(message.pk), "store": store.slug}
    email.track_opens = email.track_clicks = not message.transactional
    if advertising and "unsubscribe" in context["links"]:
        # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this address.
        email.extra_headers["List-Unsubscribe"] = f"<{context['links']['unsubscribe']}>"
        email.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email, {
        "language": context["language"],
        "subject": rendered.subject,
        "html": rendered.html,
        "text": rendered.text,
    }


def message_send(*, message_id: int, now=None) -> Outcome:
    """Send one due message if this worker can claim it. Safe to call any number of times."""
    message = _claim(message_id)
    if message is None:
        return Outcome("not_claimed")
    with transaction.atomic():
        _lock_recipient(message)
        decision = rules.decide(message, now=now)
        # A hold is recorded before the recipient's lock is released, so the next worker sees it.
        if decision.action == rules.SUPPRESS:
            return _finish(message, MessageStatus.SUPPRESSED, rule=decision.rule, reason=decision.reason)
        if decision.action == rules.SKIP:
            return _finish(message, MessageStatus.SKIPPED, rule=decision.rule, reason=decision.reason)
        if decision.action == rules.DEFER:
            return _defer(message, decision)

    hold = coupon_hold(message)
    if hold is not None:
        return hold_for_coupon(message, hold)
    try:
        email, rendered = build_email(message)
    except TemplateError as exc:
        return _finish(message, MessageStatus.FAILED, rule="template", reason=f"template error: {exc}")
    except InvalidMailbox as exc:
        return _finish(message, MessageStatus.FAILED, rule="invalid_address", reason=f"invalid address: {exc}"[:255])

    try:
        email.send()
    except AnymailRecipientsRefused as exc:
        return _finish(message, MessageStatus.FAILED, rule="esp_refused", reason=str(exc)[:255])
    except AnymailInvalidAddress as exc:  # raised before anything reaches the ESP: nothing was sent
        return _finish(message, MessageStatus.FAILED, rule="invalid_address", reason=f"invalid address: {exc}"[:255])
    except AnymailAPIError as exc:
        return _esp_error(message, exc)
    status = email.anymail_status
    esp_id = "" if status.message_id is None else str(status.message_id)
    if (message.step.conditions or {}).get("ends_marketing_if_unengaged"):
        _sunset_if_unengaged(message)
    return _finish(
        message, MessageStatus.SENT, rule=decision.rule, reason=decision.reason, sent_at=timezone.now(),
        esp_message_id=esp_id or "", language=rendered["language"], subject=rendered["subject"],
        body_html=rendered["html"], body_text=rendered["text"],
    )  # fmt: skip


def _lock_recipient(message: Message) -> None:
    """Pacing decisions for one customer are taken one at a time: two workers holding two marketing emails
    for the same buyer would otherwise both count zero recent sends and both send. The one that decides
    second counts the first (`sending` counts, see rules._frequency_cap)."""
    if not message.transactional and message.customer_id:
        list(Customer.objects.select_for_update().filter(pk=message.customer_id).values_list("pk", flat=True))


def hold_for_coupon(message: Message, hold: rules.Decision) -> Outcome:
    """Record a coupon hold (coupon_hold), then ask the shop for a code it has not created yet."""
    outcome = _defer(message, hold)
    if hold.rule == "coupon_in_shop":  # asked only now: the shop's answer re-queues a message that waits
        from .coupon_shop import coupon_push_task

        coupon_id = message.coupon.pk
        transaction.on_commit(lambda: coupon_push_task.delay(coupon_id))
    return outcome


def _defer(message: Message, decision: rules.Decision) -> Outcome:
    trace = message_trace(message, action="deferred", rule=decision.rule, reason=decision.reason,
                          until=decision.until.isoformat())  # fmt: skip
    held(message).update(
        status=MessageStatus.SCHEDULED, scheduled_for=decision.until, trace=trace, attempts=message.attempts - 1,
        modified_at=timezone.now(),
    )  # fmt: skip
    return Outcome("deferred", decision.reason)


def _esp_error(message: Message, exc: AnymailAPIError) -> Outcome:
    """A refusal we can retry goes back to `scheduled` with a backoff; one that may have been accepted
    (the ESP did not answer in time) becomes `unknown`, never sent again blindly."""
    result = transport.from_api_error(exc)
    if result.kind == transport.UNKNOWN:
        return _finish(message, MessageStatus.UNKNOWN, rule="esp_timeout", reason=result.detail)
    return retry_or_fail(message, status_code=result.status_code, detail=result.detail)


def retry_or_fail(message: Message, *, status_code: int | None, detail: str) -> Outcome:
    """An ESP refusal that a retry can fix (5xx, 429, unreachable) goes back to `scheduled` with an exponential
    backoff, up to MAX_ATTEMPTS; any other 4xx, or the last attempt, fails the message."""
    if transport.permanent_refusal(status_code) or message.attempts >= MAX_ATTEMPTS:
        return _finish(message, MessageStatus.FAILED, rule="esp_error", reason=detail[:255])
    retry_at = timezone.now() + timedelta(seconds=30 * 2 ** (message.attempts - 1))
    trace = message_trace(message, action="retry", rule="esp_error", reason=f"ESP error {status_code or ''}".strip(),
                          attempt=message.attempts, retry_at=retry_at.isoformat())  # fmt: skip
    held(message).update(
        status=MessageStatus.SCHEDULED, scheduled_for=retry_at, trace=trace, modified_at=timezone.now()
    )
    return Outcome("retry", detail[:255])


def messages_due(*, now=None, limit: int = 2000) -> list[tuple[int, bool]]:
    now = now or timezone.now()
    return list(
        Message.objects.filter(status=MessageStatus.SCHEDULED, scheduled_for__lte=now)
        .order_by("-transactional", "priority", "scheduled_for")
        .values_list("pk", "transactional")[:limit]
    )


def messages_due_count(*, transactional: bool, now=None) -> int:
    now = now or timezone.now()
    return Message.objects.filter(
        status=MessageStatus.SCHEDULED, scheduled_for__lte=now, transactional=transactional
    ).count()


def messages_sweep_stuck(*, now=None) -> int:
    """Rows left `sending` by a worker that died: the ESP may have sent them, so a person decides."""
    now = now or timezone.now()
    stuck = Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - STUCK_AFTER)
    count = 0
    for message in stuck.only("pk", "created_at", "trace"):
        trace = message_trace(message, action="unknown", rule="sweeper", reason="the sending worker stopped mid-send")
        count += held(message).update(
            status=MessageStatus.UNKNOWN, trace=trace, reason="the sending worker stopped mid-send", modified_at=now
        )
    return count


def _sunset_if_unengaged(message: Message) -> None:
    """After the win-back farewell, a customer who never opened or clicked anything gets no more offers."""
    from apps.customers.models import ConsentSource
    from apps.customers.services import customer_set_marketing_consent

    if not message.customer_id:
        return
    engaged = Message.objects.filter(customer_id=message.customer_id).filter(
        Q(opened_at__isnull=False) | Q(clicked_at__isnull=False)
    )
    if not engaged.exists():
        customer_set_marketing_consent(
            customer=message.customer,
            granted=False,
            source=ConsentSource.SUNSET,
            note="never opened or clicked; farewell sent",
        )

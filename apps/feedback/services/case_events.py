"""The critics desk, writes: a case's timeline entries, internal notes, replying to the buyer from their case and
their answer coming back through the ESP's inbound webhook.

Replies go out as a transactional email from the store's sender with a per-case Reply-To
(`case+<id>.<signature>@CASE_REPLY_DOMAIN`); the signature is a salted HMAC of the case and its store, so a
guessed or altered address is refused when a reply comes back. Each reply carries a Message-ID we make and
the previous message's id in In-Reply-To/References, so the buyer's mail client threads the conversation."""

import logging
import re
from dataclasses import dataclass
from email.utils import getaddresses

from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail import make_msgid
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from apps.core.mailbox import store_sender

from ..models import CaseEvent, CaseEventKind, CriticCase
from ..selectors import buyer_language

logger = logging.getLogger(__name__)


REPLY_SALT = "afterglow.feedback.case-reply-address"


SIGNATURE_LENGTH = 16  # hex characters: 64 bits, lower case (some mail systems fold local parts to lower case)


BODY_MAX = 20000


CASE_ADDRESS = re.compile(r"^case\+(?P<id>\d+)\.(?P<sig>[0-9a-f]+)@(?P<domain>[^@\s]+)$", re.IGNORECASE)


UNREACHABLE = ("bounce", "complaint", "erased")  # suppression reasons no email gets past


QUOTE_HEADER = re.compile(r"^\s*On\b.*\bwrote:\s*$", re.IGNORECASE)


class DeskError(ValueError):
    """A reply or note the case cannot take (empty text, no address to write to...)."""


def case_event_record(
    *, case: CriticCase, kind: str, author=None, author_id=None, body: str = "", detail=None, **fields
) -> CaseEvent:
    """One timeline entry (callers hold the case's transaction)."""
    return CaseEvent.objects.create(
        store_id=case.store_id,
        case=case,
        kind=kind,
        author_id=author.pk if author is not None else author_id,
        happened_at=fields.pop("happened_at", None) or timezone.now(),
        body=body,
        detail=detail or {},
        **fields,
    )


@transaction.atomic
def case_note_add(*, case: CriticCase, author, body: str) -> CaseEvent:
    """An internal note: for the team only, never sent."""
    body = (body or "").strip()
    if not body:
        raise DeskError(_("Write the note first."))
    case = CriticCase.objects.select_for_update().get(pk=case.pk)
    return case_event_record(case=case, kind=CaseEventKind.NOTE, author=author, body=body[:BODY_MAX])


def _signature(case_id: int, store_id: int) -> str:
    return salted_hmac(REPLY_SALT, f"{case_id}:{store_id}", algorithm="sha256").hexdigest()[:SIGNATURE_LENGTH]


def case_reply_address(case: CriticCase) -> str:
    return f"case+{case.pk}.{_signature(case.pk, case.store_id)}@{settings.CASE_REPLY_DOMAIN}"


@dataclass(frozen=True)
class CaseAddress:
    case_id: int
    signature: str


def parse_case_address(address: str) -> CaseAddress | None:
    """`case+<id>.<sig>@<our reply domain>` → its parts; anything else → None."""
    match = CASE_ADDRESS.match((address or "").strip())
    if match is None or match["domain"].lower() != settings.CASE_REPLY_DOMAIN.lower():
        return None
    return CaseAddress(case_id=int(match["id"]), signature=match["sig"].lower())


def case_for_address(address: CaseAddress) -> CriticCase | None:
    """The case the address was made for, or None when unknown or the signature does not match its store."""
    case = CriticCase.objects.select_related("store").filter(pk=address.case_id).first()
    if case is None:
        return None
    if not constant_time_compare(address.signature, _signature(case.pk, case.store_id)):
        return None
    return case


def _thread(case: CriticCase) -> list[str]:
    """The Message-IDs of the conversation so far, oldest first."""
    return list(
        CaseEvent.objects.filter(case=case, kind__in=[CaseEventKind.REPLY_OUT, CaseEventKind.REPLY_IN])
        .exclude(email_message_id="")
        .order_by("happened_at", "id")
        .values_list("email_message_id", flat=True)
    )


def default_subject(case: CriticCase) -> str:
    with translation.override(buyer_language(case)):
        return _("About your order %(number)s") % {"number": case.response.order.number}


@transaction.atomic
def case_reply_send(*, case: CriticCase, author, body: str, subject: str = "") -> CaseEvent:
    """Write to the buyer of the case: one transactional email, threaded, answered to the case's own address.
    Sent inside the case's transaction: if the ESP refuses, nothing is recorded and the agent sees why.
    The first reply sets `first_response_at` (the response target is met by it)."""
    body = (body or "").strip()
    if not body:
        raise DeskError(_("Write the reply first."))
    case = (
        CriticCase.objects.select_for_update(of=("self",))
        .select_related("store", "response", "response__order", "response__customer")
        .get(pk=case.pk)
    )
    order = case.response.order
    if not order.email:
        raise DeskError(_("The order has no email address to write to."))
    customer = case.response.customer
    if customer is not None and customer.suppressed_at is not None and customer.suppression_reason in UNREACHABLE:
        raise DeskError(
            _("This buyer's address is suppressed (%(reason)s): email cannot reach them.")
            % {"reason": customer.get_suppression_reason_display()}
        )
    subject = (subject or "").strip()[:255] or default_subject(case)
    domain = settings.CASE_REPLY_DOMAIN
    message_id = make_msgid(domain=domain)
    thread = _thread(case)
    headers = {"Message-ID": message_id}
    if thread:
        headers["In-Reply-To"] = thread[-1]
        headers["References"] = " ".join(thread[-10:])
    message = AnymailMessage(
        subject=subject,
        body=body[:BODY_MAX],
        from_email=store_sender(case.store),
        to=[order.email],
        reply_to=[case_reply_address(case)],
        headers=headers,
        tags=["critics-reply"],
        metadata={"store": case.store_id, "case": case.pk},
        track_clicks=False,
        track_opens=False,
    )
    message.send()
    status = getattr(message, "anymail_status", None)
    now = timezone.now()
    event = case_event_record(
        case=case,
        kind=CaseEventKind.REPLY_OUT,
        author=author,
        subject=subject,
        body=body[:BODY_MAX],
        email_message_id=message_id,
        esp_message_id=str(getattr(status, "message_id", None) or "")[:255],
        detail={"to": order.email, "language": buyer_language(case)},
        happened_at=now,
    )
    if case.first_response_at is None:
        CriticCase.objects.filter(pk=case.pk, first_response_at__isnull=True).update(
            first_response_at=now, modified_at=now
        )
    return event


def strip_quoted(text: str) -> str:
    """The new part of a reply: the text before the first quoted line ('>') or 'On … wrote:' header."""
    kept = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith(">") or QUOTE_HEADER.match(line):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _recipients(message) -> list[str]:
    found = []
    if getattr(message, "envelope_recipient", None):
        found.append(message.envelope_recipient)
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        found.extend(address for _name, address in getaddresses(message.get_all(header) or []) if address)
    return found


def case_reply_receive(*, message, event_id: str = "", esp_name: str = "") -> CaseEvent | None:
    """Store a buyer's emailed answer on its case, once per inbound event. A message not addressed to a case
    address, or to one whose signature, case or store does not match, is refused: logged, stored nowhere."""
    addresses = [parsed for parsed in map(parse_case_address, _recipients(message)) if parsed is not None]
    if not addresses:
        logger.warning("inbound email (%s %s) refused: not addressed to a case address", esp_name, event_id)
        return None
    case = None
    for address in addresses:
        case = case_for_address(address)
        if case is not None:
            break
    if case is None:
        logger.warning("inbound email (%s %s) refused: unknown case or wrong signature", esp_name, event_id)
        return None
    message_id = (message.get("Message-ID") or "").strip()[:255]
    key = (event_id or message_id or "")[:255]
    text = strip_quoted(message.text or "") or (message.stripped_text or "").strip()
    if not text and message.html:
        text = strip_quoted(re.sub(r"<[^>]+>", " ", message.html))
    sender = message.from_email.addr_spec if message.from_email else ""
    try:
        with transaction.atomic():
            case = CriticCase.objects.select_for_update().get(pk=case.pk)
            if key and CaseEvent.objects.filter(case=case, inbound_event_id=key).exists():
                return None
            return case_event_record(
                case=case,
                kind=CaseEventKind.REPLY_IN,
                subject=(message.get("Subject") or "")[:255],
                body=text[:BODY_MAX],
                email_message_id=message_id,
                inbound_event_id=key,
                detail={"from": sender, "esp": esp_name},
            )
    except IntegrityError:  # the same event at the same moment from another worker
        return None

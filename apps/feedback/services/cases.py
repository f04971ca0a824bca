"""Working the critics queue: the alert of a new case, taking a case, assigning it, resolving it with a note and an
outcome, and asking the buyer again afterwards (the re-survey that measures whether the detractor was won back)."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.campaigns.selectors import RESURVEY_SUBJECT_PREFIX, resurveys_for_store
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.campaigns.services.steps import resurvey_step_get_or_create
from apps.campaigns.tasks import enqueue_now
from apps.stores.models import Membership

from ..models import CaseEventKind, CaseOutcome, CaseStatus, CriticCase

NOTE_MAX = 4000

logger = logging.getLogger(__name__)


class CaseError(ValueError):
    """A change the case does not allow (an outsider as assignee, resolving without a note…)."""


def _locked(case: CriticCase) -> CriticCase:
    return CriticCase.objects.select_for_update().select_related("store").get(pk=case.pk)


def _who(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def _record(case: CriticCase, kind: str, *, author=None, **detail) -> None:
    from .case_events import case_event_record

    case_event_record(case=case, kind=kind, author=author, detail=detail)


@transaction.atomic
def case_assign(*, case: CriticCase, assignee, by=None) -> CriticCase:
    """Give the case to a member of the store (None: nobody). Outsiders are refused."""
    case = _locked(case)
    if assignee is not None and not Membership.objects.filter(store_id=case.store_id, user=assignee).exists():
        raise CaseError(_("Cases can only be assigned to members of this store."))
    changed = case.assignee_id != (assignee.pk if assignee is not None else None)
    case.assignee = assignee
    case.save(update_fields=["assignee", "modified_at"])
    if changed:
        _record(case, CaseEventKind.ASSIGNED, author=by, assignee=_who(assignee))
    return case


@transaction.atomic
def case_start(*, case: CriticCase, user) -> CriticCase:
    """Take a new case: it is in progress, and the person's if nobody had it."""
    case = _locked(case)
    if case.status == CaseStatus.RESOLVED:
        raise CaseError(_("This case is already resolved."))
    was_status, was_assignee = case.status, case.assignee_id
    case.status = CaseStatus.IN_PROGRESS
    if case.assignee_id is None:
        case.assignee = user
    case.save(update_fields=["status", "assignee", "modified_at"])
    if was_assignee != case.assignee_id:
        _record(case, CaseEventKind.ASSIGNED, author=user, assignee=_who(case.assignee))
    if was_status != case.status:
        _record(case, CaseEventKind.STATUS, author=user, status=case.status)
    return case


@transaction.atomic
def case_resolve(*, case: CriticCase, note: str, outcome: str, user=None) -> CriticCase:
    """Close the case with what was done (the note) and how it ended (the outcome)."""
    note = (note or "").strip()
    if not note:
        raise CaseError(_("Say what was done: the resolution note is required."))
    if outcome not in CaseOutcome.values:
        raise CaseError(_("Choose an outcome."))
    case = _locked(case)
    if case.status == CaseStatus.RESOLVED:
        raise CaseError(_("This case is already resolved."))
    case.status = CaseStatus.RESOLVED
    case.resolution_note = note[:NOTE_MAX]
    case.outcome = outcome
    case.resolved_at = timezone.now()
    if case.assignee_id is None and user is not None:
        case.assignee = user
    case.save(update_fields=["status", "resolution_note", "outcome", "resolved_at", "assignee", "modified_at"])
    _record(case, CaseEventKind.STATUS, author=user, status=case.status, outcome=outcome)
    return case


@dataclass(frozen=True)
class Resurvey:
    message: object  # apps.campaigns.models.Message, planned in the ledger
    created: bool


RESURVEY_DELAYS = (0, 3, 7)  # days after resolution, as offered in the queue


@transaction.atomic
def case_resurvey(*, case: CriticCase, delay_days: int = 3, user=None) -> Resurvey:
    """Plan one NPS email to the buyer of a resolved case, through the ledger (so it is sent once, by the
    usual rules: consent, suppression, quiet hours). Asking again for the same case plans nothing new."""
    case = _locked(case)
    if case.status != CaseStatus.RESOLVED:
        raise CaseError(_("Resolve the case first; the re-survey asks whether it was made right."))
    if delay_days not in RESURVEY_DELAYS:
        raise CaseError(_("Choose when to ask again."))
    existing = resurveys_for_store(store=case.store, case_ids=[case.pk]).get(case.pk)
    if existing is not None:
        return Resurvey(existing, created=False)
    order = case.response.order
    if not order.email:
        raise CaseError(_("The order has no email address to ask."))
    step = resurvey_step_get_or_create(store=case.store)
    if not step.flow.enabled or not step.enabled:
        raise CaseError(_("The Review / NPS flow (or its re-survey step) is switched off: switch it on to ask again."))
    created = messages_schedule(
        [
            Planned(
                step=step,
                subject_key=f"{RESURVEY_SUBJECT_PREFIX}{case.pk}",
                email=order.email,
                customer_id=order.customer_id,
                order_id=order.pk,
                scheduled_for=timezone.now() + timedelta(days=delay_days),
                why=f"re-survey after critics case {case.pk} was resolved",
            )
        ]
    )
    if created:
        transaction.on_commit(lambda: enqueue_now(created))
        _record(
            case,
            CaseEventKind.RESURVEY,
            author=user,
            scheduled_for=created[0].scheduled_for.isoformat(),
            delay_days=delay_days,
        )
        return Resurvey(created[0], created=True)
    return Resurvey(resurveys_for_store(store=case.store, case_ids=[case.pk])[case.pk], created=False)


def critic_case_alert(*, case_id: int) -> None:
    """Email the store's support address that a detractor case opened (after the commit that opened it)."""
    case = (
        CriticCase.objects.select_related("store", "response", "response__order", "response__customer")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not case.store.support_email:
        return
    response = case.response
    order = response.order
    buyer = response.customer.full_name if response.customer and response.customer.full_name else order.email
    subject = f"[{case.store.name}] Unhappy buyer: order {order.number} scored {response.score}/10"
    body = "\n".join(
        [
            f"{buyer or 'A buyer'} answered {response.score} out of 10 for order {order.number}.",
            "A case is open in the critics queue; please get in touch with them.",
            "",
            f"Order: {order.number} ({order.email})",
            f"Critics queue: {settings.SITE_URL}/dashboard/critics/",
        ]
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [case.store.support_email])
    except Exception:  # an alert must never break the buyer's page; the case is in the queue
        logger.exception("critic case alert for case %s not sent", case_id)

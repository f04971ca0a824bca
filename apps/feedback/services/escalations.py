"""Escalation: a critics case past its response target unanswered, told once to the store's owners."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.campaigns.rules import policy_for
from apps.stores.models import Membership, Role

from ..models import CaseEventKind, CriticCase
from .case_events import case_event_record

logger = logging.getLogger(__name__)


def cases_escalate(*, now=None) -> int:
    """Tell each store's owners, once, about every open case that passed its response target unanswered.

    The claim is a conditional UPDATE (`escalated_at IS NULL`), so two workers or two runs escalate a case
    once; the email goes after the commit that claimed it."""
    now = now or timezone.now()
    candidates = (
        CriticCase.objects.filter(first_response_at__isnull=True, escalated_at__isnull=True, resolved_at__isnull=True)
        .exclude(status="resolved")
        .select_related("store")
        .order_by("opened_at", "pk")
    )
    targets: dict[int, timedelta] = {}
    escalated = 0
    for case in candidates.iterator():
        if case.store_id not in targets:
            targets[case.store_id] = timedelta(hours=policy_for(case.store).response_target_hours)
        if case.opened_at + targets[case.store_id] > now:
            continue
        with transaction.atomic():
            claimed = CriticCase.objects.filter(
                pk=case.pk, escalated_at__isnull=True, first_response_at__isnull=True
            ).update(escalated_at=now, modified_at=now)
            if not claimed:
                continue
            case_event_record(
                case=case,
                kind=CaseEventKind.ESCALATED,
                happened_at=now,
                detail={"target_hours": int(targets[case.store_id].total_seconds() // 3600)},
            )
            transaction.on_commit(lambda pk=case.pk: case_escalation_email(case_id=pk))
        escalated += 1
    return escalated


def case_escalation_email(*, case_id: int) -> None:
    """The owners' email about one escalated case."""
    from django.core.mail import send_mail

    case = (
        CriticCase.objects.select_related("store", "response", "response__order", "response__customer")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return
    owners = list(
        Membership.objects.filter(store_id=case.store_id, role=Role.OWNER)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not owners:
        return
    order = case.response.order
    with translation.override(case.store.default_language):
        subject = _("[%(store)s] A critic's case is past its response target: order %(number)s") % {
            "store": case.store.name,
            "number": order.number,
        }
        body = "\n".join(
            [
                _("Order %(number)s scored %(score)s out of 10 and nobody has answered the buyer yet.")
                % {"number": order.number, "score": case.response.score},
                "",
                f"{settings.SITE_URL}/dashboard/critics/{case.pk}/",
            ]
        )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, owners)
    except Exception:  # the case is marked escalated and shows as overdue in the queue either way
        logger.exception("escalation email for case %s not sent", case_id)

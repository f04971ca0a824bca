"""NPS answers: recording a score (and changing it), the comment after it, and blanking an erased buyer's."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.upsert import lock_or_create
from apps.orders.models import Order

from ..models import DETRACTOR_MAX, CaseEvent, CriticCase, NpsResponse, NpsTopic
from .cases import critic_case_alert

COMMENT_MAX = 2000


@transaction.atomic
def nps_record(*, order: Order, score: int, at=None) -> NpsResponse:
    """Record the buyer's score for an order. Idempotent: the same score again changes nothing,
    another score replaces it (one response per order).

    A detractor score (0–6) opens a critics case once, and staff are emailed after commit. A
    later score of 7 or more leaves the case where it is and marks it; it is never opened twice.
    """
    if not 0 <= score <= 10:
        raise ValueError("NPS score must be 0–10")
    at = at or timezone.now()
    response, created = lock_or_create(
        NpsResponse,
        lookup={"order": order},
        defaults={"store_id": order.store_id, "customer_id": order.customer_id, "score": score},
    )
    if not created and response.score != score:
        response.score = score
        response.save(update_fields=["score", "modified_at"])

    case = CriticCase.objects.filter(response=response).first()
    if score <= DETRACTOR_MAX:
        if case is None:
            case = CriticCase.objects.create(store_id=order.store_id, response=response, opened_at=at)
            transaction.on_commit(lambda: critic_case_alert(case_id=case.pk))
        elif case.score_raised_at is not None:
            CriticCase.objects.filter(pk=case.pk).update(score_raised_at=None, modified_at=at)
    elif case is not None and case.score_raised_at is None:
        CriticCase.objects.filter(pk=case.pk).update(score_raised_at=at, modified_at=at)
    return response


@transaction.atomic
def nps_answer(*, order: Order, score: int, comment: str | None = None, at=None) -> NpsResponse:
    """A buyer's answer sent from the NPS landing page (a person pressed "Send"; opening a link never
    gets here): the score as `nps_record` keeps it, and the comment box when the form had one (an
    emptied box clears the comment; topics stay). Sent twice, the second changes nothing.
    """
    response = nps_record(order=order, score=score, at=at)
    if comment is not None:
        response = nps_add_comment(response=response, comment=comment, topics=response.topics)
    return response


@transaction.atomic
def nps_add_comment(*, response: NpsResponse, comment: str, topics: list[str]) -> NpsResponse:
    """Keep the buyer's words and what they are about; unknown topics are dropped, order kept.
    The same words and topics again change nothing (not even the modification time)."""
    response = NpsResponse.objects.select_for_update().get(pk=response.pk)
    comment = (comment or "").strip()[:COMMENT_MAX]
    topics = [topic for topic in NpsTopic.values if topic in set(topics or [])]
    if response.comment == comment and list(response.topics or []) == topics:
        return response
    response.comment = comment
    response.topics = topics
    response.save(update_fields=["comment", "topics", "modified_at"])
    return response


def nps_anonymise(*, store_id: int, customer_id: int, order_ids: list[int], now) -> int:
    """An erased buyer's scores stay in the store's NPS; their words, and staff notes about them, go."""
    responses = NpsResponse.objects.filter(store_id=store_id).filter(
        Q(customer_id=customer_id) | Q(order_id__in=order_ids)
    )
    CriticCase.objects.filter(response__in=responses).update(resolution_note="", modified_at=now)
    # The case's conversation and notes go too: bodies, subjects and the addresses in their details.
    CaseEvent.objects.filter(case__response__in=responses).update(body="", subject="", detail={}, modified_at=now)
    return responses.update(comment="", modified_at=now)

from django.db.models import QuerySet

from apps.customers.selectors import customer_with_store
from apps.orders.models import Order
from apps.stores.models import Store

from .links import nps_order_id, preferences_customer_id, referral_order_id, unsubscribe_customer_id
from .models import CaseStatus, CriticCase, NpsResponse


def nps_response_for_order(*, order: Order) -> NpsResponse | None:
    return NpsResponse.objects.filter(order=order).first()


def _order(order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    return Order.objects.select_related("store", "customer").filter(pk=order_id).first()


def order_for_nps_token(*, token: str) -> Order | None:
    return _order(nps_order_id(token))


def order_for_referral_token(*, token: str) -> Order | None:
    return _order(referral_order_id(token))


def customer_for_preferences_token(*, token: str):
    customer_id = preferences_customer_id(token)
    return customer_with_store(pk=customer_id) if customer_id is not None else None


def customer_for_unsubscribe_token(*, token: str):
    customer_id = unsubscribe_customer_id(token)
    return customer_with_store(pk=customer_id) if customer_id is not None else None


# --- Dashboard: NPS figures and the critics queue -------------------------------------------
def nps_answered_at_by_order(*, store: Store, order_ids) -> dict:
    """When each of these orders was first given an NPS score (one query)."""
    if not order_ids:
        return {}
    rows = NpsResponse.objects.filter(store=store, order_id__in=list(order_ids)).values_list("order_id", "created_at")
    return dict(rows)


def nps_distribution(*, store: Store, since) -> dict[int, int]:
    """How many answers gave each score 0–10 since a moment (every score listed, zeros too). One query."""
    from django.db.models import Count

    counts = {score: 0 for score in range(11)}
    rows = NpsResponse.objects.filter(store=store, modified_at__gte=since).values("score").annotate(n=Count("id"))
    for row in rows.order_by():
        counts[row["score"]] = row["n"]
    return counts


def nps_by_week(*, store: Store, since) -> list[dict]:
    """Per week (in the store's time zone, weeks start on Monday): answers, promoters and detractors."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncWeek

    from .models import DETRACTOR_MAX, PROMOTER_MIN

    return list(
        NpsResponse.objects.filter(store=store, modified_at__gte=since)
        .annotate(week=TruncWeek("modified_at", tzinfo=store.tz))
        .values("week")
        .annotate(
            total=Count("id"),
            promoters=Count("id", filter=Q(score__gte=PROMOTER_MIN)),
            detractors=Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
        )
        .order_by("week")
    )


def critic_cases_for_store(*, store: Store, status: str = "", assignee=None, search: str = "") -> QuerySet[CriticCase]:
    """The critics queue: open cases (new and in progress) by default, oldest first; or one status."""
    cases = CriticCase.objects.filter(store=store).select_related(
        "response", "response__order", "response__customer", "assignee"
    )
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    elif status != "all":
        cases = cases.exclude(status=CaseStatus.RESOLVED)
    if assignee is not None:
        cases = cases.filter(assignee=assignee)
    if search:
        term = search.strip()
        if "@" in term:
            cases = cases.filter(response__order__email=term.lower())
        else:
            term = term.lstrip("#")
            cases = cases.filter(response__order__number__in=[term, f"#{term}"])
    if status == CaseStatus.RESOLVED:
        return cases.order_by("-resolved_at", "-pk")
    return cases.order_by("opened_at", "pk")


def critic_case_for_store(*, store: Store, pk: int) -> CriticCase:
    """One case with its answer, order, shipments and events, in a fixed number of queries."""
    from django.db.models import Prefetch
    from django.shortcuts import get_object_or_404

    from apps.shipments.models import Shipment, TrackingEvent

    shipments = Shipment.objects.order_by("created_at").prefetch_related(
        Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"))
    )
    queryset = (
        CriticCase.objects.filter(store=store)
        .select_related("response", "response__order", "response__customer", "assignee", "store")
        .prefetch_related("response__order__lines", Prefetch("response__order__shipments", queryset=shipments))
    )
    return get_object_or_404(queryset, pk=pk)


def critic_case_counts(*, store: Store) -> dict[str, int]:
    from django.db.models import Count, Q

    return CriticCase.objects.filter(store=store).aggregate(
        new=Count("id", filter=Q(status=CaseStatus.NEW)),
        in_progress=Count("id", filter=Q(status=CaseStatus.IN_PROGRESS)),
        resolved=Count("id", filter=Q(status=CaseStatus.RESOLVED)),
    )


def nps_responses_for_customer(*, store: Store, customer) -> list[NpsResponse]:
    return list(
        NpsResponse.objects.filter(store=store, customer=customer)
        .select_related("order", "case")
        .order_by("-modified_at", "-pk")
    )


def critic_recovery(*, store: Store, resurveyed_at: dict[int, object]) -> dict:
    """Of the detractors asked again (case id → when the re-survey was planned), how many answered 7 or
    more afterwards: the critics queue's recovery rate. One query."""
    if not resurveyed_at:
        return {"resurveyed": 0, "recovered": 0, "rate": None}
    raised = CriticCase.objects.filter(
        store=store, pk__in=list(resurveyed_at), score_raised_at__isnull=False
    ).values_list("pk", "score_raised_at")
    recovered = sum(1 for pk, at in raised if at >= resurveyed_at[pk])
    count = len(resurveyed_at)
    return {"resurveyed": count, "recovered": recovered, "rate": recovered / count}

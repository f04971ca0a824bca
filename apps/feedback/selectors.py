from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from apps.campaigns.models import Flow, FlowKind
from apps.campaigns.rules import policy_for
from apps.campaigns.selectors import RESURVEY_STEP_KEY
from apps.customers.selectors import customer_with_store
from apps.orders.models import Cart, Order
from apps.shipments.models import Shipment, TrackingEvent
from apps.stores.models import Store

from .links import (
    cart_reason_cart_id,
    nps_order_id,
    preferences_customer_id,
    referral_order_id,
    unsubscribe_customer_id,
)
from .models import CaseStatus, CriticCase, NpsResponse, SavedReply


def buyer_language(case: CriticCase) -> str:
    """The buyer's language: their own setting, else the order's, else the store's default (two letters)."""
    customer = case.response.customer
    order = case.response.order
    for value in (customer.locale if customer else "", order.locale, case.store.default_language):
        if value:
            return value.split("-")[0].split("_")[0].lower()
    return "en"


def latest_nps_score():
    """The score of an order's answer (OuterRef("pk") is the order) that `nps_response_for_order` returns: the most
    recently changed. Annotated on the tracking page's one order query (apps.tracking.blocks)."""
    return Subquery(NpsResponse.objects.filter(order=OuterRef("pk")).order_by("-modified_at").values("score")[:1])


def nps_response_for_order(*, order: Order) -> NpsResponse | None:
    return NpsResponse.objects.filter(order=order).first()


def _order(order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    return Order.objects.select_related("store", "customer").filter(pk=order_id).first()


def order_for_nps_token(*, token: str) -> Order | None:
    return _order(nps_order_id(token))


def cart_for_reason_token(*, token: str) -> Cart | None:
    cart_id = cart_reason_cart_id(token)
    if cart_id is None:
        return None
    return Cart.objects.select_related("store", "customer").filter(pk=cart_id).first()


def order_for_referral_token(*, token: str) -> Order | None:
    return _order(referral_order_id(token))


def customer_for_preferences_token(*, token: str):
    customer_id = preferences_customer_id(token)
    return customer_with_store(pk=customer_id) if customer_id is not None else None


def customer_for_unsubscribe_token(*, token: str):
    customer_id = unsubscribe_customer_id(token)
    return customer_with_store(pk=customer_id) if customer_id is not None else None


# --- Dashboard: NPS figures and the critics queue -------------------------------------------
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


QUEUE_SORTS = ("due", "score", "newest", "oldest")


def critic_cases_for_store(
    *,
    store: Store,
    status: str = "",
    assignee=None,
    search: str = "",
    assignee_id: str = "",
    score: str = "",
    topic: str = "",
    carrier: str = "",
    sort: str = "",
) -> QuerySet[CriticCase]:
    """The critics queue: open cases (new and in progress) by default; or one status. Filters: assignee (a
    user, a user id, or "none"), score, topic, carrier. Sorted by time left to the response target (the
    unanswered first, the oldest of them first: the target is the same for every case of a store), by score,
    or by age."""
    from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When

    cases = CriticCase.objects.filter(store=store).select_related(
        "response", "response__order", "response__customer", "assignee"
    )
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    elif status != "all":
        cases = cases.exclude(status=CaseStatus.RESOLVED)
    if assignee is not None:
        cases = cases.filter(assignee=assignee)
    if assignee_id == "none":
        cases = cases.filter(assignee__isnull=True)
    elif assignee_id.isdigit():
        cases = cases.filter(assignee_id=int(assignee_id))
    if score.isdigit() and 0 <= int(score) <= 10:
        cases = cases.filter(response__score=int(score))
    if topic:
        cases = cases.filter(response__topics__icontains=f'"{topic}"')
    if carrier:
        cases = cases.filter(Exists(Shipment.objects.filter(order_id=OuterRef("response__order_id"), carrier=carrier)))
    if search:
        term = search.strip()
        if "@" in term:
            cases = cases.filter(response__order__email=term.lower())
        else:
            term = term.lstrip("#")
            cases = cases.filter(response__order__number__in=[term, f"#{term}"])
    if sort == "score":
        return cases.order_by("response__score", "opened_at", "pk")
    if sort == "newest":
        return cases.order_by("-opened_at", "-pk")
    if sort == "oldest":
        return cases.order_by("opened_at", "pk")
    if status == CaseStatus.RESOLVED and sort != "due":
        return cases.order_by("-resolved_at", "-pk")
    waiting = Case(
        When(status=CaseStatus.RESOLVED, then=Value(2)),
        When(first_response_at__isnull=False, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return cases.annotate(waiting=waiting).order_by("waiting", "opened_at", "pk")


def critic_case_carriers(*, store: Store) -> list[str]:
    """The carriers of the store's cases' shipments, for the queue's filter (one query)."""
    return list(
        Shipment.objects.filter(store=store, order__nps_responses__case__isnull=False)
        .exclude(carrier="")
        .values_list("carrier", flat=True)
        .distinct()
        .order_by("carrier")
    )


def critic_case_for_store(*, store: Store, pk: int) -> CriticCase:
    """One case with its answer, order, shipments and events, in a fixed number of queries."""
    from django.db.models import Prefetch
    from django.shortcuts import get_object_or_404

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


# --- The critics desk: saved replies, the help-desk hook, whether a re-survey can be sent ---------


def saved_replies_for_case(*, case: CriticCase) -> list[SavedReply]:
    """The store's saved replies in the buyer's language (one query)."""
    language = buyer_language(case)
    return list(SavedReply.objects.filter(store_id=case.store_id, language__istartswith=language))


def saved_replies_for_store(*, store) -> list[SavedReply]:
    return list(SavedReply.objects.filter(store=store).order_by("language", "title"))


def helpdesk_hook_for_store(*, store: Store):
    from .models import HelpdeskHook

    return HelpdeskHook.objects.filter(store=store).first()


def resurvey_blocker(*, case: CriticCase) -> str:
    """Why the usual rules would never send this buyer a re-survey ("" when nothing stands in the way):
    the NPS flow is off, the address is suppressed, they turned review requests off, or the store needs
    marketing consent and they have none."""
    flow = Flow.objects.filter(store_id=case.store_id, kind=FlowKind.NPS_SURVEY).first()
    if flow is None or not flow.enabled:
        return _("the Review / NPS flow is switched off")
    if flow.steps.filter(key=RESURVEY_STEP_KEY, enabled=False).exists():
        return _("the re-survey step of the Review / NPS flow is switched off")
    order = case.response.order
    if not order.email:
        return _("the order has no email address")
    customer = case.response.customer
    if customer is not None and customer.suppressed_at is not None:
        return _("the address is suppressed: %(reason)s") % {"reason": customer.get_suppression_reason_display()}
    if customer is not None and not customer.wants_review_requests:
        return _("the buyer unsubscribed from review requests")
    if policy_for(case.store).marketing_requires_consent and not (customer and customer.marketing_consent):
        return _("the buyer has not given marketing consent, which this store requires")
    return ""

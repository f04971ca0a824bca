"""NPS insights: what explains the score. Read-only selectors over a store's answers in a period, each a
single aggregate query (grouped counts of promoters, passives and detractors), never a loop over answers.

The moment of an answer is its `modified_at`, as on the dashboard home: the latest click wins, so the score
counts when it was last given. Groups that share an answer (an order with two products, or two parcels with
two carriers) count it in each group, once.

Rules used by the breakdowns:

- carrier: the carriers of the order's shipments; an order without a shipment is "No shipment".
- transit days: a shipment's `delivered_at` minus the moment it left: `shipped_at`, or, when the source gave
  none, its first in-transit scan; whole days of 24 hours, bucketed 0–2, 3–4, 5–7, 8–14, 15+. Shipments not
  delivered (yet) are "Not delivered".
- late: a shipment with a promised day (`estimated_delivery`) is late when it was delivered on a later day
  (in the store's time zone), or is still undelivered after that day. An answer is late when any shipment of
  its order is late, on time when its order has promised shipments and none is late, and "No promised day"
  otherwise.
- product: the products of the order's lines (a line without a product by its title).
- flow that asked: an NPS link carries the order only (see feedback.links), so the email that brought an
  answer is the last email of the Review / NPS flow (survey, reminder or the critics queue's re-survey) sent
  about that order at or before the answer. An answer with none before it came from elsewhere (the tracking
  page's question, a forwarded link).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.campaigns.models import FlowKind, Message
from apps.campaigns.selectors import RESURVEY_STEP_KEY
from apps.shipments.carriers import CARRIERS
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from apps.stores.models import Store

from .models import DETRACTOR_MAX, PROMOTER_MIN, NpsResponse, NpsSegment, NpsTopic

MIN_GROUP = 5  # fewer answers than this and a group's NPS is shown greyed: two answers make a misleading score
PRODUCT_LIMIT = 12  # the page shows the products with most answers; the CSV has them all


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    responses: int
    promoters: int
    detractors: int

    @property
    def passives(self) -> int:
        return self.responses - self.promoters - self.detractors

    @property
    def nps(self) -> int | None:
        """Promoters % minus detractors %, −100 to 100; None without answers."""
        if not self.responses:
            return None
        return round(100 * (self.promoters - self.detractors) / self.responses)

    @property
    def small(self) -> bool:
        return self.responses < MIN_GROUP

    def share(self, count: int) -> float | None:
        return count / self.responses if self.responses else None

    @property
    def promoter_share(self) -> float | None:
        return self.share(self.promoters)

    @property
    def passive_share(self) -> float | None:
        return self.share(self.passives)

    @property
    def detractor_share(self) -> float | None:
        return self.share(self.detractors)


def _counts(field: str = "id", via: str = "") -> dict:
    """Answers, promoters and detractors, each counted once per answer however many rows a join made."""
    score = f"{via}score"
    return {
        "responses": Count(field, distinct=True),
        "promoters": Count(field, filter=Q(**{f"{score}__gte": PROMOTER_MIN}), distinct=True),
        "detractors": Count(field, filter=Q(**{f"{score}__lte": DETRACTOR_MAX}), distinct=True),
    }


def _group(key, label, row: dict) -> Group:
    return Group(str(key), str(label), row["responses"], row["promoters"], row["detractors"])


def responses_in_period(*, store: Store, since: datetime, until: datetime) -> QuerySet[NpsResponse]:
    """The store's answers whose latest score was given in [since, until)."""
    return NpsResponse.objects.filter(store=store, modified_at__gte=since, modified_at__lt=until)


def nps_total(*, store: Store, since: datetime, until: datetime) -> Group:
    row = responses_in_period(store=store, since=since, until=until).aggregate(**_counts())
    return _group("all", _("All answers"), row)


# --- By carrier -----------------------------------------------------------------------------
NO_SHIPMENT = "none"


def nps_by_carrier(*, store: Store, since: datetime, until: datetime) -> list[Group]:
    rows = (
        responses_in_period(store=store, since=since, until=until)
        .values(carrier=F("order__shipments__carrier"))
        .annotate(name=Max("order__shipments__carrier_name"), **_counts())
        .order_by()
    )
    groups = []
    for row in rows:
        code = row["carrier"]
        if code is None:
            key, label = NO_SHIPMENT, pgettext_lazy("nps insights", "No shipment")
        else:
            known = CARRIERS.get(code)
            key = code or "unknown"
            label = known.name if known else (row["name"] or code or pgettext_lazy("carrier", "Unknown carrier"))
        groups.append(_group(key, label, row))
    return sorted(groups, key=lambda g: (g.key == NO_SHIPMENT, -g.responses, g.label))


# --- By transit days ------------------------------------------------------------------------
TRANSIT_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-2", 3),
    ("3-4", 5),
    ("5-7", 8),
    ("8-14", 15),
    ("15+", None),
)
NOT_DELIVERED = "not_delivered"
MOVING = (ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY)


def _transit_label(key: str):
    if key == NOT_DELIVERED:
        return pgettext_lazy("nps insights", "Not delivered")
    if key == "15+":
        return pgettext_lazy("nps insights transit days", "15 days or more")
    low, high = key.split("-")
    return pgettext_lazy("nps insights transit days", "%(low)s–%(high)s days") % {"low": low, "high": high}


def nps_by_transit_days(*, store: Store, since: datetime, until: datetime) -> list[Group]:
    first_scan = (
        TrackingEvent.objects.filter(shipment=OuterRef("pk"), status__in=MOVING)
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    transit = ExpressionWrapper(F("delivered_at") - Coalesce("shipped_at", Subquery(first_scan)), DurationField())
    whens = [When(delivered_at__isnull=True, then=Value(NOT_DELIVERED))]
    whens += [When(transit__lt=timedelta(days=limit), then=Value(key)) for key, limit in TRANSIT_BUCKETS if limit]
    rows = (
        Shipment.objects.filter(
            store=store, order__nps_responses__modified_at__gte=since, order__nps_responses__modified_at__lt=until
        )
        .annotate(transit=transit)
        .annotate(bucket=Case(*whens, default=Value(TRANSIT_BUCKETS[-1][0])))
        .values("bucket")
        .annotate(**_counts("order__nps_responses", via="order__nps_responses__"))
        .order_by()
    )
    found = {row["bucket"]: row for row in rows}
    order = [key for key, _limit in TRANSIT_BUCKETS] + [NOT_DELIVERED]
    return [_group(key, _transit_label(key), found[key]) for key in order if key in found]


# --- Late or on time ------------------------------------------------------------------------
LATE, ON_TIME, NO_PROMISE = "late", "on_time", "no_promise"
LATENESS_LABELS = {
    LATE: pgettext_lazy("nps insights", "Late"),
    ON_TIME: pgettext_lazy("nps insights", "On time"),
    NO_PROMISE: pgettext_lazy("nps insights", "No promised day"),
}


def late_shipments(*, store: Store, today: date) -> QuerySet[Shipment]:
    """Shipments delivered after their promised day (in the store's time zone), or undelivered past it."""
    return (
        Shipment.objects.filter(store=store, estimated_delivery__isnull=False)
        .annotate(delivered_day=TruncDate("delivered_at", tzinfo=store.tz))
        .filter(
            Q(delivered_at__isnull=False, delivered_day__gt=F("estimated_delivery"))
            | Q(delivered_at__isnull=True, estimated_delivery__lt=today)
        )
    )


def nps_by_lateness(*, store: Store, since: datetime, until: datetime, now: datetime | None = None) -> list[Group]:
    today = timezone.localtime(now or timezone.now(), store.tz).date()
    late = late_shipments(store=store, today=today).filter(order=OuterRef("order"))
    promised = Shipment.objects.filter(order=OuterRef("order"), estimated_delivery__isnull=False)
    rows = (
        responses_in_period(store=store, since=since, until=until)
        .annotate(
            lateness=Case(
                When(Exists(late), then=Value(LATE)),
                When(Exists(promised), then=Value(ON_TIME)),
                default=Value(NO_PROMISE),
            )
        )
        .values("lateness")
        .annotate(**_counts())
        .order_by()
    )
    found = {row["lateness"]: row for row in rows}
    return [_group(key, label, found[key]) for key, label in LATENESS_LABELS.items() if key in found]


# --- By product -----------------------------------------------------------------------------
def nps_by_product(*, store: Store, since: datetime, until: datetime, limit: int | None = None) -> list[Group]:
    """Each product of the answered orders (an order with two products counts for both), most answered first."""
    rows = (
        responses_in_period(store=store, since=since, until=until)
        .filter(order__lines__isnull=False)
        .values(
            product=F("order__lines__product"),
            untracked=Case(When(order__lines__product__isnull=True, then=F("order__lines__title")), default=Value("")),
        )
        .annotate(name=Max("order__lines__product__name"), title=Max("order__lines__title"), **_counts())
        .order_by()
    )
    groups = [
        _group(
            row["product"] if row["product"] is not None else f"title:{row['untracked']}",
            row["name"] or row["title"] or row["untracked"],
            row,
        )
        for row in rows
    ]
    groups.sort(key=lambda g: (-g.responses, g.label))
    return groups[:limit] if limit else groups


# --- By the email that asked ----------------------------------------------------------------
NO_EMAIL = "none"
STEP_LABELS = {
    "survey": pgettext_lazy("nps insights flow", "Survey email"),
    "reminder": pgettext_lazy("nps insights flow", "Reminder email"),
    RESURVEY_STEP_KEY: pgettext_lazy("nps insights flow", "Re-survey after a critics case"),
}


def _flow_label(key: str):
    if key == NO_EMAIL:
        return pgettext_lazy("nps insights flow", "No survey email before it")
    return STEP_LABELS.get(key, key)


def asking_step(*, store: Store) -> Subquery:
    """The key of the Review / NPS flow's step whose email about the answer's order was the last sent at or
    before the answer (an NPS link names the order, not the email: this is the rule that links them)."""
    return Subquery(
        Message.objects.filter(
            store=store,
            order=OuterRef("order"),
            step__flow__kind=FlowKind.NPS_SURVEY,
            sent_at__isnull=False,
            sent_at__lte=OuterRef("modified_at"),
        )
        .order_by("-sent_at", "-id")
        .values("step__key")[:1]
    )


def nps_by_flow(*, store: Store, since: datetime, until: datetime) -> list[Group]:
    rows = (
        responses_in_period(store=store, since=since, until=until)
        .annotate(step=asking_step(store=store))
        .values("step")
        .annotate(**_counts())
        .order_by()
    )
    found = {row["step"] or NO_EMAIL: row for row in rows}
    known = [*STEP_LABELS, NO_EMAIL]
    order = [k for k in known if k in found] + sorted(k for k in found if k not in known)
    return [_group(key, _flow_label(key), found[key]) for key in order]


# --- Per ISO week ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Week(Group):
    monday: date | None = None  # the key is its ISO week, 2026-W09


def nps_by_week(*, store: Store, since: datetime, until: datetime) -> list[Week]:
    """One row per ISO week (Monday to Sunday in the store's time zone) of the period, empty weeks too."""
    rows = (
        responses_in_period(store=store, since=since, until=until)
        .annotate(week=TruncWeek("modified_at", tzinfo=store.tz))
        .values("week")
        .annotate(**_counts())
        .order_by()
    )
    found = {timezone.localtime(row["week"], store.tz).date(): row for row in rows}
    monday = timezone.localtime(since, store.tz).date()
    monday -= timedelta(days=monday.weekday())
    last = timezone.localtime(until - timedelta(microseconds=1), store.tz).date()
    weeks = []
    empty = {"responses": 0, "promoters": 0, "detractors": 0}
    while monday <= last:
        row = found.get(monday, empty)
        year, number, _day = monday.isocalendar()
        label = pgettext_lazy("an ISO week", "W%(week)s") % {"week": f"{number:02d}"}
        weeks.append(
            Week(f"{year}-W{number:02d}", label, row["responses"], row["promoters"], row["detractors"], monday)
        )
        monday += timedelta(days=7)
    return weeks


# --- Comments -------------------------------------------------------------------------------
SEGMENT_SCORES = {
    NpsSegment.DETRACTOR: Q(score__lte=DETRACTOR_MAX),
    NpsSegment.PASSIVE: Q(score__gt=DETRACTOR_MAX, score__lt=PROMOTER_MIN),
    NpsSegment.PROMOTER: Q(score__gte=PROMOTER_MIN),
}


def nps_comments(
    *, store: Store, since: datetime, until: datetime, topic: str = "", segment: str = ""
) -> QuerySet[NpsResponse]:
    """The buyers' words with their topics, newest first; by topic and by segment (detractor, passive,
    promoter) when asked. Unknown filter values are ignored."""
    comments = (
        responses_in_period(store=store, since=since, until=until)
        .exclude(comment="")
        .select_related("order")
        .only("pk", "score", "comment", "topics", "modified_at", "order__id", "order__number")
    )
    if topic in NpsTopic.values:
        # topics is a JSON list of known words: the quoted word matches one element only.
        comments = comments.filter(topics__icontains=f'"{topic}"')
    if segment in SEGMENT_SCORES:
        comments = comments.filter(SEGMENT_SCORES[segment])
    return comments.order_by("-modified_at", "-pk")


# --- Everything for the page ----------------------------------------------------------------
@dataclass(frozen=True)
class Insights:
    total: Group
    carriers: list[Group]
    transit: list[Group]
    lateness: list[Group]
    products: list[Group]
    products_total: int
    flows: list[Group]
    weeks: list[Week]

    def breakdowns(self) -> list[tuple[str, list[Group]]]:
        return [
            ("carrier", self.carriers),
            ("transit_days", self.transit),
            ("late", self.lateness),
            ("product", self.products),
            ("flow", self.flows),
        ]


def nps_insights(
    *, store: Store, since: datetime, until: datetime, product_limit: int | None = PRODUCT_LIMIT
) -> Insights:
    """Every breakdown of the period: seven aggregate queries, whatever the number of answers."""
    products = nps_by_product(store=store, since=since, until=until)
    return Insights(
        total=nps_total(store=store, since=since, until=until),
        carriers=nps_by_carrier(store=store, since=since, until=until),
        transit=nps_by_transit_days(store=store, since=since, until=until),
        lateness=nps_by_lateness(store=store, since=since, until=until),
        products=products[:product_limit] if product_limit else products,
        products_total=len(products),
        flows=nps_by_flow(store=store, since=since, until=until),
        weeks=nps_by_week(store=store, since=since, until=until),
    )

"""The figures on the dashboard home, read from the daily rollups (apps/rollups: counted by a periodic task,
not per view) plus a few small live queries, and shaped into chart geometry."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.campaigns.selectors import (
    flow_figures,
    flow_holdout_lift,
    flows_for_store,
    messaging_policy_for,
    resurveys_for_store,
)
from apps.feedback.models import DETRACTOR_MAX, PROMOTER_MIN
from apps.feedback.selectors import critic_case_counts, critic_recovery
from apps.rollups.figures import day_start, sum_days
from apps.rollups.refresh import store_rollups_refresh
from apps.rollups.selectors import rollup_state_for, store_days
from apps.shipments.models import ATTENTION_STATUSES, ShipmentStatus
from apps.stores.models import Store
from apps.tracking.models import PageBlock
from apps.tracking.selectors import page_block_counts

from .charts import (
    Bar,
    Column,
    FunnelRow,
    Line,
    Segment,
    StackedColumn,
    category_bars,
    daily_bars,
    funnel,
    line_chart,
    share_segments,
    stacked_columns,
)

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


def period_from(value: str | None) -> int:
    try:
        days = int(value or DEFAULT_PERIOD)
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


@dataclass(frozen=True)
class Overview:
    orders: int
    revenue: Decimal
    average_order: Decimal
    order_bars: list[Bar]
    shipment_segments: list[Segment]
    shipments: int
    needing_attention: int
    customers: dict[str, int]
    # The chart's segments that need a person: the troubled statuses, and "stuck" (flagged by the delivery
    # watch while in another status). Their sum is `needing_attention`, `attention["total"]`.
    attention_keys: frozenset[str] = frozenset()
    attention: dict[str, int] = field(default_factory=dict)


STUCK = "stuck"  # a chart segment: flagged by the delivery watch, in a status that is not itself trouble
ATTENTION_KEYS = frozenset({*ATTENTION_STATUSES, STUCK})


def shipment_breakdown(shipments: dict[str, list[int]]) -> tuple[dict[str, int], dict[str, int]]:
    """The period's shipments by their status now ({status: [count, flagged stuck]}), as chart segments, and
    which of them need attention now, so the chart and the attention figure count the very same shipments.

    Returns (chart counts, attention). Each shipment is in one chart segment: its status, or "stuck" when
    the delivery watch flagged it and its status is not a troubled one already. Attention is `troubled`
    (exception, failed attempt, returned) + `stuck` = `total`, which is the sum of those segments."""
    counts: dict[str, int] = {}
    troubled = stuck = 0
    for status, (n, flagged) in sorted(shipments.items()):
        if status in ATTENTION_STATUSES:
            counts[status] = n
            troubled += n
        else:
            if n - flagged:
                counts[status] = n - flagged
            if flagged:
                counts[STUCK] = counts.get(STUCK, 0) + flagged
            stuck += flagged
    return counts, {"troubled": troubled, "stuck": stuck, "total": troubled + stuck}


def store_overview(*, store: Store, figures: dict, days: dict[date, dict], first_day: date, customers) -> Overview:
    orders, revenue = figures["orders"], figures["revenue"]
    status_counts, in_period = shipment_breakdown(figures["shipments"])
    labels = {**dict(ShipmentStatus.choices), STUCK: pgettext("shipments", "Stuck (no carrier news)")}
    return Overview(
        orders=orders,
        revenue=revenue,
        average_order=(revenue / orders).quantize(Decimal("0.01")) if orders else Decimal(0),
        order_bars=daily_bars(
            {day: row.get("orders", 0) for day, row in days.items() if row.get("orders")},
            first_day=first_day,
            days=len(days),
        ),
        shipment_segments=share_segments(status_counts, labels),
        shipments=sum(status_counts.values()),
        needing_attention=in_period["total"],
        customers=customers,
        attention_keys=ATTENTION_KEYS,
        attention=in_period,
    )


@dataclass(frozen=True)
class FlowRow:
    flow: object
    sent: int
    opened: int
    clicked: int
    conversions: int
    revenue: Decimal
    width: float = 0  # revenue, as a share of the best flow's, 0–100

    @property
    def open_rate(self) -> float | None:
        return self.opened / self.sent if self.sent else None

    @property
    def click_rate(self) -> float | None:
        return self.clicked / self.sent if self.sent else None


FLOW_ROW_FIGURES = ("sent", "opened", "clicked", "conversions", "revenue")


def flow_rows(*, store: Store, since: datetime | None = None, figures: dict[int, dict] | None = None) -> list[FlowRow]:
    """Every flow of the store with its figures since a moment (two queries), or with figures already counted
    (flow id → figures, from the rollups: one query)."""
    if figures is None:
        figures = flow_figures(store=store, since=since)
    empty = {"sent": 0, "opened": 0, "clicked": 0, "conversions": 0, "revenue": Decimal(0)}
    rows = [
        FlowRow(flow, **{key: figures.get(flow.pk, empty).get(key, empty[key]) for key in FLOW_ROW_FIGURES})
        for flow in flows_for_store(store=store)
    ]
    peak = max((row.revenue for row in rows), default=0) or 1
    return [replace(row, width=round(float(100 * row.revenue / peak), 2)) for row in rows]


# --- Holdout lift ---------------------------------------------------------------------------
LIFT_DAYS = 90
MIN_LIFT_RECIPIENTS = 100  # in each group, before the difference means anything


@dataclass(frozen=True)
class LiftGroup:
    recipients: int
    converted: int
    revenue: Decimal

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.recipients if self.recipients else None

    @property
    def revenue_per_recipient(self) -> Decimal | None:
        return (self.revenue / self.recipients).quantize(Decimal("0.01")) if self.recipients else None


@dataclass(frozen=True)
class Lift:
    """What a flow adds: the buyers it emailed against those it held out (see `flow_holdout_lift`)."""

    emailed: LiftGroup
    held_out: LiftGroup
    days: int
    window_days: int
    minimum: int = MIN_LIFT_RECIPIENTS

    @property
    def enough(self) -> bool:
        return min(self.emailed.recipients, self.held_out.recipients) >= self.minimum

    @property
    def conversion_points(self) -> float | None:
        """The difference in conversion rate, in percentage points: +2.3."""
        if self.emailed.conversion_rate is None or self.held_out.conversion_rate is None:
            return None
        return 100 * (self.emailed.conversion_rate - self.held_out.conversion_rate)

    @property
    def conversion_relative(self) -> float | None:
        """The same as a share of the held-out rate: 0.18 is 18 % more; None when nobody held out converted."""
        if not self.held_out.conversion_rate or self.emailed.conversion_rate is None:
            return None
        return self.emailed.conversion_rate / self.held_out.conversion_rate - 1

    @property
    def margin_points(self) -> float | None:
        """Half the width of the 95 % interval of the difference in points (normal approximation): a lift
        smaller than this could be chance."""
        e, h = self.emailed, self.held_out
        if not e.recipients or not h.recipients:
            return None
        p, q = e.conversion_rate, h.conversion_rate
        return 100 * 1.96 * (p * (1 - p) / e.recipients + q * (1 - q) / h.recipients) ** 0.5

    @property
    def is_clear(self) -> bool:
        return self.conversion_points is not None and abs(self.conversion_points) > (self.margin_points or 0)

    @property
    def revenue_difference(self) -> Decimal | None:
        e, h = self.emailed.revenue_per_recipient, self.held_out.revenue_per_recipient
        return None if e is None or h is None else e - h

    @property
    def revenue_relative(self) -> float | None:
        e, h = self.emailed.revenue_per_recipient, self.held_out.revenue_per_recipient
        return None if e is None or not h else float(e / h) - 1

    @property
    def revenue_added(self) -> Decimal | None:
        """About how much more the emailed buyers spent than they would have without the flow."""
        difference = self.revenue_difference
        return None if difference is None else (difference * self.emailed.recipients).quantize(Decimal("1"))


LIFT_CACHE_SECONDS = 10 * 60  # 90 days of closed windows barely move in ten minutes


def flow_lifts(
    *, store: Store, now: datetime | None = None, days: int = LIFT_DAYS, window_days: int | None = None
) -> dict[int, Lift]:
    """Lift per flow id, for flows with a holdout and a held-out buyer in the period: one set-based query
    (and one for the store's click window when not given). The live figures are kept for a few minutes:
    on a large store the query reads every ledger row of the period."""
    if window_days is None:
        window_days = messaging_policy_for(store=store).click_window_days
    key = f"flow-lift:{store.pk}:{days}:{window_days}"
    groups = cache.get(key) if now is None else None
    if groups is None:
        until = now or timezone.now()
        groups = flow_holdout_lift(
            store=store, since=until - timedelta(days=days), until=until, window_days=window_days
        )
        if now is None:
            cache.set(key, groups, LIFT_CACHE_SECONDS)
    return {
        flow_id: Lift(LiftGroup(**found["emailed"]), LiftGroup(**found["held_out"]), days, window_days)
        for flow_id, found in groups.items()
    }


@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int
    detractors: int
    score: int | None
    distribution: list[Column]
    weeks: list[StackedColumn]
    trend: Line


def _segment_key(score: int) -> str:
    if score <= DETRACTOR_MAX:
        return "detractor"
    return "promoter" if score >= PROMOTER_MIN else "passive"


def nps_score(promoters: int, detractors: int, answers: int) -> int | None:
    """Promoters % minus detractors %, from -100 to 100; None without answers."""
    return round(100 * (promoters - detractors) / answers) if answers else None


def nps_report(*, counts: dict[int, int], days: dict[date, dict]) -> Nps:
    """The NPS card from answers per score and the days' answers (weeks start on Monday, local days)."""
    counts = {score: counts.get(score, 0) for score in range(11)}  # every score listed, zeros too
    answers = sum(counts.values())
    promoters = sum(n for score, n in counts.items() if score >= PROMOTER_MIN)
    detractors = sum(n for score, n in counts.items() if score <= DETRACTOR_MAX)
    by_week: dict[date, dict[str, int]] = {}
    for day in sorted(days):
        week = by_week.setdefault(day - timedelta(days=day.weekday()), {"total": 0, "promoters": 0, "detractors": 0})
        for score, n in days[day].get("nps", {}).items():
            week["total"] += n
            if int(score) >= PROMOTER_MIN:
                week["promoters"] += n
            elif int(score) <= DETRACTOR_MAX:
                week["detractors"] += n
    columns, trend = [], []
    for week, row in by_week.items():
        label = dateformat.format(week, "d M")  # the month in the merchant's language
        passives = row["total"] - row["promoters"] - row["detractors"]
        columns.append((label, {"detractor": row["detractors"], "passive": passives, "promoter": row["promoters"]}))
        trend.append((label, nps_score(row["promoters"], row["detractors"], row["total"])))
    return Nps(
        answers=answers,
        promoters=promoters,
        detractors=detractors,
        score=nps_score(promoters, detractors, answers),
        distribution=category_bars([(_segment_key(s), str(s), n) for s, n in counts.items()], height=120),
        weeks=stacked_columns(columns, keys=["detractor", "passive", "promoter"], height=120),
        trend=line_chart(trend, low=-100, high=100, height=120),
    )


@dataclass(frozen=True)
class BlockRow:
    key: str
    label: str
    views: int
    clicks: int
    click_rate: float | None
    width: float  # of the most viewed block, 0–100


def block_rows(*, store: Store, since: datetime) -> list[BlockRow]:
    """Views and clicks of each block of the buyer tracking page (one query)."""
    return _block_rows(page_block_counts(store=store, since=since))


def _block_rows(counts: dict[str, dict]) -> list[BlockRow]:
    labels = dict(PageBlock.choices)
    peak = max((c["views"] for c in counts.values()), default=0) or 1
    return [
        BlockRow(key, labels.get(key, key), c["views"], c["clicks"], c["click_rate"], round(100 * c["views"] / peak, 2))
        for key, c in counts.items()
    ]


@dataclass(frozen=True)
class Home:
    days: int
    overview: Overview
    attention: dict[str, int]
    emails: dict
    email_funnel: list[FunnelRow]
    flows: list[FlowRow]
    cart_recovery: dict
    nps: Nps
    critics: dict[str, int]
    critic_recovery: dict
    blocks: list[BlockRow]
    since: datetime  # the period: from the start of a local day ...
    as_of: datetime  # ... to when the figures were counted, in the store's time zone


def period_start(*, store: Store, days: int, now: datetime | None = None) -> datetime:
    """The start of "the last N days": today and the N - 1 local days before it, in the store's time zone."""
    today = timezone.localtime(now or timezone.now(), store.tz).date()
    return day_start(store, today - timedelta(days=days - 1))


EMAIL_FIGURES = ("sent", "delivered", "opened", "clicked", "bounced", "conversions", "revenue")


def home_report(*, store: Store, days: int) -> Home:
    """The home's figures from the rollups: a store seen for the first time has its days counted now (a new
    store has few rows; the periodic task keeps them current from then on)."""
    state = rollup_state_for(store=store)
    if state is None:
        store_rollups_refresh(store=store)
        state = rollup_state_for(store=store)
    since = period_start(store=store, days=days, now=state.computed_at)
    first_day = since.date()
    last_day = timezone.localtime(state.computed_at, store.tz).date()
    counted = store_days(store=store, first=first_day, last=last_day)
    by_day = {first_day + timedelta(days=n): counted.get(first_day + timedelta(days=n), {}) for n in range(days)}
    figures = sum_days(list(by_day.values()))
    overview = store_overview(
        store=store, figures=figures, days=by_day, first_day=first_day, customers=state.current.get("customers", {})
    )
    # The figure is the chart's own count (its attention segments); the list behind "see them" shows every
    # shipment that needs attention, so those from before the period are counted apart.
    attention = dict(overview.attention)
    attention["older"] = max(0, state.current.get("attention", {}).get("total", 0) - attention["total"])
    per_flow = {int(pk): row for pk, row in figures["flows"].items() if pk != "None"}
    emails = {key: sum((row.get(key, 0) for row in figures["flows"].values()), 0) for key in EMAIL_FIGURES}
    carts = figures["carts"]
    resurveys = resurveys_for_store(store=store)
    block_counts = {block: {"views": 0, "clicks": 0, "click_rate": None} for block in PageBlock.values}
    for block, (views, clicks) in figures["blocks"].items():
        block_counts[block] = {
            "views": views,
            "clicks": clicks,
            "click_rate": round(clicks / views, 4) if views else None,
        }
    return Home(
        days=days,
        overview=overview,
        attention=attention,
        emails=emails,
        email_funnel=funnel(
            [
                ("sent", _("Sent"), emails["sent"]),
                ("delivered", pgettext("email", "Delivered"), emails["delivered"]),
                ("opened", _("Opened"), emails["opened"]),
                ("clicked", _("Clicked"), emails["clicked"]),
            ]
        ),
        flows=flow_rows(store=store, figures=per_flow),
        cart_recovery={**carts, "rate": carts["recovered"] / carts["emailed"] if carts["emailed"] else None},
        nps=nps_report(counts=figures["nps"], days=by_day),
        critics=critic_case_counts(store=store),
        critic_recovery=critic_recovery(
            store=store, resurveyed_at={pk: message.created_at for pk, message in resurveys.items()}
        ),
        blocks=_block_rows(block_counts),
        since=since,
        as_of=timezone.localtime(state.computed_at, store.tz),
    )

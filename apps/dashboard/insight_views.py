"""NPS insights: why the score is what it is, by carrier, transit time, lateness, product and the email that
asked, per week, with the buyers' words; for a period, and as CSV. Open to whoever works the critics queue."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from apps.feedback.insights import (
    MIN_GROUP,
    Group,
    Insights,
    nps_comments,
    nps_insights,
)
from apps.feedback.models import NpsSegment, NpsTopic, segment_for

from .access import member_required
from .charts import HBar, diverging_bars, line_chart, stacked_columns
from .csv_download import CsvDownload
from .listing import page_of

ACTION = "work_critics"  # both insight pages: the people who work the critics queue

PERIODS = ("30", "90", "365")
CUSTOM = "custom"
DEFAULT_PERIOD = "90"
LONGEST_CUSTOM_DAYS = 3 * 366
COMMENTS_PER_PAGE = 20


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        initial=DEFAULT_PERIOD,
    )
    start = forms.DateField(label=pgettext_lazy("the first day of a period", "From"), required=False)
    end = forms.DateField(label=pgettext_lazy("the last day of a period", "To"), required=False)
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", pgettext_lazy("topics", "All topics")), *NpsTopic.choices]
    )
    segment = forms.ChoiceField(
        label=_("Answer"), required=False, choices=[("", pgettext_lazy("segments", "All answers")), *NpsSegment.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, so the days are written in the reader's language.
        self.fields["period"].choices = [
            *[
                (days, ngettext("Last %(days)s day", "Last %(days)s days", int(days)) % {"days": days})
                for days in PERIODS
            ],
            (CUSTOM, pgettext_lazy("a period of days", "From … to …")),
        ]

    def clean(self):
        data = super().clean()
        if data.get("period") == CUSTOM:
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Choose the first and the last day of the period."))
            if end < start:
                raise forms.ValidationError(_("The last day comes before the first."))
            if (end - start).days > LONGEST_CUSTOM_DAYS:
                raise forms.ValidationError(_("Choose a period of three years or less."))
        return data


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime
    period: str
    filters: dict  # the valid GET parameters, for links that keep them


def period_of(request) -> tuple[PeriodForm, Period]:
    """The period (and comment filters) the request asks for; anything invalid falls back to the default."""
    form = PeriodForm(request.GET or None)
    data = {}
    if form.is_bound:
        form.is_valid()
        data = dict(form.cleaned_data)  # the fields that are valid: a bad topic leaves the period alone
        if form.non_field_errors():
            for name in ("period", "start", "end"):
                data.pop(name, None)
    period = data.get("period") or DEFAULT_PERIOD
    tz = request.store.tz
    if period == CUSTOM:
        since = datetime.combine(data["start"], time.min, tzinfo=tz)
        until = datetime.combine(data["end"] + timedelta(days=1), time.min, tzinfo=tz)
    else:
        until = timezone.now()
        since = until - timedelta(days=int(period))
    filters = {"period": period}
    if period == CUSTOM:
        filters.update(start=data["start"].isoformat(), end=data["end"].isoformat())
    for name in ("topic", "segment"):
        if data.get(name):
            filters[name] = data[name]
    return form, Period(since, until, period, filters)


@dataclass(frozen=True)
class Row:
    group: Group
    bar: HBar


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    note: str
    rows: list[Row]
    more: int = 0  # groups left out of the page (they are in the CSV)


def _rows(groups: list[Group]) -> list[Row]:
    bars = diverging_bars([(g.key, g.label, g.nps, g.small) for g in groups])
    return [Row(g, bar) for g, bar in zip(groups, bars, strict=True)]


def _cards(insights: Insights) -> list[Card]:
    notes = {
        "flow": _(
            "The last Review / NPS email about the order sent before the answer; without one, the buyer "
            "answered on the tracking page or from a forwarded link."
        ),
        "carrier": _("The carriers of the order's parcels."),
        "late": _("Late: delivered after the promised day, or still on its way past it."),
        "transit_days": _("From shipping (or the first carrier scan) to delivery."),
        "product": _("An order with two products counts for both."),
    }
    return [
        Card("flow", _("By the email that asked"), notes["flow"], _rows(insights.flows)),
        Card("carrier", _("By carrier"), notes["carrier"], _rows(insights.carriers)),
        Card("late", _("Late or on time"), notes["late"], _rows(insights.lateness)),
        Card("transit_days", _("By days in transit"), notes["transit_days"], _rows(insights.transit)),
        Card(
            "product",
            _("By product"),
            notes["product"],
            _rows(insights.products),
            more=max(0, insights.products_total - len(insights.products)),
        ),
    ]


def _trend(insights: Insights) -> dict:
    columns = [
        (str(w.label), {"detractor": w.detractors, "passive": w.passives, "promoter": w.promoters})
        for w in insights.weeks
    ]
    return {
        "columns": stacked_columns(columns, keys=["detractor", "passive", "promoter"], height=150),
        "line": line_chart([(str(w.label), w.nps) for w in insights.weeks], low=-100, high=100, height=150),
        "label_every": max(1, -(-len(insights.weeks) // 7)),  # about seven week labels, readable on a phone
    }


@member_required(ACTION)
def nps_insights_view(request):
    form, period = period_of(request)
    insights = nps_insights(store=request.store, since=period.since, until=period.until)
    comments = nps_comments(
        store=request.store,
        since=period.since,
        until=period.until,
        topic=period.filters.get("topic", ""),
        segment=period.filters.get("segment", ""),
    )
    page = page_of(comments, request.GET.get("page"), size=COMMENTS_PER_PAGE)
    topic_labels = dict(NpsTopic.choices)
    context = {
        "form": form,
        "period": period,
        "insights": insights,
        "cards": _cards(insights),
        "trend": _trend(insights),
        "page": page,
        "comments": [
            {
                "response": r,
                "segment": segment_for(r.score),
                "topics": [topic_labels.get(t, t) for t in r.topics or []],
            }
            for r in page.items
        ],
        "min_group": MIN_GROUP,
        "export_query": urlencode(period.filters),
        "last_day": timezone.localtime(period.until - timedelta(microseconds=1), request.store.tz).date(),
        "first_day": timezone.localtime(period.since, request.store.tz).date(),
    }
    return render(request, "dashboard/insights.html", context)


BREAKDOWN_HEADER = [
    "breakdown",
    "group_key",
    "group",
    "responses",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "small_sample",
]
COMMENT_HEADER = ["answered_at", "order", "score", "segment", "topics", "comment"]


@member_required(ACTION)
def nps_insights_csv(request):
    """?data=comments: the comments as filtered on the page; otherwise every breakdown and week, one table
    with a `breakdown` column (every product, not only those the page shows)."""
    _form, period = period_of(request)
    store, since, until = request.store, period.since, period.until
    first = timezone.localtime(since, store.tz).date().isoformat()
    last = timezone.localtime(until - timedelta(microseconds=1), store.tz).date().isoformat()
    if request.GET.get("data") == "comments":
        response = CsvDownload(f"nps-comments-{first}-{last}.csv")
        response.row(COMMENT_HEADER)
        comments = nps_comments(
            store=store,
            since=since,
            until=until,
            topic=period.filters.get("topic", ""),
            segment=period.filters.get("segment", ""),
        )
        for r in comments.iterator(chunk_size=2000):
            response.row(
                [
                    timezone.localtime(r.modified_at, store.tz).isoformat(timespec="seconds"),
                    r.order.number,
                    r.score,
                    segment_for(r.score).value,
                    " ".join(r.topics or []),
                    r.comment,
                ]
            )
        return response
    insights = nps_insights(store=store, since=since, until=until, product_limit=None)
    response = CsvDownload(f"nps-insights-{first}-{last}.csv")
    response.row(BREAKDOWN_HEADER)
    groups = [("all", [insights.total]), *insights.breakdowns(), ("week", insights.weeks)]
    for breakdown, rows in groups:
        for g in rows:
            nps = "" if g.nps is None else g.nps
            figures = [g.responses, g.promoters, g.passives, g.detractors, nps, int(g.small)]
            response.row([breakdown, g.key, str(g.label), *figures])
    return response

"""How a shipment reads to its buyer: words for each status, what happens next, and the five-step progress bar.

The one definition of how a status is told: the tracking page and the shipping emails (apps.campaigns.context)
both read `status_story` and `shipment_progress`, in the buyer's language, so a page and an email never say
two different things.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.core import UnknownLocaleError
from babel.dates import format_date, format_skeleton
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, pgettext_lazy

from apps.shipments.models import ShipmentStatus

S = ShipmentStatus

# The buyer's words for each normalised status (the dashboard keeps the shipments app's terms).
STATUS_LABELS = {
    S.PENDING: pgettext_lazy("shipment status", "Preparing to ship"),
    S.INFO_RECEIVED: pgettext_lazy("shipment status", "Shipping label created"),
    S.IN_TRANSIT: pgettext_lazy("shipment status", "On its way"),
    S.OUT_FOR_DELIVERY: pgettext_lazy("shipment status", "Out for delivery"),
    S.AVAILABLE_FOR_PICKUP: pgettext_lazy("shipment status", "Ready for pickup"),
    S.ATTEMPT_FAILED: pgettext_lazy("shipment status", "Delivery attempt failed"),
    S.DELIVERED: pgettext_lazy("shipment status", "Delivered"),
    S.EXCEPTION: pgettext_lazy("shipment status", "Delivery problem"),
    S.RETURNED: pgettext_lazy("shipment status", "Returned to sender"),
    S.EXPIRED: pgettext_lazy("shipment status", "Tracking ended"),
    S.UNKNOWN: pgettext_lazy("shipment status", "Status unknown"),
}

ORDERED, SHIPPED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED = range(5)
STEP_LABELS = (
    pgettext_lazy("progress step", "Ordered"),
    pgettext_lazy("progress step", "Shipped"),
    pgettext_lazy("progress step", "In transit"),
    pgettext_lazy("progress step", "Out for delivery"),
    pgettext_lazy("progress step", "Delivered"),
)
PICKUP_STEP_LABEL = pgettext_lazy("progress step", "Ready for pickup")

# The step each status reaches on the bar. Problems have none of their own: they stay on the
# step the parcel had reached and show there, in their own colour and words.
STATUS_STEP = {
    S.PENDING: ORDERED,
    S.INFO_RECEIVED: SHIPPED,
    S.IN_TRANSIT: IN_TRANSIT,
    S.OUT_FOR_DELIVERY: OUT_FOR_DELIVERY,
    S.AVAILABLE_FOR_PICKUP: OUT_FOR_DELIVERY,
    S.ATTEMPT_FAILED: OUT_FOR_DELIVERY,
    S.DELIVERED: DELIVERED,
}
PROBLEM_STATUSES = {S.EXCEPTION, S.ATTEMPT_FAILED, S.RETURNED}
FINAL_STATUSES = {S.DELIVERED, S.RETURNED}


def status_label(status: str):
    return STATUS_LABELS.get(status, STATUS_LABELS[S.UNKNOWN])


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done, current, problem, todo

    @property
    def reached(self) -> bool:
        return self.state != "todo"


@dataclass(frozen=True)
class Progress:
    steps: list[Step] = field(default_factory=list)
    problem: str = ""  # the problem status, shown on the current step
    complete: bool = False

    @property
    def percent(self) -> int:
        reached = max((i for i, step in enumerate(self.steps) if step.reached), default=0)
        return round(100 * reached / (len(self.steps) - 1))


def shipment_progress(shipment, events=None) -> Progress:
    """The five steps for a shipment, from its status and (for problems) the furthest event before them.

    `events` are the shipment's already-loaded events; no query is made here.
    """
    status = shipment.status
    events = list(events if events is not None else [])
    reached = STATUS_STEP.get(status)
    if reached is None or status in PROBLEM_STATUSES:
        # Exceptions, returns and unknowns keep the furthest step a normal event reached.
        furthest = max((STATUS_STEP.get(e.status, ORDERED) for e in events if e.status in STATUS_STEP), default=None)
        baseline = SHIPPED if (shipment.shipped_at or events) else ORDERED
        reached = max(furthest if furthest is not None else ORDERED, baseline, reached or ORDERED)
        reached = min(reached, OUT_FOR_DELIVERY)
    elif status == S.PENDING and shipment.shipped_at:
        reached = SHIPPED
    problem = status if status in PROBLEM_STATUSES else ""
    complete = status == S.DELIVERED
    steps = []
    for index, label in enumerate(STEP_LABELS):
        if index == OUT_FOR_DELIVERY and status == S.AVAILABLE_FOR_PICKUP:
            label = PICKUP_STEP_LABEL
        if index < reached or (complete and index == reached):
            state = "done"
        elif index == reached:
            state = "problem" if problem else "current"
        else:
            state = "todo"
        steps.append(Step(label=label, state=state))
    return Progress(steps=steps, problem=problem, complete=complete)


def order_progress_preparing() -> Progress:
    """The bar for an order with no shipment yet: ordered, nothing else."""
    states = ["current", "todo", "todo", "todo", "todo"]
    return Progress(steps=[Step(label=label, state=state) for label, state in zip(STEP_LABELS, states, strict=True)])


# --- What happens next ------------------------------------------------------------------------
# One line under each status. `%(store)s` is the store's name. Available for pickup and a failed attempt
# depend on what the carrier said and when (status_story).
NEXT_STEPS = {
    S.PENDING: pgettext_lazy("what happens next", "Your parcel is packed and waiting for the carrier to scan it."),
    S.INFO_RECEIVED: pgettext_lazy(
        "what happens next", "The label is ready. The carrier will scan the parcel when it collects it."
    ),
    S.IN_TRANSIT: pgettext_lazy(
        "what happens next", "The carrier is bringing your parcel to you. Each new scan appears here."
    ),
    S.OUT_FOR_DELIVERY: pgettext_lazy("what happens next", "A courier is bringing your parcel today."),
    S.AVAILABLE_FOR_PICKUP: pgettext_lazy(
        "what happens next", "The carrier's notice or website says where to collect it."
    ),
    S.ATTEMPT_FAILED: pgettext_lazy(
        "what happens next",
        "The carrier will usually try again on the next working day or leave a note saying where to collect it.",
    ),
    S.DELIVERED: pgettext_lazy(
        "what happens next", "The carrier says it was delivered. If you cannot find it, contact %(store)s."
    ),
    # These two are the tracking page's own notices, word for word (one catalog entry each).
    S.EXCEPTION: gettext_lazy(
        "The carrier reported a problem. %(store)s is looking into it and will contact you if anything is needed."
    ),
    S.RETURNED: gettext_lazy("%(store)s will contact you about sending it again or refunding you."),
    S.EXPIRED: pgettext_lazy(
        "what happens next",
        "The carrier has stopped sending updates. If your parcel has not arrived, contact %(store)s.",
    ),
    S.UNKNOWN: pgettext_lazy(
        "what happens next", "The carrier has not said where the parcel is. Updates appear here as soon as it does."
    ),
}
PICKUP_AT = pgettext_lazy("what happens next", "Collect it at %(place)s.")
PICKUP_AT_BY = pgettext_lazy("what happens next", "Collect it at %(place)s by %(date)s.")
PICKUP_BY = pgettext_lazy("what happens next", "Collect it by %(date)s. The carrier's notice says where.")
ATTEMPT_PAST = pgettext_lazy(
    "what happens next", "A delivery attempt failed on %(date)s. If your parcel has not arrived, contact %(store)s."
)

# A failed attempt is news for this long: after it (or once the carrier says anything newer) nobody promises
# a retry tomorrow, the buyer reads when it failed.
ATTEMPT_NEWS_FOR = timedelta(days=3)


# How a day reads inside a sentence: 'June 12', '12 июня', '6월 12일', '12 маусым'. Italian names the weekday
# too ('giovedì 12 giugno'), so the sentence needs no article before the number (il 12, l'8, l'11).
SENTENCE_DAY_PATTERNS = {"it": "EEEE d MMMM"}


def sentence_day(value: date) -> str:
    """A day as a sentence says it, in the active language."""
    language = translation.get_language() or "en"
    locale = language.replace("-", "_")
    try:
        pattern = SENTENCE_DAY_PATTERNS.get(language[:2])
        return format_date(value, pattern, locale=locale) if pattern else format_skeleton("MMMMd", value, locale=locale)
    except (UnknownLocaleError, ValueError):
        return value.isoformat()


@dataclass(frozen=True)
class StatusStory:
    """A shipment's status as its buyer reads it, in the active language: the headline, what happens next,
    and for a parcel at a pickup point where and until when to collect it."""

    status: str
    headline: str
    next_step: str
    pickup_location: str = ""
    pickup_deadline: date | None = None
    attempt_at: datetime | None = None  # the failed attempt's moment, for attempt_failed
    attempt_is_news: bool = False  # attempt_failed: recent and nothing newer, so what usually follows is told


def failed_attempt(shipment, events=None, *, now=None):
    """(moment of the newest failed attempt, whether it is still news). Uses loaded events, else the shipment's
    last carrier news: news means within ATTEMPT_NEWS_FOR and no newer carrier event."""
    now = now or timezone.now()
    events = list(events) if events is not None else None
    if events:
        attempts = [e.occurred_at for e in events if e.status == S.ATTEMPT_FAILED]
        at = max(attempts) if attempts else shipment.last_event_at
        newer = any(e.occurred_at > at for e in events) if at else False
    else:
        at, newer = shipment.last_event_at, False
    if at is None:
        return None, True  # nothing says when: take the status as news
    return at, not newer and now - at <= ATTEMPT_NEWS_FOR


def status_story(shipment, *, events=None, store_name: str = "", now=None) -> StatusStory:
    """How this shipment's status is told now, in the active language and time zone.

    `events` are the shipment's loaded events (any order); without them, the shipment's own fields decide.
    """
    status = shipment.status if shipment.status in STATUS_LABELS else S.UNKNOWN
    values = {"store": store_name}
    headline = str(status_label(status))
    if status == S.AVAILABLE_FOR_PICKUP:
        place = " ".join((shipment.pickup_location or "").split())
        deadline = shipment.pickup_deadline
        if place and deadline:
            line = str(PICKUP_AT_BY) % {"place": place, "date": sentence_day(deadline)}
        elif place:
            line = str(PICKUP_AT) % {"place": place}
        elif deadline:
            line = str(PICKUP_BY) % {"date": sentence_day(deadline)}
        else:
            line = str(NEXT_STEPS[status])
        return StatusStory(status, headline, line, pickup_location=place, pickup_deadline=deadline)
    if status == S.ATTEMPT_FAILED:
        at, news = failed_attempt(shipment, events, now=now)
        if news:
            line = str(NEXT_STEPS[status])
        else:
            line = str(ATTEMPT_PAST) % {**values, "date": sentence_day(timezone.localtime(at).date())}
        return StatusStory(status, headline, line, attempt_at=at, attempt_is_news=news)
    line = str(NEXT_STEPS[status])
    return StatusStory(status, headline, line % values if "%(store)s" in line else line)

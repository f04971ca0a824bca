"""Delivery dates we predict: how long each carrier takes on each route, learned from the store's own parcels.

Pure calculation, no database: `learning.py` loads the deliveries, stores what this module learns and asks it
for predictions. The same `TransitModel.predict` answers the nightly test on held-out parcels, the tracking
page and the emails, so the accuracy the merchant reads is the accuracy of what buyers see.

- **Route.** A parcel's route is its carrier, the country it was sent from (the carrier's first scan that
  names one: the store records no warehouse address) and its destination country and postal area (the
  order's address; see `postal_region`). A prediction uses the most specific level with enough deliveries:
  carrier + origin + destination region, then carrier + origin + destination country, then the carrier
  alone. Too few deliveries at every level: no prediction.
- **Delivery days.** Transit is counted in the days after the shipping day on which the carrier delivers, on
  the store's calendar. Which weekdays those are is learned from the carrier's deliveries (a weekday with
  hardly any is not one), so a parcel shipped on Friday by a carrier idle at weekends is not promised for
  Sunday. Public holidays are not known.
- **Typical time.** The median of past delivery days (it minimises the mean absolute error, and a few lost
  parcels do not move it); the confidence is the share of those deliveries within a day of it. A parcel
  still travelling is predicted from the deliveries that took at least as long as it already has, and gets
  no date once it is later than nearly all of them.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .models import TransitLevel

ROUTE, COUNTRY, CARRIER = TransitLevel.ROUTE.value, TransitLevel.COUNTRY.value, TransitLevel.CARRIER.value
# Deliveries a level needs before it predicts. The carrier alone mixes every route, so it needs more.
MIN_SAMPLES = {ROUTE: 20, COUNTRY: 20, CARRIER: 30}
# A parcel that has travelled longer than all but this many past ones like it gets no date: too few to say.
MIN_TAIL = 5
# Deliveries a carrier needs before its delivery week is learned (fewer: the store's, then every day).
WEEKDAY_MIN_DELIVERIES = 50
# A weekday with less than a fifth of an even share of a carrier's deliveries is not one of its delivery days.
RARE_WEEKDAY_SHARE = 0.2
ALL_WEEK = "0123456"
# Longer than this is a data error (a parcel marked delivered months later), not a transit time.
MAX_TRANSIT_DAYS = 60
# The accuracy test: the most recent fifth of the parcels, predicted from what was delivered before them.
HOLDOUT_SHARE = 0.2
MIN_BACKTEST_DELIVERIES = 50

Key = tuple[str, str, str, str, str]  # carrier, level, origin country, destination country, destination region


def postal_region(country: str, postcode: str) -> str:
    """The postal area of an address, the destination "region" of a route.

    The leading part of a postcode names an area almost everywhere: two digits are a German Leitregion, an
    Italian or French département-sized area, a US or Korean state-sized one. The UK's letters before the
    first digit are its postcode areas (EC, M, BS); Ireland's first three characters its routing areas; a
    Canadian postcode's first letter its province. '' when the postcode is missing.
    """
    code = re.sub(r"[^0-9A-Z]", "", (postcode or "").upper())
    if not code:
        return ""
    country = (country or "").upper()
    if country in ("GB", "GG", "JE", "IM"):
        letters = re.match(r"[A-Z]+", code)
        return letters.group(0)[:2] if letters else code[:2]
    if country == "IE":
        return code[:3]
    if country == "CA":
        return code[:1]
    return code[:2]


@dataclass(frozen=True)
class Route:
    carrier: str
    origin: str  # ISO country code, '' when unknown
    country: str
    region: str

    def keys(self, origin: str | None = None) -> Iterator[tuple[str, Key]]:
        """Most specific first: the levels this route can be predicted at."""
        origin = self.origin if origin is None else origin
        if self.country and self.region:
            yield ROUTE, (self.carrier, ROUTE, origin, self.country, self.region)
        if self.country:
            yield COUNTRY, (self.carrier, COUNTRY, origin, self.country, "")
        yield CARRIER, (self.carrier, CARRIER, "", "", "")


@dataclass(frozen=True)
class Delivery:
    """A delivered parcel: its route, when it left and arrived, and the carrier's last estimate for it."""

    route: Route
    shipped_at: datetime
    delivered_at: datetime
    shipped_on: date  # on the store's calendar
    delivered_on: date
    carrier_estimate: date | None = None


@dataclass(frozen=True)
class Prediction:
    day: date
    confidence: float  # share of the past parcels it comes from that arrived within a day of it
    basis: str  # the TransitLevel it came from
    samples: int  # how many past parcels it comes from


# --- Delivery days --------------------------------------------------------------------------------------
def _weekday_set(weekdays: str) -> frozenset[int]:
    return frozenset(int(day) for day in weekdays) or frozenset(range(7))


def delivery_days_between(start: date, end: date, weekdays: str = ALL_WEEK) -> int:
    """How many of the carrier's delivery days fall after `start`, up to and including `end`."""
    if end <= start:
        return 0
    days = _weekday_set(weekdays)
    weeks, rest = divmod((end - start).days, 7)  # any seven days in a row hold each weekday once
    count = weeks * len(days)
    for offset in range(1, rest + 1):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() in days:
            count += 1
    return count


def add_delivery_days(start: date, count: int, weekdays: str = ALL_WEEK) -> date:
    """The `count`-th delivery day after `start` (`start` itself for 0)."""
    if count <= 0:
        return start
    days = _weekday_set(weekdays)
    weeks = (count - 1) // len(days)
    day, left = start + timedelta(days=7 * weeks), count - weeks * len(days)
    while left:
        day += timedelta(days=1)
        if day.weekday() in days:
            left -= 1
    return day


def delivery_weekdays(counts: Counter, total: int) -> str:
    """The weekdays a carrier delivers on, from how many of its deliveries fell on each."""
    floor = total / 7 * RARE_WEEKDAY_SHARE
    return "".join(str(day) for day in range(7) if counts[day] >= floor) or ALL_WEEK


# --- Distributions --------------------------------------------------------------------------------------
def typical_days(histogram: list[int], *, at_least: int = 0) -> tuple[int, int, float] | None:
    """The median of the deliveries that took `at_least` delivery days or more, how many those are, and the
    share of them within a day of the median; None when there are none."""
    tail = [(days, count) for days, count in enumerate(histogram) if days >= at_least and count]
    total = sum(count for _, count in tail)
    if not total:
        return None
    running, median = 0, tail[-1][0]
    for days, count in tail:
        running += count
        if 2 * running >= total:  # the lower median: a whole number of days, never a half
            median = days
            break
    within = sum(count for days, count in tail if abs(days - median) <= 1)
    return median, total, within / total


@dataclass
class TransitModel:
    """What was learned: the delivery week of each carrier and the delivery-day distribution of each key."""

    weekdays: dict[str, str] = field(default_factory=dict)
    histograms: dict[Key, list[int]] = field(default_factory=dict)

    def predict(self, route: Route, shipped_on: date, *, today: date | None = None) -> Prediction | None:
        """The delivery day of a parcel on `route` shipped on `shipped_on` (store's calendar).

        With `today`, a parcel not delivered yet is predicted from the past parcels that took at least as long
        as it already has (none of them arrived before today)."""
        weekdays = self.weekdays.get(route.carrier, ALL_WEEK)
        at_least = 0
        if today is not None and today > shipped_on:
            # Every delivery day before today has passed without the parcel.
            at_least = delivery_days_between(shipped_on, today - timedelta(days=1), weekdays) + 1
        for level, key in route.keys(route.origin or self._usual_origin(route)):
            histogram = self.histograms.get(key)
            if histogram is None or sum(histogram) < MIN_SAMPLES[level]:
                continue
            typical = typical_days(histogram, at_least=at_least)
            if typical is None or typical[1] < MIN_TAIL:
                return None  # later than nearly every parcel like it: a coarser level would only guess
            days, samples, confidence = typical
            return Prediction(add_delivery_days(shipped_on, days, weekdays), round(confidence, 3), level, samples)
        return None

    def _usual_origin(self, route: Route) -> str:
        """Where this carrier's parcels to this country usually start: before its first scan a parcel's origin
        is unknown, and most stores ship from one place."""
        best, origin = 0, ""
        for key, histogram in self.histograms.items():
            if key[0] == route.carrier and key[1] == COUNTRY and key[3] == route.country:
                samples = sum(histogram)
                if samples > best:
                    best, origin = samples, key[2]
        return origin

    def statistics(self) -> list[dict]:
        """The keys with enough deliveries to predict from, as TransitStatistic fields, in key order."""
        rows = []
        for key in sorted(self.histograms):
            histogram = self.histograms[key]
            carrier, level, origin, country, region = key
            samples = sum(histogram)
            typical = typical_days(histogram)
            if typical is None or samples < MIN_SAMPLES[level]:
                continue
            days, _, within = typical
            rows.append(
                {
                    "carrier": carrier,
                    "level": level,
                    "origin_country": origin,
                    "destination_country": country,
                    "destination_region": region,
                    "samples": samples,
                    "days": histogram,
                    "typical_days": days,
                    "within_a_day": round(within, 3),
                    "delivery_weekdays": self.weekdays.get(carrier, ALL_WEEK),
                }
            )
        return rows

    @classmethod
    def from_statistics(cls, rows: Iterable) -> "TransitModel":
        """The model back from stored TransitStatistic rows (or objects with the same attributes)."""
        model = cls()
        for row in rows:
            key = (row.carrier, row.level, row.origin_country, row.destination_country, row.destination_region)
            model.histograms[key] = list(row.days)
            model.weekdays[row.carrier] = row.delivery_weekdays
        return model


def learn(deliveries: Iterable[Delivery]) -> TransitModel:
    deliveries = list(deliveries)
    # Unknown origins (no scan named a country) count as the store's usual one, so they do not split routes.
    origins = Counter(d.route.origin for d in deliveries if d.route.origin)
    usual_origin = origins.most_common(1)[0][0] if origins else ""

    by_carrier: dict[str, Counter] = defaultdict(Counter)
    for delivery in deliveries:
        by_carrier[delivery.route.carrier][delivery.delivered_on.weekday()] += 1
    everyone = sum(by_carrier.values(), Counter())
    store_week = delivery_weekdays(everyone, len(deliveries)) if len(deliveries) >= WEEKDAY_MIN_DELIVERIES else ALL_WEEK
    model = TransitModel()
    for carrier, counts in by_carrier.items():
        total = sum(counts.values())
        model.weekdays[carrier] = delivery_weekdays(counts, total) if total >= WEEKDAY_MIN_DELIVERIES else store_week

    for delivery in deliveries:
        route = delivery.route
        days = delivery_days_between(delivery.shipped_on, delivery.delivered_on, model.weekdays[route.carrier])
        for _, key in route.keys(route.origin or usual_origin):
            histogram = model.histograms.setdefault(key, [])
            if len(histogram) <= days:
                histogram.extend([0] * (days + 1 - len(histogram)))
            histogram[days] += 1
    return model


def usable(delivery: Delivery) -> bool:
    """A delivery that can teach a transit time: a carrier, and an arrival after shipping within reason."""
    transit = (delivery.delivered_on - delivery.shipped_on).days
    return bool(delivery.route.carrier) and 0 <= transit <= MAX_TRANSIT_DAYS


# --- Accuracy -------------------------------------------------------------------------------------------
@dataclass
class Accuracy:
    """How the predictions did on held-out deliveries: for one carrier, or for all ('')."""

    carrier: str
    deliveries: int = 0  # all the current predictions learn from
    learned_from: int = 0
    tested: int = 0
    predicted: int = 0
    error_days: int = 0
    within_a_day: int = 0
    carrier_estimates: int = 0
    carrier_error_days: int = 0
    held_out_since: datetime | None = None

    @property
    def mean_error_days(self) -> float | None:
        return round(self.error_days / self.predicted, 3) if self.predicted else None

    @property
    def within_a_day_share(self) -> float | None:
        return round(self.within_a_day / self.predicted, 3) if self.predicted else None

    @property
    def carrier_mean_error_days(self) -> float | None:
        return round(self.carrier_error_days / self.carrier_estimates, 3) if self.carrier_estimates else None

    @property
    def coverage(self) -> float | None:
        return round(self.predicted / self.tested, 3) if self.tested else None


def backtest(deliveries: Iterable[Delivery]) -> dict[str, Accuracy]:
    """Each carrier's accuracy (and all carriers' under ''): the most recently shipped fifth of the parcels,
    predicted as on their shipping day from the parcels delivered before the first of them was shipped.

    Errors are calendar days between the predicted and the actual day. Parcels shipped recently and not yet
    delivered are not in the test (they may be the slow ones), so the figures lean a little optimistic.
    """
    deliveries = sorted(deliveries, key=lambda d: d.shipped_at)
    results = {"": Accuracy("", deliveries=len(deliveries))}
    for delivery in deliveries:
        carrier = delivery.route.carrier
        results.setdefault(carrier, Accuracy(carrier))
        results[carrier].deliveries += 1
    if len(deliveries) < MIN_BACKTEST_DELIVERIES:
        return results
    split = deliveries[int(len(deliveries) * (1 - HOLDOUT_SHARE))].shipped_at
    training = [d for d in deliveries if d.delivered_at < split]
    model = learn(training)
    for delivery in training:
        results[""].learned_from += 1
        results[delivery.route.carrier].learned_from += 1
    for delivery in deliveries:
        if delivery.shipped_at < split:
            continue
        prediction = model.predict(delivery.route, delivery.shipped_on)
        for result in (results[""], results[delivery.route.carrier]):
            result.held_out_since = split
            result.tested += 1
            if prediction is not None:
                error = abs((prediction.day - delivery.delivered_on).days)
                result.predicted += 1
                result.error_days += error
                result.within_a_day += error <= 1
            if delivery.carrier_estimate is not None:
                result.carrier_estimates += 1
                result.carrier_error_days += abs((delivery.carrier_estimate - delivery.delivered_on).days)
    return results

"""The delivery-date predictor: what it learns from a store's deliveries, how far off it is on parcels it has
not seen, how it falls back, and when it declines to say anything."""

from datetime import date, timedelta

import pytest

from apps.shipments.prediction import (
    ALL_WEEK,
    CARRIER,
    COUNTRY,
    MIN_SAMPLES,
    ROUTE,
    Route,
    add_delivery_days,
    backtest,
    delivery_days_between,
    learn,
    postal_region,
)
from tests.shipments.prediction_data import delivery

MONDAY = date(2026, 3, 2)
FRIDAY = date(2026, 3, 6)

# The bound the issue asks us to state: on parcels whose transit varies by one day either side of its
# middle (4, 5 or 6 days in turn), the median's mean absolute error is 2/3 of a day; we allow 0.75.
SPREAD_BOUND_DAYS = 0.75


def daily(carrier, days_for, *, count, first=date(2026, 1, 5), **route):
    """One parcel a day from `first`, the `index`-th taking `days_for(index)` calendar days."""
    return [
        delivery(carrier, days=days_for(index), shipped_on=first + timedelta(days=index), **route)
        for index in range(count)
    ]


# --- Known transit times, held out -------------------------------------------------------------------
def test_parcels_with_a_fixed_transit_time_are_predicted_to_the_day_and_a_spread_within_the_stated_bound():
    # given 100 days of parcels: carrier A always 3 days Germany → Italy, carrier B 4, 5 or 6 days in turn
    deliveries = daily("dhl", lambda i: 3, count=100) + daily("ups", lambda i: 4 + i % 3, count=100)
    # when the most recent fifth is predicted from what was delivered before it
    accuracy = backtest(deliveries)
    # then every tested parcel had a prediction; A's were exact, B's within the bound and never off by two days
    dhl, ups, overall = accuracy["dhl"], accuracy["ups"], accuracy[""]
    assert overall.tested == 40 and overall.predicted == 40
    assert dhl.mean_error_days == 0
    assert ups.mean_error_days <= SPREAD_BOUND_DAYS
    assert ups.within_a_day_share == 1
    assert overall.learned_from < 160  # only parcels delivered before the first tested one was shipped


def test_a_carrier_idle_at_weekends_is_predicted_in_its_delivery_days():
    # given a carrier that delivers Monday to Friday, always two of its delivery days after shipping
    deliveries = [
        delivery("brt", days=(add_delivery_days(day, 2, "01234") - day).days, shipped_on=day)
        for day in (date(2026, 1, 5) + timedelta(days=n) for n in range(120))
        if day.weekday() < 5
    ]
    model = learn(deliveries)
    # then it learned the week and predicts a Friday parcel for Tuesday, not Sunday
    assert model.weekdays["brt"] == "01234"
    assert model.predict(Route("brt", "DE", "IT", "20"), FRIDAY).day == date(2026, 3, 10)
    # and counting calendar days instead would have erred on Thursday and Friday parcels; this does not
    assert backtest(deliveries)["brt"].mean_error_days == 0


def test_the_delivery_week_counts_only_the_carriers_days():
    assert delivery_days_between(FRIDAY, FRIDAY + timedelta(days=3), "01234") == 1  # Monday only
    assert delivery_days_between(MONDAY, MONDAY + timedelta(days=14), "01234") == 10
    assert delivery_days_between(MONDAY, MONDAY, ALL_WEEK) == 0
    assert add_delivery_days(FRIDAY, 1, "012345") == date(2026, 3, 7)  # a Saturday carrier
    assert add_delivery_days(FRIDAY, 6, "01234") == date(2026, 3, 16)
    assert add_delivery_days(FRIDAY, 0, "01234") == FRIDAY


# --- Fallbacks and too little data -------------------------------------------------------------------
def fallback_model():
    """DHL from Germany: 25 parcels to Milan (postcodes 20…) in 2 days, 30 to Rome (00…) in 4."""
    return learn(daily("dhl", lambda i: 2, count=25, region="20") + daily("dhl", lambda i: 4, count=30, region="00"))


def test_a_prediction_falls_back_from_the_region_to_the_country_to_the_carrier():
    model = fallback_model()
    milan = model.predict(Route("dhl", "DE", "IT", "20"), MONDAY)
    naples = model.predict(Route("dhl", "DE", "IT", "80"), MONDAY)  # no parcel to 80… yet
    paris = model.predict(Route("dhl", "DE", "FR", "75"), MONDAY)  # nor to France
    assert (milan.basis, milan.day, milan.samples) == (ROUTE, MONDAY + timedelta(days=2), 25)
    assert (naples.basis, naples.day, naples.samples) == (COUNTRY, MONDAY + timedelta(days=4), 55)
    assert (paris.basis, paris.samples) == (CARRIER, 55)
    assert model.predict(Route("ups", "DE", "IT", "20"), MONDAY) is None  # a carrier never seen


def test_a_parcel_whose_origin_is_not_scanned_yet_counts_as_from_where_the_carrier_usually_starts():
    model = fallback_model()
    assert model.predict(Route("dhl", "", "IT", "20"), MONDAY).basis == ROUTE


def test_too_few_deliveries_give_no_prediction_at_any_level():
    # given 19 parcels, one fewer than a route needs (and fewer than the carrier alone needs)
    few = daily("dhl", lambda i: 2, count=MIN_SAMPLES[ROUTE] - 1)
    assert learn(few).predict(Route("dhl", "DE", "IT", "20"), MONDAY) is None
    assert learn(few).statistics() == []  # nothing stored to predict from
    assert backtest(few)[""].predicted == 0
    # and one more parcel is enough for the route
    enough = learn(few + daily("dhl", lambda i: 2, count=1))
    assert enough.predict(Route("dhl", "DE", "IT", "20"), MONDAY).basis == ROUTE


def test_a_parcel_still_travelling_is_predicted_from_the_slower_past_ones_and_not_past_them():
    # given 30 parcels that took 2 days and 10 that took 5
    model = learn(daily("dhl", lambda i: 2 if i % 4 else 5, count=40))
    route = Route("dhl", "DE", "IT", "20")
    assert model.predict(route, MONDAY).day == MONDAY + timedelta(days=2)
    # when three days have gone by without delivery, only the slow ones are like it
    late = model.predict(route, MONDAY, today=MONDAY + timedelta(days=3))
    assert (late.day, late.samples, late.confidence) == (MONDAY + timedelta(days=5), 10, 1.0)
    # and once it is later than every past parcel, we say nothing rather than guess
    assert model.predict(route, MONDAY, today=MONDAY + timedelta(days=6)) is None


def test_the_confidence_is_the_share_of_past_parcels_within_a_day_of_the_prediction():
    model = learn(daily("dhl", lambda i: [2, 3, 6, 2][i % 4], count=40))  # 20 × 2, 10 × 3, 10 × 6
    prediction = model.predict(Route("dhl", "DE", "IT", "20"), MONDAY)
    assert prediction.day == MONDAY + timedelta(days=2)
    assert prediction.confidence == 0.75


def test_implausible_deliveries_teach_nothing():
    from apps.shipments.prediction import usable

    assert not usable(delivery(days=-1))
    assert not usable(delivery(days=90))  # marked delivered months later
    assert not usable(delivery("", days=2))
    assert usable(delivery(days=0))


@pytest.mark.parametrize(
    ("country", "postcode", "region"),
    [
        ("IT", "20121", "20"),
        ("DE", "10115", "10"),
        ("US", "94103-1234", "94"),
        ("GB", "EC1V 9HX", "EC"),
        ("GB", "m1 1ae", "M"),
        ("IE", "D02 X285", "D02"),
        ("CA", "K1A 0B1", "K"),
        ("KR", "04524", "04"),
        ("IT", "", ""),
    ],
)
def test_the_destination_region_is_the_postal_area(country, postcode, region):
    assert postal_region(country, postcode) == region

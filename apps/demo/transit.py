"""How the demo's carriers travel: how many delivery days each takes on each route, on which weekdays it
delivers, and how good its own delivery estimates are.

The delivery-date predictor (apps/shipments/prediction.py) learns exactly these things from delivered parcels,
so the demo gives it something to find: a transit time per carrier (its base days), per destination country
(from the store's country) and per postal area (a few areas are a day further out), with a small spread and a
few parcels badly late; no carrier delivers on Sundays and some not on Saturdays; carriers announce a day for
most parcels (some carriers for fewer), mostly the right one, sometimes a day off.

Days are counted as the predictor counts them: delivery days after the shipping day. All of it is integer
arithmetic on day numbers (days since 1970-01-01 on a place's fixed UTC offset), cheap per parcel.
"""

import zlib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from apps.demo.profiles import HOUR
from apps.shipments.prediction import postal_region


@dataclass(frozen=True)
class Service:
    days: int  # delivery days after the shipping day, within the carrier's home country
    weekdays: str  # the weekdays it delivers on, Monday 0 (as TransitStatistic.delivery_weekdays)
    estimates: float  # share of parcels it announces a delivery day for


MONDAY_TO_FRIDAY, MONDAY_TO_SATURDAY = "01234", "012345"
SERVICES = {
    "ups": Service(2, MONDAY_TO_FRIDAY, 0.95),
    "usps": Service(3, MONDAY_TO_SATURDAY, 0.75),
    "fedex": Service(2, MONDAY_TO_SATURDAY, 0.95),
    "dhl": Service(1, MONDAY_TO_FRIDAY, 0.9),
    "royal_mail": Service(2, MONDAY_TO_SATURDAY, 0.7),
    "poste_italiane": Service(3, MONDAY_TO_SATURDAY, 0.6),
    "brt": Service(1, MONDAY_TO_FRIDAY, 0.85),
    "russian_post": Service(5, MONDAY_TO_SATURDAY, 0.4),
    "cdek": Service(3, MONDAY_TO_SATURDAY, 0.8),
    "kazpost": Service(4, MONDAY_TO_FRIDAY, 0.35),
    "korea_post": Service(2, MONDAY_TO_FRIDAY, 0.6),
    "cj_logistics": Service(1, MONDAY_TO_SATURDAY, 0.9),
}
DEFAULT_SERVICE = Service(3, MONDAY_TO_FRIDAY, 0.7)
# Extra delivery days from the store's country to the buyer's (customs, the flight, the hand-over).
ROUTE_DAYS = {
    ("IT", "IT"): 0,
    ("IT", "GB"): 2,
    ("IT", "IE"): 2,
    ("IT", "US"): 3,
    ("IT", "RU"): 5,
    ("IT", "KR"): 4,
    ("IT", "KZ"): 6,
    ("KZ", "KZ"): 0,
    ("KZ", "RU"): 2,
    ("KZ", "GB"): 5,
    ("KZ", "IE"): 5,
    ("KZ", "US"): 6,
}
ABROAD_DAYS = 4  # a route not in the table
# One postal area in three is a delivery day further out (islands, mountains, the last depot of a route).
REMOTE_AREA_SHARE = 3


def place_days(service: Service, origin: str, country: str, postcode: str) -> int:
    """The usual delivery days of this carrier from the store's country to this address."""
    route = ROUTE_DAYS.get((origin, country), 0 if origin == country else ABROAD_DAYS)
    region = postal_region(country, postcode)
    remote = bool(region) and zlib.crc32(f"{country}:{region}".encode()) % REMOTE_AREA_SHARE == 0
    return service.days + route + remote


def spread(rand) -> int:
    """A parcel's days beyond (or short of) its route's usual: mostly none, sometimes one, a few late."""
    r = rand()
    if r < 0.66:
        return 0
    if r < 0.84:
        return 1
    if r < 0.93:
        return -1
    if r < 0.98:
        return 2
    return 3 + int(rand() * 5)  # held up somewhere


def estimate_error(rand) -> int:
    """Days between a carrier's estimate and the actual delivery day: mostly right, sometimes a day off."""
    r = rand()
    if r < 0.7:
        return 0
    if r < 0.85:
        return -1  # promised a day early: the parcel came a day late
    if r < 0.96:
        return 1
    return -2


def utc_offset(time_zone: str, at: float) -> int:
    """Seconds east of UTC of a time zone at a moment (the demo treats it as fixed for the whole history)."""
    offset = datetime.fromtimestamp(at, ZoneInfo(time_zone)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def weekday(day: int) -> int:
    """Monday 0 of a day number (1970-01-01, day 0, was a Thursday)."""
    return (day + 3) % 7


_AHEAD: dict[tuple[str, int, int], int] = {}
_DATES: dict[int, date] = {}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def days_ahead(weekdays: str, start: int, count: int) -> int:
    """Calendar days from day `start` to the `count`-th delivery day after it (as add_delivery_days)."""
    key = (weekdays, weekday(start), count)
    ahead = _AHEAD.get(key)
    if ahead is None:
        ahead, left, day = 0, count, weekday(start)
        while left > 0:
            ahead += 1
            day = (day + 1) % 7
            if str(day) in weekdays:
                left -= 1
        _AHEAD[key] = ahead
    return ahead


def day_date(day: int) -> date:
    value = _DATES.get(day)
    if value is None:
        value = _DATES[day] = date.fromordinal(_EPOCH_ORDINAL + day)
    return value


ROUND_STARTS, ROUND_HOURS = 9 * HOUR, 9 * HOUR  # the courier's round: from 9:00 for nine hours (local time)

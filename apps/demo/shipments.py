"""Shipments and their carrier events: which carriers serve which country, how each tracking source
names the statuses, the event stories that end in each status, and the rows of one parcel.

Every shipment on the same story, to the same place, tracked by the same source shares its events'
text (`event_templates`): Python plans a parcel in a few random draws and the database writes its events
(`apps.demo.events`). How long a parcel travels and what the carrier promised come from `apps.demo.transit`.
"""

import random
from dataclasses import dataclass
from datetime import UTC

from apps.demo.events import MULTIPLIERS, windows
from apps.demo.profiles import DAY, HOUR
from apps.demo.rows import Rows, fromtimestamp
from apps.demo.transit import ROUND_HOURS, ROUND_STARTS, day_date, days_ahead, estimate_error, spread
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent

CARRIERS_BY_COUNTRY = {
    "US": ("ups", "usps", "fedex"),
    "GB": ("royal_mail", "dhl", "ups"),
    "IE": ("dhl", "ups"),
    "IT": ("poste_italiane", "brt", "brt", "dhl"),
    "RU": ("cdek", "russian_post"),
    "KR": ("cj_logistics", "korea_post"),
    "KZ": ("kazpost", "cdek", "dhl"),
}
ARRIVAL_HUBS = {
    "US": "Louisville",
    "GB": "East Midlands",
    "IE": "Dublin",
    "IT": "Bologna",
    "RU": "Москва",
    "KR": "인천",
    "KZ": "Алматы",
}
# How many digits of a scrambled shipment id each carrier's numbers carry, and around them.
TRACKING_FORMATS = {
    "ups": ("1Z8V4W{n:010d}", 10),
    "usps": ("9400111{n:015d}", 15),
    "fedex": ("{n:012d}", 12),
    "dhl": ("{n:010d}", 10),
    "royal_mail": ("TT{n:09d}GB", 9),
    "poste_italiane": ("{n:012d}", 12),
    "brt": ("0{n:013d}", 13),
    "russian_post": ("{n:014d}", 14),
    "cdek": ("{n:010d}", 10),
    "kazpost": ("RR{n:09d}KZ", 9),
    "korea_post": ("6{n:012d}", 12),
    "cj_logistics": ("{n:012d}", 12),
}
S = ShipmentStatus
# Each tracking source names the same states its own way.
RAW_STATUS = {
    "aftership": {
        S.PENDING: "Pending",
        S.INFO_RECEIVED: "InfoReceived",
        S.IN_TRANSIT: "InTransit",
        S.OUT_FOR_DELIVERY: "OutForDelivery",
        S.AVAILABLE_FOR_PICKUP: "AvailableForPickup",
        S.ATTEMPT_FAILED: "AttemptFail",
        S.DELIVERED: "Delivered",
        S.EXCEPTION: "Exception",
        S.RETURNED: "Exception_011",
        S.EXPIRED: "Expired",
        S.UNKNOWN: "Unknown",
    },
    "easypost": {
        S.PENDING: "pre_transit",
        S.INFO_RECEIVED: "pre_transit",
        S.IN_TRANSIT: "in_transit",
        S.OUT_FOR_DELIVERY: "out_for_delivery",
        S.AVAILABLE_FOR_PICKUP: "available_for_pickup",
        S.ATTEMPT_FAILED: "failure",
        S.DELIVERED: "delivered",
        S.EXCEPTION: "error",
        S.RETURNED: "return_to_sender",
        S.EXPIRED: "cancelled",
        S.UNKNOWN: "unknown",
    },
    "17track": {
        S.PENDING: "NotFound",
        S.INFO_RECEIVED: "InfoReceived",
        S.IN_TRANSIT: "InTransit",
        S.OUT_FOR_DELIVERY: "OutForDelivery",
        S.AVAILABLE_FOR_PICKUP: "AvailableForPickup",
        S.ATTEMPT_FAILED: "DeliveryFailure",
        S.DELIVERED: "Delivered",
        S.EXCEPTION: "Exception",
        S.RETURNED: "Exception_Returned",
        S.EXPIRED: "Expired",
        S.UNKNOWN: "NotFound",
    },
}
SOURCES = (("aftership", 0.6), ("easypost", 0.85), ("17track", 1.0))  # cumulative shares
SOURCE_KEYS = {"aftership": "as", "easypost": "ep", "17track": "17"}

MESSAGES = {
    S.PENDING: ("Tracking number registered", "Awaiting the first carrier scan"),
    S.INFO_RECEIVED: ("Shipping label created", "Shipment information received by the carrier"),
    S.OUT_FOR_DELIVERY: ("Out for delivery", "With the courier for delivery today"),
    S.ATTEMPT_FAILED: ("Delivery attempted: recipient not available", "Delivery attempt failed: no access"),
    S.AVAILABLE_FOR_PICKUP: ("Ready for collection at the local post office", "Available at a parcel locker"),
    S.DELIVERED: (
        "Delivered",
        "Delivered: left with a neighbour",
        "Delivered to a parcel locker",
        "Delivered: signed for by the recipient",
    ),
    S.EXCEPTION: (
        "Customs clearance delayed",
        "Address incomplete: the carrier contacted the sender",
        "Parcel damaged in transit",
        "Held by customs: duties unpaid",
    ),
    S.RETURNED: ("Returned to sender",),
    S.EXPIRED: ("No tracking updates for 30 days",),
    S.UNKNOWN: ("Status not provided by the carrier", "Tracking number not found in the carrier's system"),
}
IN_TRANSIT_STEPS = (  # message, where (see TrackingPaths)
    ("Picked up by the carrier", 0),
    ("Processed at the sorting hub", 1),
    ("Arrived at the destination hub", 2),
    ("Arrived at the delivery depot", 3),
)

# The gap before a tracking event, by kind: seconds (least, spread), at home and abroad.
FIRST, HOP, TO_DOOR, SHORT, MONTH = range(5)
PACE_DOMESTIC = ((0, 0), (4 * HOUR, 30 * HOUR), (6 * HOUR, 12 * HOUR), (HOUR, 6 * HOUR), (30 * DAY, 0))
PACE_ABROAD = ((0, 0), (4 * HOUR, 60 * HOUR), (6 * HOUR, 12 * HOUR), (HOUR, 6 * HOUR), (30 * DAY, 0))


def _tracking_paths() -> dict[str, list[tuple]]:
    """Final status -> the event sequences that end in it.

    A step is (status, where, pace, messages); where is 0 the warehouse, 1 the outbound hub, 2 the
    arrival hub, 3 the buyer's address, 4 nowhere known.
    """

    def transit(count: int, *, to_door: bool) -> list[tuple]:
        positions = [*range(count - 1), 3 if to_door else count - 1] if count else []
        return [(S.IN_TRANSIT, IN_TRANSIT_STEPS[i][1], HOP, (IN_TRANSIT_STEPS[i][0],)) for i in positions]

    def end(status: str, where: int = 3, pace: int = SHORT) -> tuple:
        return (status, where, pace, MESSAGES[status])

    label = (S.INFO_RECEIVED, 0, FIRST, MESSAGES[S.INFO_RECEIVED])
    door = (S.OUT_FOR_DELIVERY, 3, TO_DOOR, MESSAGES[S.OUT_FOR_DELIVERY])
    registered = (S.PENDING, 0, FIRST, MESSAGES[S.PENDING][:1])
    return {
        S.PENDING: [(registered, (S.PENDING, 0, HOP, MESSAGES[S.PENDING][1:]))],
        S.INFO_RECEIVED: [(registered, (S.INFO_RECEIVED, 0, HOP, MESSAGES[S.INFO_RECEIVED]))],
        S.IN_TRANSIT: [(label, *transit(k, to_door=False)) for k in (1, 2, 3, 4)],
        S.OUT_FOR_DELIVERY: [(label, *transit(k, to_door=True), door) for k in (1, 2, 3)],
        S.DELIVERED: [
            (label, *transit(k, to_door=True), *extra, end(S.DELIVERED))
            for k in (1, 2, 3)
            for extra in ((door,), (door,), (door,), (door,), ())
        ],
        S.ATTEMPT_FAILED: [(label, *transit(k, to_door=True), door, end(S.ATTEMPT_FAILED)) for k in (1, 2)],
        S.AVAILABLE_FOR_PICKUP: [
            (label, *transit(k, to_door=True), *extra, end(S.AVAILABLE_FOR_PICKUP, pace=HOP))
            for k in (1, 2)
            for extra in ((), (end(S.ATTEMPT_FAILED),))
        ],
        S.EXCEPTION: [(label, *transit(k, to_door=False), end(S.EXCEPTION, 2, HOP)) for k in (1, 2, 3)],
        S.RETURNED: [
            (
                label,
                *transit(1, to_door=False),
                end(trouble),
                (S.IN_TRANSIT, 2, HOP, ("Returning to sender",)),
                end(S.RETURNED, 0, HOP),
            )
            for trouble in (S.ATTEMPT_FAILED, S.EXCEPTION)
        ],
        S.EXPIRED: [(label, *transit(k, to_door=False), end(S.EXPIRED, 4, MONTH)) for k in (1, 2)],
        S.UNKNOWN: [(label, *transit(k, to_door=False), end(S.UNKNOWN, 4, HOP)) for k in (0, 1, 2)],
    }


TRACKING_PATHS = {
    # One variant per closing message too, so a parcel's last word varies within a path.
    status: [(*path[:-1], (*path[-1][:3], (message,))) for path in paths for message in path[-1][3]]
    for status, paths in _tracking_paths().items()
}
STATUS_NUMBER = {status: number for number, status in enumerate(S.values)}
SOURCE_NAMES = ("aftership", "easypost", "17track")


def url_parts(carrier) -> tuple[str, str]:
    """The carrier's tracking URL before and after the number, from `Carrier.url_for`.

    Joining the parts equals `url_for(number)` for the demo's numbers, letters and digits that need no quoting.
    """
    start, end = carrier.url_for("\0").split("%00")
    return start, end


def path_timing(path: tuple, domestic: bool, source: str) -> tuple:
    """What a parcel on this path needs from it in Python: how many events, the paces of the gaps between them,
    the source and its final raw status."""
    pace = PACE_DOMESTIC if domestic else PACE_ABROAD
    return len(path), tuple(pace[step[2]] for step in path[1:]), source, RAW_STATUS[source][path[-1][0]]


def template_key(status: str, choice: int, place: "Place", source: int) -> int:
    return ((STATUS_NUMBER[status] * 128 + choice) * 1024 + place.number) * 4 + source


def event_templates(store_id: int, places: list["Place"]) -> list[tuple]:
    """Every event template of a store (`apps.demo.events.TEMPLATE_COLUMNS`): each path, to each place, by each
    source; what every parcel on it shares, and the window of the journey each event falls in."""
    rows = []
    for status, paths in TRACKING_PATHS.items():
        for choice, path in enumerate(paths):
            for place in places:
                pace = PACE_DOMESTIC if place.domestic else PACE_ABROAD
                spans = windows(tuple(pace[step[2]] for step in path[1:]))
                for source, name in enumerate(SOURCE_NAMES):
                    raw, key = RAW_STATUS[name], template_key(status, choice, place, source)
                    for number, (step_status, where, _, messages) in enumerate(path):
                        city, postcode, country = place.hubs[where]
                        rows.append(
                            (
                                store_id,
                                key,
                                number,
                                len(path) - 1,
                                *spans[number],
                                MULTIPLIERS[number],
                                step_status,
                                raw[step_status],
                                name,
                                messages[(place.number + number) % len(messages)],
                                city,
                                "",
                                postcode,
                                country,
                                f"{SOURCE_KEYS[name]}-",
                            )
                        )
    return rows


@dataclass(frozen=True)
class Place:
    """Where a buyer lives, with what their parcels pass through on the way."""

    city: str
    postcode: str
    country: str
    time_zone: str
    domestic: bool
    # of (Carrier, tracking-number pattern, digits, tracking URL before and after the number, usual delivery days
    # to here, delivery weekdays, share of parcels with an estimate): see apps.demo.transit
    carriers: tuple
    hubs: tuple  # (city, postcode, country) by `where` of a tracking step
    number: int  # tells places apart in the builder's caches
    store_offset: int  # seconds east of UTC: the store's calendar, on which parcels are shipped
    local_offset: int  # the buyer's, on which they are delivered


def shipment_status(age: float, rand) -> str:
    """How far a parcel shipped `age` seconds ago has got."""
    r = rand()
    if age < 0.5 * DAY:
        return S.PENDING if r < 0.25 else S.INFO_RECEIVED
    if age < 2 * DAY:
        return S.INFO_RECEIVED if r < 0.2 else S.IN_TRANSIT if r < 0.95 else S.EXCEPTION
    if age < 4 * DAY:
        if r < 0.55:
            return S.IN_TRANSIT
        if r < 0.70:
            return S.OUT_FOR_DELIVERY
        if r < 0.92:
            return S.DELIVERED
        return S.ATTEMPT_FAILED if r < 0.95 else S.EXCEPTION if r < 0.98 else S.AVAILABLE_FOR_PICKUP
    if age < 10 * DAY:
        if r < 0.80:
            return S.DELIVERED
        if r < 0.88:
            return S.IN_TRANSIT
        if r < 0.92:
            return S.AVAILABLE_FOR_PICKUP
        return S.ATTEMPT_FAILED if r < 0.95 else S.EXCEPTION if r < 0.98 else S.UNKNOWN
    if r < 0.955:
        return S.DELIVERED
    if r < 0.965:
        return S.RETURNED
    if r < 0.975:
        return S.EXCEPTION
    if r < 0.985:
        return S.EXPIRED
    if r < 0.99:
        return S.UNKNOWN
    return S.AVAILABLE_FOR_PICKUP if r < 0.995 else S.ATTEMPT_FAILED


class ShipmentRows:
    """The shipment step of `StoreBuilder`: one parcel of an order, and the plan of its carrier events."""

    rnd: random.Random
    now: float
    ids: dict
    store_id: int
    timings: dict

    def _add_shipment(self, rows: Rows, order_id: int, placed_ts: int, status: str, place: Place) -> tuple:
        """One shipment with 2-6 events (planned: apps.demo.events) ending in `status`, or in transit if the
        carrier has not delivered it yet after all; returns the time of its last event and its status."""
        rnd, now = self.rnd, self.now
        rand = rnd.random
        carriers = place.carriers
        carrier, pattern, digits, url_start, url_end, days, weekdays, estimates = carriers[int(rand() * len(carriers))]

        # Label a few hours after the order, then the carrier's pace, squeezed to end before now.
        start = int(placed_ts + min(2 * HOUR + rand() * 20 * HOUR, (now - placed_ts) * 0.3))
        latest = now - (now - start) * 0.03
        # The day the carrier delivers it (or would), on the buyer's calendar, and when on its round.
        shipped_day = (start + place.store_offset) // DAY
        day = shipped_day + days_ahead(weekdays, shipped_day, max(days + spread(rand), 1))
        delivery = day * DAY - place.local_offset + ROUND_STARTS + int(rand() * ROUND_HOURS)
        if status is S.DELIVERED and delivery > latest:
            status = S.OUT_FOR_DELIVERY if day * DAY - place.local_offset <= latest else S.IN_TRANSIT

        paths = TRACKING_PATHS[status]
        choice = int(rand() * len(paths))
        r = rand()
        source = 0 if r < 0.6 else 1 if r < 0.85 else 2
        key = template_key(status, choice, place, source)
        timing = self.timings.get(key)
        if timing is None:
            timing = self.timings[key] = path_timing(paths[choice], place.domestic, SOURCE_NAMES[source])
        count, paces, source_name, raw_status = timing
        if status is S.DELIVERED:
            end = delivery
        else:
            end = start
            for least, spread_ in paces:
                end += least + rand() * spread_
            end = min(end, latest)
        end = max(int(end), start + count - 1)  # a second at least between events

        next_ids = self.ids
        shipment_id = next_ids[Shipment]
        event_id = next_ids[TrackingEvent]
        next_ids[Shipment] = shipment_id + 1
        next_ids[TrackingEvent] = event_id + count
        store_id = self.store_id
        rows.event_plans.append((shipment_id, store_id, event_id, key, rnd.getrandbits(31), start, end))

        shipped_at, at = fromtimestamp(start, UTC), fromtimestamp(end, UTC)
        tracking_number = pattern.format(n=(shipment_id * 2_654_435_761) % 10**digits)
        estimate = None
        if status is not S.PENDING and status is not S.UNKNOWN and rand() < estimates:
            estimate = day_date(day + estimate_error(rand))
        rows.shipments.append(
            (
                shipment_id,
                store_id,
                order_id,
                str(4_900_000_000_000 + shipment_id),
                carrier.code,
                carrier.name,
                tracking_number,
                f"{url_start}{tracking_number}{url_end}",
                status,
                raw_status,
                source_name,
                shipped_at,
                estimate,
                at if status is S.DELIVERED else None,
                at,
                shipped_at,
                at,
            )
        )
        return at, status

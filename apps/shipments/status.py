"""Which status a shipment shows, given all its carrier events, whatever order they arrived in."""

from collections.abc import Iterable
from datetime import datetime

from .models import ShipmentStatus as S

# How far along a parcel is; breaks ties between events with the same timestamp.
PROGRESS = {
    S.UNKNOWN: 0, S.PENDING: 1, S.INFO_RECEIVED: 2, S.IN_TRANSIT: 3, S.EXCEPTION: 4, S.ATTEMPT_FAILED: 5,
    S.AVAILABLE_FOR_PICKUP: 6, S.OUT_FOR_DELIVERY: 7, S.EXPIRED: 8, S.DELIVERED: 9, S.RETURNED: 10,
}  # fmt: skip


def resolve_status(events: Iterable[tuple[datetime, str]]) -> tuple[str, datetime | None, datetime | None]:
    """(status, delivered_at, last_event_at) from (occurred_at, status) pairs.

    The newest event decides, except that `delivered` stays unless a return follows it: a stray scan
    after delivery does not send the parcel back on the road. The result does not depend on the order
    the events are given in.
    """
    ordered = sorted(events, key=lambda event: (event[0], PROGRESS.get(event[1], 0)))
    if not ordered:
        return S.PENDING, None, None
    status, delivered_at = S.PENDING, None
    for occurred_at, event_status in ordered:
        if event_status == S.UNKNOWN and status != S.PENDING:
            continue  # an unmapped word never hides what we know
        if status == S.DELIVERED and event_status != S.RETURNED:
            continue
        status = event_status
        if event_status == S.DELIVERED and delivered_at is None:
            delivered_at = occurred_at
    if status != S.DELIVERED:
        delivered_at = None
    return status, delivered_at, ordered[-1][0]

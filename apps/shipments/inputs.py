"""What integrations and the API hand to shipment services."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from apps.core.bounds import bound, bounded_value, column

from .models import Shipment, TrackingEvent

# Both inputs check their values against the columns they go to (see apps.core.bounds): a translator's bug
# is an InputError naming the field, never a database error half-way through a service.


@dataclass(frozen=True)
class ShipmentIn:
    tracking_number: str
    carrier: str = ""
    carrier_name: str = ""
    tracking_url: str = ""
    external_id: str = ""
    shipped_at: datetime | None = None
    estimated_delivery: date | None = None
    historical: bool = False  # an import of the past: it starts no flow

    def __post_init__(self):
        bound(self, Shipment, exact=("tracking_number", "external_id"))


@dataclass(frozen=True)
class PickupIn:
    """Where a parcel waiting at a pickup point can be collected, and until when, as the carrier says now.

    An empty value says the carrier names none: handed to a service, it clears what an older delivery said.
    """

    location: str = ""
    deadline: date | None = None

    def __post_init__(self):
        bound(self, Shipment, renames={"location": "pickup_location", "deadline": "pickup_deadline"})


@dataclass(frozen=True)
class EventIn:
    occurred_at: datetime
    status: str  # one of ShipmentStatus, already mapped
    raw_status: str
    source: str
    message: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    external_id: str = ""
    estimated_delivery: date | None = None

    def __post_init__(self):
        bound(self, TrackingEvent)
        # Not a column of its own: it keys the event (see dedupe_key), so it must be storable text too.
        bounded_value(column(TrackingEvent, "dedupe_key"), self.external_id, name="external_id")

    @property
    def dedupe_key(self) -> str:
        """The source's event id, or a digest of when, what and where: the same scan twice is one event."""
        if self.external_id:
            key = f"{self.source}:{self.external_id}"
            # A long id is digested, not cut: two ids alike in their first characters stay two events.
            return key if len(key) <= 64 else f"{self.source[:20]}:{hashlib.sha256(key.encode()).hexdigest()[:43]}"
        parts = (self.source, self.occurred_at.isoformat(), self.raw_status, self.message, self.city, self.country)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

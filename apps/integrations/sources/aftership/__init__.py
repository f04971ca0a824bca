"""AfterShip Tracking webhooks: `tracking_update` (and its cousins) carry the whole tracking with its checkpoints.

Also home to the helpers the three carrier sources share (AfterShip, EasyPost, 17TRACK): the typed
TrackingUpdateIn their `read` validates a delivery into, finding the store's shipment by tracking number,
creating it for a named order, the status-summary event and recording events without letting an older
delivery rewrite a newer estimate.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from django.db.models import Q

from apps.orders.models import Order
from apps.shipments.inputs import EventIn, PickupIn, ShipmentIn
from apps.shipments.models import Shipment, TrackingEvent
from apps.shipments.models import ShipmentStatus as S
from apps.shipments.services import shipment_record_events, shipment_upsert
from apps.stores.models import Store

from ...adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest
from ...models import Source
from ...parsing import Obj, moment, parse_json, text
from ...signatures import matches_base64_hmac

# AfterShip's delivery status (`tag`) → our statuses. Source: aftership_delivery_statuses.json.
STATUS_MAP: dict[str, str] = {
    "Pending": S.PENDING,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit": S.IN_TRANSIT,
    "OutForDelivery": S.OUT_FOR_DELIVERY,
    "AttemptFail": S.ATTEMPT_FAILED,
    "Delivered": S.DELIVERED,
    "AvailableForPickup": S.AVAILABLE_FOR_PICKUP,
    "Exception": S.EXCEPTION,
    "Expired": S.EXPIRED,
}

# Sub-statuses (`subtag`) that say more than their tag. Every other subtag falls back to its tag.
# https://www.aftership.com/docs/tracking/enum/delivery-sub-statuses
SUBTAG_MAP: dict[str, str] = {
    "Exception_010": S.RETURNED,  # Returning to sender: on its way back
    "Exception_011": S.RETURNED,  # Returned to sender: the sender has it back
}

# AfterShip courier slugs → our carrier codes; any other slug is kept as the carrier name only.
CARRIER_CODES: dict[str, str] = {
    "ups": "ups", "usps": "usps", "fedex": "fedex", "dhl": "dhl", "royal-mail": "royal_mail",
    "poste-italiane": "poste_italiane", "brt-it": "brt", "bartolini": "brt", "russian-post": "russian_post",
    "cdek": "cdek", "kazpost": "kazpost", "korea-post": "korea_post", "cjlogistics": "cj_logistics",
}  # fmt: skip

# ISO 3166 alpha-3 → alpha-2 for the countries checkpoints most often name; others stay blank.
ISO3_TO_ISO2: dict[str, str] = {
    "USA": "US", "CAN": "CA", "MEX": "MX", "BRA": "BR", "ARG": "AR", "CHL": "CL", "COL": "CO", "PER": "PE",
    "GBR": "GB", "IRL": "IE", "FRA": "FR", "DEU": "DE", "ITA": "IT", "ESP": "ES", "PRT": "PT", "NLD": "NL",
    "BEL": "BE", "LUX": "LU", "CHE": "CH", "AUT": "AT", "DNK": "DK", "SWE": "SE", "NOR": "NO", "FIN": "FI",
    "ISL": "IS", "POL": "PL", "CZE": "CZ", "SVK": "SK", "HUN": "HU", "ROU": "RO", "BGR": "BG", "GRC": "GR",
    "HRV": "HR", "SVN": "SI", "SRB": "RS", "EST": "EE", "LVA": "LV", "LTU": "LT", "UKR": "UA", "BLR": "BY",
    "RUS": "RU", "KAZ": "KZ", "TUR": "TR", "ISR": "IL", "ARE": "AE", "SAU": "SA", "EGY": "EG", "ZAF": "ZA",
    "IND": "IN", "CHN": "CN", "HKG": "HK", "TWN": "TW", "JPN": "JP", "KOR": "KR", "SGP": "SG", "MYS": "MY",
    "THA": "TH", "VNM": "VN", "IDN": "ID", "PHL": "PH", "AUS": "AU", "NZL": "NZ",
}  # fmt: skip

EVENTS = {"tracking_update", "edd_revise", "tracking_pending_time"}


def map_status(tag: str | None, subtag: str | None = None) -> str:
    """The subtag when it says more, else the tag (or the tag a subtag starts with); `unknown` otherwise."""
    tag, subtag = (tag or "").strip(), (subtag or "").strip()
    if subtag in SUBTAG_MAP:
        return SUBTAG_MAP[subtag]
    return STATUS_MAP.get(tag) or STATUS_MAP.get(subtag.split("_", 1)[0], S.UNKNOWN)


def country_code(value, *, field: str = "country") -> str:
    code = text(value, None, field=field)[:3].upper()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else ISO3_TO_ISO2.get(code, "")


# --- shared by the carrier sources -------------------------------------------------------------

# The columns each value goes to: their lengths bound what is read (see parsing).
SHIPMENT, EVENT = Shipment._meta.get_field, TrackingEvent._meta.get_field


@dataclass(frozen=True)
class TrackingUpdateIn:
    """What a carrier delivery says about one parcel, validated: its number, carrier and events, and, when
    the source names the order, how to create the shipment the store does not know yet."""

    tracking_number: str
    carrier: str  # our carrier code, "" when we have none for it
    carrier_label: str  # the source's own name for the carrier, for the log
    events: list[EventIn]
    order_id: str = ""
    order_number: str = ""
    shipment: ShipmentIn | None = None
    pickup: PickupIn | None = None  # what the source says about the pickup point; None when it says nothing


# The tracking number of every source's "Send a test event" delivery (client.py's `test_event`): no real parcel
# has it, so the delivery is checked and read like any other and then set aside without touching a shipment.
TEST_NUMBER = "AFTERGLOWTEST1"


def apply_tracking_update(store: Store, data: TrackingUpdateIn) -> Applied:
    if data.tracking_number.upper() == TEST_NUMBER:
        return Applied(
            summary=f"Test event for {TEST_NUMBER}: the signature and the format are right. No shipment was touched.",
            object_id=TEST_NUMBER,
            ignored=True,
        )
    shipment = shipment_for(store, tracking_number=data.tracking_number, carrier=data.carrier)
    if shipment is None:
        order = None
        if data.shipment is not None:
            order = order_for(store, order_id=data.order_id, order_number=data.order_number)
        if order is None:
            raise unknown_shipment(data.tracking_number, data.carrier_label)
        shipment, _ = shipment_upsert(order=order, data=data.shipment)
    new = record_events(shipment, data.events, pickup=data.pickup)
    return Applied(summary=f"{new} new event(s) on shipment {data.tracking_number}", object_id=data.tracking_number)


def header(headers, name: str) -> str:
    """A header by name, whatever its case: replays hand over a plain dict of the headers as Django cased them."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return "" if value is None else str(value)


def shipment_for(store: Store, *, tracking_number: str, carrier: str = "") -> Shipment | None:
    """The store's shipment with this tracking number; the one of the same carrier when several share it."""
    number = tracking_number.strip()
    if not number:
        return None
    candidates = list(Shipment.objects.filter(store=store, tracking_number__iexact=number).order_by("-created_at")[:10])
    if not candidates:
        return None
    return next((s for s in candidates if carrier and s.carrier == carrier), candidates[0])


def order_for(store: Store, *, order_id: str = "", order_number: str = "") -> Order | None:
    """The order a carrier payload names: by our external id, else by a number only one order has."""
    orders = Order.objects.filter(store=store)
    if order_id:
        order = orders.filter(external_id=order_id).first()
        if order is not None:
            return order
    term = order_number.strip().lstrip("#")
    if term:
        matches = list(orders.filter(Q(number__iexact=term) | Q(number__iexact=f"#{term}"))[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def unknown_shipment(tracking_number: str, carrier: str) -> PayloadError:
    return PayloadError(
        f"Shipment {tracking_number or '(no number)'} ({carrier or 'carrier not named'}) is unknown in this store; "
        "replay this delivery once the shipment exists.",
        fields={"tracking_number": "unknown shipment"},
        public="The shipment is unknown in this store; the delivery is kept and can be replayed once it exists.",
    )


def summary_event(
    events: list[EventIn], *, status: str, raw: str, source: str, fallback_at: datetime | None, message: str = ""
) -> EventIn | None:
    """The source's overall status as an event when no scan says it (Expired, a return without its own scan).

    It sits at the newest scan's time (or `fallback_at` when there is none) and is keyed by the word and
    that time, so the same delivery twice stores it once.
    """
    if status == S.UNKNOWN or not raw:
        return None
    newest = max(events, key=lambda e: e.occurred_at, default=None)
    if newest is not None and newest.status == status:
        return None
    at = newest.occurred_at if newest is not None else fallback_at
    if at is None:
        return None
    key = f"status:{raw}:{at.isoformat()}" if newest is not None else f"status:{raw}"
    return EventIn(occurred_at=at, status=status, raw_status=raw, source=source, message=message, external_id=key)


def record_events(shipment: Shipment, events: list[EventIn], *, pickup: PickupIn | None = None) -> int:
    """Record carrier events; a delivery older than what the shipment shows keeps the newer estimate and
    pickup point."""
    if shipment.last_event_at and events and max(e.occurred_at for e in events) < shipment.last_event_at:
        events = [replace(event, estimated_delivery=None) for event in events]
        pickup = None
    return shipment_record_events(shipment=shipment, incoming=events, pickup=pickup)


# --- AfterShip ---------------------------------------------------------------------------------


def checkpoint_time(checkpoint: Obj, key: str) -> datetime:
    """AfterShip sends `YYYY-MM-DD`, `YYYY-MM-DDTHH:mm:ss` or with an offset; without one it is read as UTC."""
    value = checkpoint.raw(key)
    if isinstance(value, str) and len(value.strip()) == 10:
        value = value.strip() + "T00:00:00"
    return moment(value, field=checkpoint.path(key))


def estimated_delivery(msg: Obj):
    """The newest estimate AfterShip gives, whichever of its (versioned) fields holds it."""
    candidates = (
        (msg.obj("latest_estimated_delivery"), "datetime"),
        (msg, "expected_delivery"),
        (msg.obj("courier_estimated_delivery_date"), "estimated_delivery_date"),
        (msg.obj("aftership_estimated_delivery_date"), "estimated_delivery_date"),
    )
    for where, key in candidates:
        if where.raw(key):
            return where.day(key)
    return None


def checkpoint_event(checkpoint: Obj, *, estimate) -> EventIn:
    checkpoint.require("checkpoint_time")
    tag, subtag = checkpoint.text("tag", 50), checkpoint.text("subtag", 50)
    location = checkpoint.text("location", EVENT("city"))
    place = checkpoint.first("country_region", "country_iso3")
    return EventIn(
        occurred_at=checkpoint_time(checkpoint, "checkpoint_time"),
        status=map_status(tag, subtag),
        raw_status=subtag or tag,
        source=Source.AFTERSHIP,
        message=checkpoint.text(checkpoint.first("message", "subtag_message"), EVENT("message")),
        city=checkpoint.text("city", EVENT("city")) or (location if not checkpoint.raw("state") else ""),
        region=checkpoint.text("state", EVENT("region")),
        postal_code=checkpoint.text("zip", EVENT("postal_code")),
        country=country_code(checkpoint.raw(place), field=checkpoint.path(place)),
        estimated_delivery=estimate,
    )


def pickup_in(msg: Obj) -> PickupIn | None:
    """Where the parcel waits for its buyer: the tracking's `pickup_location`, with its `pickup_note` (opening
    hours, say) beside it. None when the delivery carries neither field: it says nothing about a pickup."""
    if "pickup_location" not in msg.data and "pickup_note" not in msg.data:
        return None
    location = msg.text("pickup_location", SHIPMENT("pickup_location"))
    note = msg.text("pickup_note", SHIPMENT("pickup_location"))
    return PickupIn(location=f"{location} ({note})" if location and note else location)


def update_in(payload: Obj) -> TrackingUpdateIn:
    msg = payload.obj("msg")
    msg.require("tracking_number")
    number = msg.ident("tracking_number", limit=SHIPMENT("tracking_number"))
    slug = msg.text("slug", 60).lower()
    carrier = CARRIER_CODES.get(slug, "")
    estimate = estimated_delivery(msg)
    events = [checkpoint_event(checkpoint, estimate=estimate) for checkpoint in msg.objs("checkpoints")]
    tag, subtag = msg.text("tag", 50), msg.text("subtag", 50)
    sent_at = payload.timestamp("ts")
    updated = msg.moment("updated_at") or sent_at
    summary = summary_event(
        events, status=map_status(tag, subtag), raw=subtag or tag, source=Source.AFTERSHIP, fallback_at=updated,
        message=msg.text("subtag_message", EVENT("message")),
    )  # fmt: skip
    if summary is not None:
        events.append(replace(summary, estimated_delivery=estimate))
    return TrackingUpdateIn(
        tracking_number=number,
        carrier=carrier,
        carrier_label=slug,
        events=events,
        order_id=msg.ident("order_id"),
        order_number=msg.text("order_number", Order._meta.get_field("number")),
        shipment=ShipmentIn(
            tracking_number=number,
            carrier=carrier,
            carrier_name="" if carrier else slug,
            tracking_url=msg.url("courier_tracking_link", SHIPMENT("tracking_url")),
            shipped_at=msg.moment("shipment_pickup_date"),
            estimated_delivery=estimate,
        ),
        pickup=pickup_in(msg),
    )


class TrackingWebhookAdapter(JsonWebhookAdapter):
    """What the tracking services' pushes share: a topic field, an optional delivery id (else the body's
    digest), a translation of the topics we use into a TrackingUpdateIn, and one way to apply it."""

    topic_field: ClassVar[str]
    id_field: ClassVar[str]
    topics: ClassVar[frozenset[str] | set[str]]

    @staticmethod
    def update_in(payload: Obj) -> TrackingUpdateIn:
        raise NotImplementedError

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = Obj(parse_json(body))
        payload.require(self.topic_field)
        topic = payload.text(self.topic_field, 80)
        return Delivery(
            topic=topic,
            delivery_id=payload.text(self.id_field, 128) or body_digest(body),
            payload=payload.data,
            data=self.update_in(payload) if topic in self.topics else None,
        )

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        if delivery.data is None:
            return Applied(summary=f"Event {delivery.topic} is not used", ignored=True)
        return apply_tracking_update(store, delivery.data)


class AfterShipAdapter(TrackingWebhookAdapter):
    source = Source.AFTERSHIP
    signature_header = "aftership-hmac-sha256"
    topic_field, id_field, topics = "event", "event_id", EVENTS
    update_in = staticmethod(update_in)

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_base64_hmac(secrets=secrets, body=body, signature=header(headers, self.signature_header))


ADAPTER = AfterShipAdapter()


# --- Calling AfterShip (client.py): the helpers above are what client.py builds on --------------

from django.utils.translation import gettext_lazy  # noqa: E402

from ...remotes import CredentialField, Remote  # noqa: E402
from . import client  # noqa: E402

REMOTE = Remote(
    source=Source.AFTERSHIP,
    kind="tracking",
    fields=(
        CredentialField(
            name="api_key",
            label=gettext_lazy("API key"),
            target="api_token",
            help_text=gettext_lazy(
                "AfterShip admin > Settings > API keys. Afterglow registers each shipment's tracking number."
            ),
        ),
        CredentialField(
            name="webhook_secret",
            label=gettext_lazy("Webhook secret"),
            target="secret",
            help_text=gettext_lazy(
                "AfterShip admin > Settings > Notifications > Webhooks: add this store's webhook URL there and copy "
                "the webhook secret shown beside it. AfterShip signs every webhook with it."
            ),
        ),
    ),
    setup=client.setup,
    tracking_register=client.tracking_register,
    register_batch_size=1,  # AfterShip creates one tracking per call
    test_event=client.test_event,
    docs_url="https://www.aftership.com/docs/tracking/webhook/webhook-signature",
)

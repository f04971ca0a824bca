"""AfterShip Tracking webhooks: `tracking_update` (and its cousins) carry the whole tracking with its checkpoints.

Also home to the helpers the three carrier sources share (AfterShip, EasyPost, 17TRACK): finding the
store's shipment by tracking number, creating it for a named order, the status-summary event and
recording events without letting an older delivery rewrite a newer estimate.
"""

from dataclasses import replace
from datetime import UTC, datetime

from django.db.models import Q

from apps.orders.models import Order
from apps.shipments.inputs import EventIn, ShipmentIn
from apps.shipments.models import Shipment
from apps.shipments.models import ShipmentStatus as S
from apps.shipments.services import shipment_record_events, shipment_upsert
from apps.stores.models import Store

from ..adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest, parse_json_object, require
from ..models import Source
from ..parsing import day, ident, moment, text
from ..signatures import matches_base64_hmac

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


def country_code(value) -> str:
    code = text(value, 3).upper()
    return code if len(code) == 2 else ISO3_TO_ISO2.get(code, "")


# --- shared by the carrier sources -------------------------------------------------------------


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


def record_events(shipment: Shipment, events: list[EventIn]) -> int:
    """Record carrier events; a delivery older than what the shipment shows keeps the newer estimate."""
    if shipment.last_event_at and events and max(e.occurred_at for e in events) < shipment.last_event_at:
        events = [replace(event, estimated_delivery=None) for event in events]
    return shipment_record_events(shipment=shipment, incoming=events)


# --- AfterShip ---------------------------------------------------------------------------------


def checkpoint_time(value, *, field: str) -> datetime:
    """AfterShip sends `YYYY-MM-DD`, `YYYY-MM-DDTHH:mm:ss` or with an offset; without one it is read as UTC."""
    if isinstance(value, str) and len(value.strip()) == 10:
        value = value.strip() + "T00:00:00"
    return moment(value, field=field)


def estimated_delivery(msg: dict):
    """The newest estimate AfterShip gives, whichever of its (versioned) fields holds it."""

    def inner(name: str, key: str):
        value = msg.get(name)
        return value.get(key) if isinstance(value, dict) else None

    candidates = (
        ("latest_estimated_delivery.datetime", inner("latest_estimated_delivery", "datetime")),
        ("expected_delivery", msg.get("expected_delivery")),
        ("courier_estimated_delivery_date", inner("courier_estimated_delivery_date", "estimated_delivery_date")),
        ("aftership_estimated_delivery_date", inner("aftership_estimated_delivery_date", "estimated_delivery_date")),
    )
    for field, value in candidates:
        if value:
            return day(value, field=field)
    return None


def checkpoint_event(checkpoint: dict, *, where: str, estimate) -> EventIn:
    require(checkpoint, "checkpoint_time", where=where)
    tag, subtag = text(checkpoint.get("tag"), 50), text(checkpoint.get("subtag"), 50)
    location = text(checkpoint.get("location"), 120)
    return EventIn(
        occurred_at=checkpoint_time(checkpoint["checkpoint_time"], field=f"{where}.checkpoint_time"),
        status=map_status(tag, subtag),
        raw_status=subtag or tag,
        source=Source.AFTERSHIP,
        message=text(checkpoint.get("message") or checkpoint.get("subtag_message"), 500),
        city=text(checkpoint.get("city"), 120) or (location if not checkpoint.get("state") else ""),
        region=text(checkpoint.get("state"), 120),
        postal_code=text(checkpoint.get("zip"), 20),
        country=country_code(checkpoint.get("country_region") or checkpoint.get("country_iso3")),
        estimated_delivery=estimate,
    )


class AfterShipAdapter(JsonWebhookAdapter):
    source = Source.AFTERSHIP

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_base64_hmac(secrets=secrets, body=body, signature=header(headers, "aftership-hmac-sha256"))

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = parse_json_object(body)
        require(payload, "event")
        return Delivery(
            topic=text(payload["event"], 80),
            delivery_id=text(payload.get("event_id"), 128) or body_digest(body),
            payload=payload,
        )

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        if delivery.topic not in EVENTS:
            return Applied(summary=f"Event {delivery.topic} is not used", ignored=True)
        msg = delivery.payload.get("msg")
        require(msg, "tracking_number", where="msg")
        number = text(msg["tracking_number"], 100)
        slug = text(msg.get("slug"), 60).lower()
        carrier = CARRIER_CODES.get(slug, "")
        estimate = estimated_delivery(msg)
        checkpoints = msg.get("checkpoints") or []
        if not isinstance(checkpoints, list):
            raise PayloadError("msg.checkpoints is not a list.", fields={"msg.checkpoints": "not a list"})
        events = [
            checkpoint_event(checkpoint, where=f"msg.checkpoints[{index}]", estimate=estimate)
            for index, checkpoint in enumerate(checkpoints)
        ]
        tag, subtag = text(msg.get("tag"), 50), text(msg.get("subtag"), 50)
        updated = moment(msg.get("updated_at"), field="msg.updated_at", required=False)
        if updated is None and isinstance(delivery.payload.get("ts"), int):
            updated = datetime.fromtimestamp(delivery.payload["ts"], tz=UTC)
        summary = summary_event(
            events, status=map_status(tag, subtag), raw=subtag or tag, source=Source.AFTERSHIP, fallback_at=updated,
            message=text(msg.get("subtag_message"), 500),
        )  # fmt: skip
        if summary is not None:
            events.append(replace(summary, estimated_delivery=estimate))

        shipment = shipment_for(store, tracking_number=number, carrier=carrier)
        if shipment is None:
            order = order_for(
                store, order_id=ident(msg.get("order_id")), order_number=text(msg.get("order_number"), 40)
            )
            if order is None:
                raise unknown_shipment(number, slug)
            picked_up = moment(msg.get("shipment_pickup_date"), field="msg.shipment_pickup_date", required=False)
            shipment, _ = shipment_upsert(
                order=order,
                data=ShipmentIn(
                    tracking_number=number,
                    carrier=carrier,
                    carrier_name="" if carrier else slug,
                    tracking_url=text(msg.get("courier_tracking_link"), 500),
                    shipped_at=picked_up,
                    estimated_delivery=estimate,
                ),
            )
        new = record_events(shipment, events)
        return Applied(summary=f"{new} new event(s) on shipment {number}", object_id=number)


ADAPTER = AfterShipAdapter()

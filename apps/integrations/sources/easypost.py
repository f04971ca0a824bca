"""EasyPost webhooks: `tracker.created` / `tracker.updated` Events whose `result` is the whole Tracker."""

import re

from apps.shipments.inputs import EventIn
from apps.shipments.models import ShipmentStatus as S
from apps.stores.models import Store

from ..adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest, parse_json_object, require
from ..models import Source
from ..parsing import day, moment, text
from ..signatures import matches_easypost
from .aftership import header, record_events, shipment_for, summary_event, unknown_shipment

# Tracker `status` → our statuses. https://docs.easypost.com/docs/trackers
STATUS_MAP: dict[str, str] = {
    "unknown": S.UNKNOWN,
    "pre_transit": S.INFO_RECEIVED,
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "available_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "return_to_sender": S.RETURNED,
    "failure": S.EXCEPTION,
    "cancelled": S.EXCEPTION,
    "error": S.UNKNOWN,  # the tracker could not track: says nothing about the parcel
}

# `status_detail` words that sharpen the status; any other detail leaves the status as it is.
DETAIL_MAP: dict[str, str] = {
    "arrived_at_pickup_location": S.AVAILABLE_FOR_PICKUP,
    "return": S.RETURNED,
    "delivery_exception": S.ATTEMPT_FAILED,
    "refused": S.EXCEPTION,
    "damaged": S.EXCEPTION,
    "lost": S.EXCEPTION,
    "held": S.EXCEPTION,
    "delayed": S.EXCEPTION,
    "weather_delay": S.EXCEPTION,
    "transit_exception": S.EXCEPTION,
    "missorted": S.EXCEPTION,
    "expired": S.EXPIRED,
}

# Statuses a detail never overrides: the parcel's fate is settled.
FINAL = {"delivered", "return_to_sender"}

# EasyPost carrier names (letters and digits only, lower-cased) → our carrier codes.
CARRIER_CODES: dict[str, str] = {
    "usps": "usps", "ups": "ups", "upsmailinnovations": "ups", "upssurepost": "ups", "fedex": "fedex",
    "fedexsmartpost": "fedex", "fedexdefault": "fedex", "dhlexpress": "dhl", "royalmail": "royal_mail",
    "posteitaliane": "poste_italiane", "brt": "brt", "cdek": "cdek",
}  # fmt: skip

TOPICS = {"tracker.created", "tracker.updated"}


def map_status(status: str | None, detail: str | None = None) -> str:
    status, detail = (status or "").strip().lower(), (detail or "").strip().lower()
    if status not in FINAL and detail in DETAIL_MAP:
        return DETAIL_MAP[detail]
    return STATUS_MAP.get(status, S.UNKNOWN)


def carrier_code(name: str | None) -> str:
    return CARRIER_CODES.get(re.sub(r"[^a-z0-9]", "", (name or "").lower()), "")


def raw_word(status, detail) -> str:
    status, detail = text(status, 50), text(detail, 49)
    return f"{status}:{detail}" if status and detail else status or detail


def detail_event(detail: dict, *, where: str, estimate) -> EventIn:
    require(detail, "datetime", where=where)
    place = detail.get("tracking_location") or {}
    return EventIn(
        occurred_at=moment(detail["datetime"], field=f"{where}.datetime"),
        status=map_status(detail.get("status"), detail.get("status_detail")),
        raw_status=raw_word(detail.get("status"), detail.get("status_detail")),
        source=Source.EASYPOST,
        message=text(detail.get("message") or detail.get("description"), 500),
        city=text(place.get("city"), 120),
        region=text(place.get("state"), 120),
        postal_code=text(place.get("zip"), 20),
        country=text(place.get("country"), 2).upper(),
        estimated_delivery=estimate,
    )


class EasyPostAdapter(JsonWebhookAdapter):
    source = Source.EASYPOST

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_easypost(secrets=secrets, body=body, signature=header(headers, "X-Hmac-Signature"))

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = parse_json_object(body)
        require(payload, "description")
        return Delivery(
            topic=text(payload["description"], 80),
            delivery_id=text(payload.get("id"), 128) or body_digest(body),
            payload=payload,
        )

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        if delivery.topic not in TOPICS:
            return Applied(summary=f"Event {delivery.topic} is not used", ignored=True)
        tracker = delivery.payload.get("result")
        require(tracker, "tracking_code", "status", where="result")
        number = text(tracker["tracking_code"], 100)
        estimate = day(
            (tracker.get("carrier_detail") or {}).get("est_delivery_date_local") or tracker.get("est_delivery_date"),
            field="result.est_delivery_date",
        )
        details = tracker.get("tracking_details") or []
        if not isinstance(details, list):
            raise PayloadError(
                "result.tracking_details is not a list.", fields={"result.tracking_details": "not a list"}
            )
        events = [
            detail_event(detail, where=f"result.tracking_details[{index}]", estimate=estimate)
            for index, detail in enumerate(details)
        ]
        summary = summary_event(
            events,
            status=map_status(tracker["status"], tracker.get("status_detail")),
            raw=raw_word(tracker["status"], tracker.get("status_detail")),
            source=Source.EASYPOST,
            fallback_at=moment(tracker.get("updated_at"), field="result.updated_at", required=False),
        )
        if summary is not None:
            events.append(summary)
        carrier = carrier_code(tracker.get("carrier"))
        shipment = shipment_for(store, tracking_number=number, carrier=carrier)
        if shipment is None:
            raise unknown_shipment(number, text(tracker.get("carrier"), 60))
        new = record_events(shipment, events)
        return Applied(summary=f"{new} new event(s) on shipment {number}", object_id=number)


ADAPTER = EasyPostAdapter()

"""17TRACK webhooks (API v2.x): `TRACKING_UPDATED` carries the number, its carrier and the whole `track_info`."""

from apps.shipments.carriers import detect_carrier
from apps.shipments.inputs import EventIn
from apps.shipments.models import ShipmentStatus as S
from apps.stores.models import Store

from ..adapters import Applied, Delivery, JsonWebhookAdapter, PayloadError, body_digest, parse_json_object, require
from ..models import Source
from ..parsing import day, moment, text
from ..signatures import matches_17track
from .aftership import header, record_events, shipment_for, summary_event, unknown_shipment

# 17TRACK main statuses (`latest_status.status`) → our statuses.
STATUS_MAP: dict[str, str] = {
    "NotFound": S.PENDING,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit": S.IN_TRANSIT,
    "Expired": S.EXPIRED,
    "AvailableForPickup": S.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": S.OUT_FOR_DELIVERY,
    "DeliveryFailure": S.ATTEMPT_FAILED,
    "Delivered": S.DELIVERED,
    "Exception": S.EXCEPTION,
}

# Sub-statuses (`<Main>_<Reason>`). Most say what their main status says; the returns say more.
SUB_STATUS_MAP: dict[str, str] = {
    "NotFound_Other": S.PENDING,
    "NotFound_InvalidCode": S.PENDING,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit_PickedUp": S.IN_TRANSIT,
    "InTransit_Other": S.IN_TRANSIT,
    "InTransit_Departure": S.IN_TRANSIT,
    "InTransit_Arrival": S.IN_TRANSIT,
    "InTransit_CustomsProcessing": S.IN_TRANSIT,
    "InTransit_CustomsReleased": S.IN_TRANSIT,
    "InTransit_CustomsRequiringInformation": S.EXCEPTION,  # held until someone answers customs
    "Expired_Other": S.EXPIRED,
    "AvailableForPickup_Other": S.AVAILABLE_FOR_PICKUP,
    "OutForDelivery_Other": S.OUT_FOR_DELIVERY,
    "DeliveryFailure_Other": S.ATTEMPT_FAILED,
    "DeliveryFailure_NoBody": S.ATTEMPT_FAILED,
    "DeliveryFailure_Security": S.ATTEMPT_FAILED,
    "DeliveryFailure_Rejected": S.ATTEMPT_FAILED,
    "DeliveryFailure_InvalidAddress": S.ATTEMPT_FAILED,
    "Delivered_Other": S.DELIVERED,
    "Exception_Other": S.EXCEPTION,
    "Exception_Returning": S.RETURNED,
    "Exception_Returned": S.RETURNED,
    "Exception_NoBody": S.EXCEPTION,
    "Exception_Security": S.EXCEPTION,
    "Exception_Damage": S.EXCEPTION,
    "Exception_Rejected": S.EXCEPTION,
    "Exception_Delayed": S.EXCEPTION,
    "Exception_Lost": S.EXCEPTION,
    "Exception_Destroyed": S.EXCEPTION,
    "Exception_Cancel": S.EXCEPTION,
}

# Key stages (`milestone[].key_stage`, and an event's `stage`).
STAGE_MAP: dict[str, str] = {
    "InfoReceived": S.INFO_RECEIVED,
    "PickedUp": S.IN_TRANSIT,
    "Departure": S.IN_TRANSIT,
    "Arrival": S.IN_TRANSIT,
    "AvailableForPickup": S.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": S.OUT_FOR_DELIVERY,
    "Delivered": S.DELIVERED,
    "Returning": S.RETURNED,
    "Returned": S.RETURNED,
}

# 17TRACK numeric carrier keys → our carrier codes (17TRACK's carrier list). 3011 is China Post, which
# we do not carry as a code: such numbers fall back to `detect_carrier`.
CARRIER_CODES: dict[int, str] = {
    100001: "dhl", 100002: "ups", 100003: "fedex", 21051: "usps", 11031: "royal_mail", 9071: "poste_italiane",
    18031: "russian_post", 11011: "kazpost", 11051: "korea_post",
}  # fmt: skip

TOPICS = {"TRACKING_UPDATED"}


def map_status(status: str | None, sub_status: str | None = None) -> str:
    status, sub_status = (status or "").strip(), (sub_status or "").strip()
    if sub_status in SUB_STATUS_MAP:
        return SUB_STATUS_MAP[sub_status]
    return STATUS_MAP.get(status) or STATUS_MAP.get(sub_status.split("_", 1)[0], S.UNKNOWN)


def event_status(event: dict) -> tuple[str, str]:
    """(status, raw) from the event's own words: sub_status, else stage. A plain carrier scan between
    the label and the delivery carries neither: 17TRACK counts it as in transit, and so do we."""
    sub_status, stage = text(event.get("sub_status"), 60), text(event.get("stage"), 60)
    if sub_status:
        return map_status("", sub_status), sub_status
    if stage:
        return STAGE_MAP.get(stage, S.UNKNOWN), stage
    return S.IN_TRANSIT, ""


def carrier_for(data: dict, providers: list) -> str:
    """Our code for the provider that tracked it, else the carrier key, else what the number looks like."""
    keys = [((p or {}).get("provider") or {}).get("key") for p in providers] + [data.get("carrier")]
    for key in keys:
        if isinstance(key, int) and key in CARRIER_CODES:
            return CARRIER_CODES[key]
    return detect_carrier(text(data.get("number"), 100)) or ""


def provider_event(event: dict, *, where: str, estimate) -> EventIn:
    when = event.get("time_utc") or event.get("time_iso")
    if not when:
        raise PayloadError(f"{where}.time_utc is required.", fields={f"{where}.time_utc": "required"})
    address = event.get("address") or {}
    status, raw = event_status(event)
    location = text(event.get("location"), 120)
    return EventIn(
        occurred_at=moment(when, field=f"{where}.time_utc"),
        status=status,
        raw_status=raw,
        source=Source.SEVENTEENTRACK,
        message=text(event.get("description"), 500),
        city=text(address.get("city"), 120) or ("" if address.get("country") else location),
        region=text(address.get("state"), 120),
        postal_code=text(address.get("postal_code"), 20),
        country=text(address.get("country"), 2).upper(),
        estimated_delivery=estimate,
    )


class SeventeenTrackAdapter(JsonWebhookAdapter):
    source = Source.SEVENTEENTRACK

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_17track(secrets=secrets, body=body, signature=header(headers, "sign"))

    def read(self, *, headers, body: bytes) -> Delivery:
        payload = parse_json_object(body)
        require(payload, "event")
        # 17TRACK's pushes carry no delivery id: the same body twice is the same delivery.
        return Delivery(
            topic=text(payload["event"], 80),
            delivery_id=text(payload.get("id"), 128) or body_digest(body),
            payload=payload,
        )

    def apply(self, *, store: Store, delivery: Delivery) -> Applied:
        if delivery.topic not in TOPICS:
            return Applied(summary=f"Event {delivery.topic} is not used", ignored=True)
        data = delivery.payload.get("data")
        require(data, "number", where="data")
        number = text(data["number"], 100)
        info = data.get("track_info") or {}
        providers = (info.get("tracking") or {}).get("providers") or []
        estimate_range = (info.get("time_metrics") or {}).get("estimated_delivery_date") or {}
        estimate = day(estimate_range.get("to") or estimate_range.get("from"), field="estimated_delivery_date")
        events = [
            provider_event(event, where=f"data.track_info.tracking.providers[{p}].events[{e}]", estimate=estimate)
            for p, provider in enumerate(providers)
            for e, event in enumerate((provider or {}).get("events") or [])
        ]
        latest = info.get("latest_status") or {}
        status, sub_status = text(latest.get("status"), 60), text(latest.get("sub_status"), 60)
        summary = summary_event(
            events, status=map_status(status, sub_status), raw=sub_status or status, source=Source.SEVENTEENTRACK,
            fallback_at=None, message=text(latest.get("sub_status_descr"), 500),
        )  # fmt: skip
        if summary is not None:
            events.append(summary)
        carrier = carrier_for(data, providers)
        shipment = shipment_for(store, tracking_number=number, carrier=carrier)
        if shipment is None:
            raise unknown_shipment(number, carrier)
        new = record_events(shipment, events)
        return Applied(summary=f"{new} new event(s) on shipment {number}", object_id=number)


ADAPTER = SeventeenTrackAdapter()

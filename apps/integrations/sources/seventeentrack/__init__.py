"""17TRACK webhooks (API v2.x): `TRACKING_UPDATED` carries the number, its carrier and the whole `track_info`.

`read` validates it into a TrackingUpdateIn before anything is stored; `apply` finds the shipment and
records the events.
"""

from apps.shipments.carriers import detect_carrier
from apps.shipments.inputs import EventIn
from apps.shipments.models import ShipmentStatus as S

from ...models import Source
from ...parsing import Obj
from ...signatures import matches_17track
from ..aftership import EVENT, SHIPMENT, TrackingUpdateIn, TrackingWebhookAdapter, header, summary_event

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


def event_status(event: Obj | dict) -> tuple[str, str]:
    """(status, raw) from the event's own words: sub_status, else stage. A plain carrier scan between
    the label and the delivery carries neither: 17TRACK counts it as in transit, and so do we."""
    event = event if isinstance(event, Obj) else Obj(event)
    sub_status, stage = event.text("sub_status", 60), event.text("stage", 60)
    if sub_status:
        return map_status("", sub_status), sub_status
    if stage:
        return STAGE_MAP.get(stage, S.UNKNOWN), stage
    return S.IN_TRANSIT, ""


def carrier_for(data: Obj | dict, providers: list) -> str:
    """Our code for the provider that tracked it, else the carrier key, else what the number looks like."""
    data = data if isinstance(data, Obj) else Obj(data)
    providers = [p if isinstance(p, Obj) else Obj(p) for p in providers]
    keys = [provider.obj("provider").raw("key") for provider in providers] + [data.raw("carrier")]
    for key in keys:
        if isinstance(key, int) and not isinstance(key, bool) and key in CARRIER_CODES:
            return CARRIER_CODES[key]
    return detect_carrier(data.ident("number", limit=SHIPMENT("tracking_number"))) or ""


def provider_event(event: Obj, *, estimate) -> EventIn:
    if not (event.has("time_utc") or event.has("time_iso")):
        event.require("time_utc")
    address = event.obj("address")
    status, raw = event_status(event)
    location = event.text("location", EVENT("city"))
    return EventIn(
        occurred_at=event.moment(event.first("time_utc", "time_iso"), required=True),
        status=status,
        raw_status=raw,
        source=Source.SEVENTEENTRACK,
        message=event.text("description", EVENT("message")),
        city=address.text("city", EVENT("city")) or ("" if address.raw("country") else location),
        region=address.text("state", EVENT("region")),
        postal_code=address.text("postal_code", EVENT("postal_code")),
        country=address.code("country", 2),
        estimated_delivery=estimate,
    )


def update_in(payload: Obj) -> TrackingUpdateIn:
    data = payload.obj("data")
    data.require("number")
    number = data.ident("number", limit=SHIPMENT("tracking_number"))
    info = data.obj("track_info")
    providers = info.obj("tracking").objs("providers")
    estimate_range = info.obj("time_metrics").obj("estimated_delivery_date")
    estimate = estimate_range.day(estimate_range.first("to", "from"))
    events = [provider_event(event, estimate=estimate) for provider in providers for event in provider.objs("events")]
    latest = info.obj("latest_status")
    status, sub_status = latest.text("status", 60), latest.text("sub_status", 60)
    summary = summary_event(
        events, status=map_status(status, sub_status), raw=sub_status or status, source=Source.SEVENTEENTRACK,
        fallback_at=None, message=latest.text("sub_status_descr", EVENT("message")),
    )  # fmt: skip
    if summary is not None:
        events.append(summary)
    carrier = carrier_for(data, providers)
    return TrackingUpdateIn(tracking_number=number, carrier=carrier, carrier_label=carrier, events=events)


class SeventeenTrackAdapter(TrackingWebhookAdapter):
    """17TRACK's pushes carry no delivery id: the same body twice is the same delivery. They are signed with
    the API key, which setup makes the connection's secret (until then there is none: every push is a 401)."""

    source = Source.SEVENTEENTRACK
    signature_header = "sign"
    topic_field, id_field, topics = "event", "id", TOPICS
    update_in = staticmethod(update_in)

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_17track(secrets=secrets, body=body, signature=header(headers, self.signature_header))


ADAPTER = SeventeenTrackAdapter()


# --- Calling 17TRACK (client.py) ----------------------------------------------------------------

from django.utils.translation import gettext_lazy  # noqa: E402

from ...remotes import CredentialField, Remote  # noqa: E402
from . import client  # noqa: E402

REMOTE = Remote(
    source=Source.SEVENTEENTRACK,
    kind="tracking",
    # 17TRACK signs its pushes with the API key itself: the key is all we ask, and setup makes it the
    # connection's webhook secret.
    fields=(
        CredentialField(
            name="api_key",
            label=gettext_lazy("API key (security key)"),
            target="api_token",
            help_text=gettext_lazy(
                "17TRACK API dashboard > Settings: the security key. 17TRACK also signs its pushes with it. "
                "Set this store's webhook URL on the same page."
            ),
        ),
    ),
    setup=client.setup,
    tracking_register=client.tracking_register,
    register_batch_size=client.BATCH_SIZE,
    test_event=client.test_event,
    docs_url="https://api.17track.net/en/doc?version=v2.2",
)

"""EasyPost webhooks: `tracker.created` / `tracker.updated` Events whose `result` is the whole Tracker.

`read` validates the Tracker into a TrackingUpdateIn before anything is stored; `apply` finds the
shipment and records the events.
"""

import re

from apps.shipments.inputs import EventIn
from apps.shipments.models import ShipmentStatus as S

from ...models import Source
from ...parsing import Obj, text
from ...signatures import matches_easypost
from ..aftership import EVENT, SHIPMENT, TrackingUpdateIn, TrackingWebhookAdapter, header, summary_event

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


def detail_event(detail: Obj, *, estimate) -> EventIn:
    detail.require("datetime")
    place = detail.obj("tracking_location")
    status, status_detail = detail.text("status", 50), detail.text("status_detail", 49)
    return EventIn(
        occurred_at=detail.moment("datetime", required=True),
        status=map_status(status, status_detail),
        raw_status=raw_word(status, status_detail),
        source=Source.EASYPOST,
        message=detail.text(detail.first("message", "description"), EVENT("message")),
        city=place.text("city", EVENT("city")),
        region=place.text("state", EVENT("region")),
        postal_code=place.text("zip", EVENT("postal_code")),
        country=place.code("country", 2),
        estimated_delivery=estimate,
    )


def update_in(payload: Obj) -> TrackingUpdateIn:
    tracker = payload.obj("result")
    tracker.require("tracking_code", "status")
    number = tracker.ident("tracking_code", limit=SHIPMENT("tracking_number"))
    local = tracker.obj("carrier_detail")
    estimate = local.day("est_delivery_date_local") if local.raw("est_delivery_date_local") else None
    estimate = estimate or tracker.day("est_delivery_date")
    events = [detail_event(detail, estimate=estimate) for detail in tracker.objs("tracking_details")]
    status, status_detail = tracker.text("status", 50), tracker.text("status_detail", 49)
    summary = summary_event(
        events,
        status=map_status(status, status_detail),
        raw=raw_word(status, status_detail),
        source=Source.EASYPOST,
        fallback_at=tracker.moment("updated_at"),
    )
    if summary is not None:
        events.append(summary)
    name = tracker.text("carrier", 60)
    return TrackingUpdateIn(tracking_number=number, carrier=carrier_code(name), carrier_label=name, events=events)


class EasyPostAdapter(TrackingWebhookAdapter):
    source = Source.EASYPOST
    signature_header = "X-Hmac-Signature"
    topic_field, id_field, topics = "description", "id", TOPICS
    update_in = staticmethod(update_in)

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool:
        return matches_easypost(secrets=secrets, body=body, signature=header(headers, self.signature_header))


ADAPTER = EasyPostAdapter()


# --- Calling EasyPost (client.py) ---------------------------------------------------------------

from django.utils.translation import gettext_lazy  # noqa: E402

from ...remotes import CredentialField, Remote  # noqa: E402
from . import client  # noqa: E402

REMOTE = Remote(
    source=Source.EASYPOST,
    kind="tracking",
    fields=(
        CredentialField(
            name="api_key",
            label=gettext_lazy("API key"),
            target="api_token",
            help_text=gettext_lazy(
                "EasyPost dashboard > Account settings > API keys (a production key; a test key only tracks "
                "EasyPost's test codes). Afterglow creates a tracker for each shipment."
            ),
        ),
        CredentialField(
            name="webhook_secret",
            label=gettext_lazy("Webhook secret"),
            target="secret",
            help_text=gettext_lazy(
                "EasyPost dashboard > Account settings > Webhooks: add this store's webhook URL with a webhook secret "
                "and enter the same secret here. EasyPost signs every webhook with it."
            ),
        ),
    ),
    setup=client.setup,
    tracking_register=client.tracking_register,
    register_batch_size=1,  # EasyPost creates one tracker per call
    test_event=client.test_event,
    docs_url="https://docs.easypost.com/guides/webhooks-guide",
)

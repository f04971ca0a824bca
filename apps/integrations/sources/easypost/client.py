"""Calling EasyPost's API (v2): check the key, create a tracker per shipment, build a test event.

The key goes as HTTP Basic user with an empty password, as EasyPost's docs show (`curl -u KEY:`). A test
key (EZTK…) makes test-mode trackers, which only follow EasyPost's test codes (EZ1000000001…).

`POST /trackers` returns the existing tracker when the same code was created before, so registering twice is
harmless; the tracker's id (`trk_…`) is what we keep. Errors come as
`{"error": {"code", "message", "errors": [...]}}`, where `errors` holds `{field, message}` objects or plain
strings.

Webhooks are configured in EasyPost's dashboard (Account settings > Webhooks: the URL
`/webhooks/easypost/<store>/` and a webhook secret, which the merchant copies into the connection; without a
secret EasyPost does not sign and we refuse the deliveries). `setup` only checks the key.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from ...calls import ApiClient, CallError, Unauthorized
from ...remotes import Registration, SetupResult
from ...signatures import hmac_sha256
from ..aftership import TEST_NUMBER
from ..aftership.client import ERROR_LENGTH, refusal

if TYPE_CHECKING:
    from apps.shipments.models import Shipment

    from ...models import Connection

# Our carrier codes → EasyPost carrier names. Others are left out, and EasyPost detects the carrier.
CARRIER_NAMES: dict[str, str] = {
    "usps": "USPS",
    "ups": "UPS",
    "fedex": "FedEx",
    "dhl": "DHLExpress",
    "royal_mail": "RoyalMail",
}


def api_client(connection: Connection) -> ApiClient:
    key = connection.api_token or ""
    if not key:
        raise Unauthorized("The EasyPost API key is not set on this connection.")
    return ApiClient(connection, base_url=settings.EASYPOST_API_URL, auth=(key, ""))


def setup(connection: Connection) -> SetupResult:
    """Check the key with `GET /trackers?page_size=1` (authenticated, cheap).

    EasyPost's webhooks are configured in its dashboard (Account settings > Webhooks), with the secret the
    merchant copies into the connection; nothing is registered here. A refused key raises calls.Unauthorized."""
    with api_client(connection) as api:
        api.request("GET", "/trackers", operation="easypost.trackers.list", params={"page_size": 1})
    return SetupResult()


def tracking_register(connection: Connection, shipments: Sequence[Shipment]) -> dict[int, Registration]:
    """One `POST /trackers` per shipment. A 4xx is that shipment's error; RateLimited, Unauthorized,
    CircuitOpen and 5xx raise for the whole batch."""
    results: dict[int, Registration] = {}
    with api_client(connection) as api:
        for shipment in shipments:
            results[shipment.pk] = register_one(api, shipment)
    return results


def tracker_body(shipment: Shipment) -> dict[str, Any]:
    tracker: dict[str, Any] = {"tracking_code": shipment.tracking_number.strip()}
    name = CARRIER_NAMES.get(shipment.carrier)
    if name:
        tracker["carrier"] = name
    return {"tracker": tracker}


def register_one(api: ApiClient, shipment: Shipment) -> Registration:
    number = shipment.tracking_number.strip()
    if not number:
        return Registration(ok=False, error="The shipment has no tracking number.")
    try:
        reply = api.request(
            "POST", "/trackers", operation="easypost.trackers.create", json_body=tracker_body(shipment), ok=(200, 201)
        )
    except CallError as exc:
        refused = refusal(exc)
        if refused is None:
            raise
        return Registration(
            ok=False,
            error=f"EasyPost refused {number}: {error_text(exc.body, exc.status)}"[:ERROR_LENGTH],
            retry=refused == "later",
        )
    tracker = reply.json()
    tracker_id = tracker.get("id") if isinstance(tracker, dict) else None
    return Registration(ok=True, external_id=str(tracker_id or "")[:100])


def error_text(body: Any, status: int | None) -> str:
    """ "message (CODE): field detail; detail" from either of EasyPost's error formats."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"HTTP {status}"
    text = str(error.get("message") or f"HTTP {status}")
    if error.get("code"):
        text += f" ({error['code']})"
    details = []
    for item in error.get("errors") or []:
        if isinstance(item, dict):
            details.append(" ".join(str(item[key]) for key in ("field", "message") if item.get(key)))
        elif item:
            details.append(str(item))
    if details:
        text += ": " + "; ".join(details)
    return text


def test_event(connection: Connection) -> tuple[dict[str, str], bytes]:
    """A `tracker.updated` Event shaped like EasyPost's (tests/fixtures/easypost/easypost_event_tracker_updated.json),
    signed as EasyPost signs: `hmac-sha256-hex=` HMAC-SHA256 of the body with the NFKD-normalised secret.

    It is about TEST_NUMBER: our endpoint checks the signature, reads the Event and sets it aside (200,
    "ignored") without touching any shipment."""
    now = timezone.now().replace(microsecond=0)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    place = {"object": "TrackingLocation", "city": "HOUSTON", "state": "TX", "country": "US", "zip": "77063"}
    tracker = {
        "id": f"trk_afterglowtest{uuid.uuid4().hex[:16]}",
        "object": "Tracker",
        "mode": "test",
        "tracking_code": TEST_NUMBER,
        "status": "in_transit",
        "status_detail": "arrived_at_facility",
        "created_at": stamp,
        "updated_at": stamp,
        "signed_by": None,
        "weight": None,
        "est_delivery_date": None,
        "shipment_id": None,
        "carrier": "USPS",
        "tracking_details": [
            {
                "object": "TrackingDetail",
                "message": "Afterglow test event: not a real parcel",
                "description": "",
                "status": "in_transit",
                "status_detail": "arrived_at_facility",
                "datetime": stamp,
                "source": "USPS",
                "carrier_code": "",
                "tracking_location": place,
            }
        ],
        "carrier_detail": {
            "object": "CarrierDetail",
            "service": "First-Class Package Service",
            "est_delivery_date_local": None,
            "est_delivery_time_local": None,
        },
        "finalized": False,
        "is_return": False,
        "public_url": "",
    }
    payload = {
        "description": "tracker.updated",
        "mode": "test",
        "previous_attributes": {"status": "pre_transit"},
        "created_at": stamp,
        "pending_urls": [],
        "completed_urls": [],
        "updated_at": stamp,
        "id": f"evt_afterglowtest{uuid.uuid4().hex[:16]}",
        "user_id": "",
        "status": "pending",
        "object": "Event",
        "result": tracker,
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    secret = unicodedata.normalize("NFKD", connection.secret or "")
    headers = {
        "Content-Type": "application/json",
        "X-Hmac-Signature": "hmac-sha256-hex=" + hmac_sha256(secret, body).hex(),
        "User-Agent": "Afterglow test event (EasyPost format)",
    }
    return headers, body

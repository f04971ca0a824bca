"""Calling AfterShip's Tracking API (2026-07): check the key, create a tracking per shipment, build a test event.

AfterShip has no batch create, so `tracking_register` sends one `POST /trackings` per shipment. The body
names the parcel (number, courier slug when we know it) and its order, never the buyer: no `customers`,
`emails` or phone, so AfterShip has nobody to send its own notifications to and our flows stay the only
voice the buyer hears.

Webhooks are not set through the API: the merchant adds our URL (`/webhooks/aftership/<store>/`) in
AfterShip's admin under Settings > Notifications > Webhooks, and copies the webhook secret shown there into
the connection. `setup` therefore only checks the key and registers nothing.

Also home to what the looping services (AfterShip, EasyPost) share: `refusal` tells a per-parcel answer
from a problem of the whole call.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from ...calls import ApiClient, CallError, Unauthorized
from ...remotes import Registration, SetupResult
from ...signatures import hmac_sha256
from . import CARRIER_CODES, TEST_NUMBER

if TYPE_CHECKING:
    from apps.shipments.models import Shipment

    from ...models import Connection

KEY_HEADER = "as-api-key"
ALREADY_EXISTS = 4003  # meta.code: "Tracking already exists."
SLUG_INVALID = 4010  # meta.code: "The value of slug is invalid."
ERROR_LENGTH = 500  # TrackingRegistration.error

# Our carrier codes → AfterShip courier slugs: the inverse of the adapter's map, its first slug winning
# (brt → brt-it). Carriers without a slug are left for AfterShip to detect.
SLUGS: dict[str, str] = {code: slug for slug, code in reversed(CARRIER_CODES.items())}


def api_client(connection: Connection) -> ApiClient:
    key = connection.api_token or ""
    if not key:
        raise Unauthorized("The AfterShip API key is not set on this connection.")
    return ApiClient(connection, base_url=settings.AFTERSHIP_API_URL, headers={KEY_HEADER: key})


def setup(connection: Connection) -> SetupResult:
    """Check the key with `GET /couriers` (the account's activated couriers: cheap, authenticated).

    AfterShip's webhooks are configured in its admin (Settings > Notifications > Webhooks), where the
    merchant also finds the webhook secret; there is no API for them, so nothing is registered here.
    A refused key raises calls.Unauthorized."""
    with api_client(connection) as api:
        api.request("GET", "/couriers", operation="aftership.couriers")
    return SetupResult()


def tracking_register(connection: Connection, shipments: Sequence[Shipment]) -> dict[int, Registration]:
    """One `POST /trackings` per shipment. "Already exists" (4003) is registered; another 4xx is that
    shipment's error. RateLimited, Unauthorized, CircuitOpen and 5xx raise for the whole batch."""
    results: dict[int, Registration] = {}
    with api_client(connection) as api:
        for shipment in shipments:
            results[shipment.pk] = register_one(api, shipment)
    return results


def tracking_body(shipment: Shipment, *, with_slug: bool = True) -> dict[str, Any]:
    """The parcel and its order, nothing about the buyer (see the module docstring)."""
    number = shipment.tracking_number.strip()
    body: dict[str, Any] = {"tracking_number": number}
    slug = SLUGS.get(shipment.carrier)
    if slug and with_slug:
        body["slug"] = slug
    order = shipment.order
    if order.number:
        body["order_number"] = order.number
        body["title"] = f"Order {order.number}"
    if order.external_id:
        body["order_id"] = order.external_id  # webhooks echo it: the adapter finds the order by it
    return body


def register_one(api: ApiClient, shipment: Shipment) -> Registration:
    number = shipment.tracking_number.strip()
    if not number:
        return Registration(ok=False, error="The shipment has no tracking number.")
    body = tracking_body(shipment)
    while True:
        try:
            reply = api.request(
                "POST", "/trackings", operation="aftership.trackings.create", json_body=body, ok=(200, 201)
            )
        except CallError as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            code, message = meta_of(exc.body)
            if code == ALREADY_EXISTS:
                return Registration(ok=True, external_id=tracking_id(exc.body))
            if code == SLUG_INVALID and "slug" in body:  # our slug is not the account's: let AfterShip detect
                body = tracking_body(shipment, with_slug=False)
                continue
            why = f"{message} (code {code})" if code else message or f"HTTP {exc.status}"
            return Registration(
                ok=False, error=f"AfterShip refused {number}: {why}"[:ERROR_LENGTH], retry=refused == "later"
            )
        return Registration(ok=True, external_id=tracking_id(reply.json()))


def refusal(exc: CallError) -> str | None:
    """How a service refused one parcel: "no" (a 4xx about it), "later" (402: the account must pay or top
    up first), or None when the failure is the whole call's (rate limit, credentials, circuit, 5xx, network)
    and must reach the runner."""
    if type(exc) is not CallError or exc.status is None or not 400 <= exc.status < 500 or exc.status == 429:
        return None
    return "later" if exc.status == 402 else "no"


def meta_of(body: Any) -> tuple[int | None, str]:
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        return None, ""
    code = meta.get("code")
    return (code if isinstance(code, int) else None), str(meta.get("message") or "")


def tracking_id(body: Any) -> str:
    """The tracking's id: `data.id` (2024-04 and later), `data.tracking.id` (legacy); "" when absent."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return ""
    tracking = data.get("tracking") if isinstance(data.get("tracking"), dict) else data
    return str(tracking.get("id") or "")[:100]


def test_event(connection: Connection) -> tuple[dict[str, str], bytes]:
    """A `tracking_update` shaped like AfterShip's (tests/fixtures/aftership/aftership_tracking_update_trimmed.json),
    signed as AfterShip signs: base64 HMAC-SHA256 of the body with the connection's webhook secret.

    It is about TEST_NUMBER and names no order: our endpoint checks the signature, reads the delivery and sets it
    aside (200, "ignored", a summary saying so) without touching any shipment."""
    now = timezone.now().replace(microsecond=0)
    payload = {
        "event": "tracking_update",
        "event_id": str(uuid.uuid4()),
        "is_tracking_first_tag": False,
        "msg": {
            "id": uuid.uuid4().hex,
            "tracking_number": TEST_NUMBER,
            "slug": "usps",
            "tag": "InTransit",
            "subtag": "InTransit_001",
            "subtag_message": "In Transit",
            "title": TEST_NUMBER,
            "checkpoints": [
                {
                    "checkpoint_time": now.strftime("%Y-%m-%dT%H:%M:%S"),
                    "message": "Afterglow test event: not a real parcel",
                    "slug": "usps",
                    "tag": "InTransit",
                    "subtag": "InTransit_001",
                }
            ],
        },
        "ts": int(now.timestamp()),
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = base64.b64encode(hmac_sha256(connection.secret or "", body)).decode()
    headers = {
        "Content-Type": "application/json",
        "Aftership-Hmac-Sha256": signature,
        "As-Webhook-Version": "2026-07",
        "User-Agent": "Afterglow test event (AfterShip format)",
    }
    return headers, body

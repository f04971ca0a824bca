"""Calling 17TRACK's API (v2.2): check the key, register tracking numbers 40 at a time, build a test event.

Every call is a POST with the key in the `17token` header, and every answer the envelope
`{"code": 0, "data": {"accepted": [...], "rejected": [...]}}`: HTTP 200 even when numbers are rejected, each
rejection with its own `error.code`. A whole-call failure has a non-zero `code` and `data.errors`.

17TRACK signs its pushes with the API key itself (SHA-256 of body + "/" + key), so there is no separate
webhook secret to ask for: `setup` hands the key back as the connection's webhook secret. The push URL
(`/webhooks/17track/<store>/`) is set in the 17TRACK API dashboard (Settings > Webhook); `setup` registers
nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from ...calls import ApiClient, CallError, Reply, Unauthorized
from ...remotes import Registration, SetupResult
from ..aftership import TEST_NUMBER
from . import CARRIER_CODES

if TYPE_CHECKING:
    from apps.shipments.models import Shipment

    from ...models import Connection

TOKEN_HEADER = "17token"
BATCH_SIZE = 40  # -18010014: "Tracking numbers exceed the 40 limit."
ALREADY_REGISTERED = -18019901
# Whole-call codes that mean the key (or the address we call from) is refused: the merchant must act.
REFUSED_KEY = {-18010001, -18010002, -18010004, -18010005}
# Codes that pass: internal error, daily limit, quota exhausted (the merchant tops up, then we try again).
RETRY_LATER = {-18010003, -18019907, -18019908}
ERROR_LENGTH = 500  # TrackingRegistration.error

# Our carrier codes → 17TRACK carrier keys: the inverse of the adapter's map. Carriers without a key are
# left out of the request, and 17TRACK detects them.
CARRIER_KEYS: dict[str, int] = {code: key for key, code in reversed(CARRIER_CODES.items())}


def api_client(connection: Connection) -> ApiClient:
    key = connection.api_token or ""
    if not key:
        raise Unauthorized("The 17TRACK API key is not set on this connection.")
    return ApiClient(connection, base_url=settings.SEVENTEENTRACK_API_URL, headers={TOKEN_HEADER: key})


def setup(connection: Connection) -> SetupResult:
    """Check the key with `POST /getquota` (reads the account's quota, spends none).

    17TRACK signs pushes with the API key, so the key becomes the connection's webhook secret (a changed key
    keeps the old one valid for the rotation grace). The push URL is set in the 17TRACK dashboard; nothing is
    registered here. A refused key raises calls.Unauthorized."""
    with api_client(connection) as api:
        reply = api.request("POST", "/getquota", operation="17track.getquota", json_body=[])
    envelope(reply)
    return SetupResult(secret=connection.api_token or "")


def envelope(reply: Reply) -> dict[str, Any]:
    """`data` of a `code: 0` answer. A refused key raises Unauthorized; another whole-call code, CallError."""
    payload = reply.json()
    if not isinstance(payload, dict) or "code" not in payload:
        raise CallError(f"17TRACK answered HTTP {reply.status} without its envelope.", status=reply.status)
    code = payload.get("code")
    data = payload.get("data")
    if code == 0:
        return data if isinstance(data, dict) else {}
    errors = data.get("errors") if isinstance(data, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    message = f"17TRACK answered: {first.get('message') or 'an error'} (code {code})."
    if code in REFUSED_KEY:
        raise Unauthorized(message + " Check the API key and the IP allow-list.", status=reply.status, body=payload)
    raise CallError(message, status=reply.status, body=payload)


def tracking_register(connection: Connection, shipments: Sequence[Shipment]) -> dict[int, Registration]:
    """`POST /register` with up to 40 numbers a call.

    Accepted and "already registered" (-18019901) are registered; a quota or daily limit rejection is to be
    retried; another rejection is that shipment's error. A whole-call quota code makes the batch retry later;
    a refused key, a rate limit, 5xx or any other whole-call code raises for the batch."""
    results: dict[int, Registration] = {}
    numbered = []
    for shipment in shipments:
        if shipment.tracking_number.strip():
            numbered.append(shipment)
        else:
            results[shipment.pk] = Registration(ok=False, error="The shipment has no tracking number.")
    if not numbered:
        return results
    with api_client(connection) as api:
        for start in range(0, len(numbered), BATCH_SIZE):
            results.update(register_batch(api, numbered[start : start + BATCH_SIZE]))
    return results


def register_item(shipment: Shipment) -> dict[str, Any]:
    """The number, its carrier key when we know one, and the shipment's id as the tag the answer echoes."""
    item: dict[str, Any] = {"number": shipment.tracking_number.strip()}
    key = CARRIER_KEYS.get(shipment.carrier)
    if key is not None:
        item["carrier"] = key
    item["tag"] = str(shipment.pk)
    return item


def register_batch(api: ApiClient, batch: Sequence[Shipment]) -> dict[int, Registration]:
    reply = api.request("POST", "/register", operation="17track.register", json_body=[register_item(s) for s in batch])
    try:
        data = envelope(reply)
    except CallError as exc:
        code = exc.body.get("code") if isinstance(exc.body, dict) else None
        if type(exc) is CallError and code in RETRY_LATER:
            return {
                shipment.pk: Registration(ok=False, retry=True, error=str(exc)[:ERROR_LENGTH]) for shipment in batch
            }
        raise
    find = matcher(batch)
    results: dict[int, Registration] = {}
    for entry in entries(data, "accepted"):
        for shipment in find(entry):
            results[shipment.pk] = Registration(ok=True)
    for entry in entries(data, "rejected"):
        outcome = rejection(entry)
        for shipment in find(entry):
            results.setdefault(shipment.pk, outcome)
    for shipment in batch:
        results.setdefault(
            shipment.pk,
            Registration(ok=False, retry=True, error="17TRACK did not answer for this number; it will be sent again."),
        )
    return results


def entries(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def rejection(entry: dict[str, Any]) -> Registration:
    error = entry.get("error") if isinstance(entry.get("error"), dict) else {}
    code = error.get("code")
    if code == ALREADY_REGISTERED:
        return Registration(ok=True)
    message = f"17TRACK refused {entry.get('number') or 'the number'}: {error.get('message') or 'no reason given'}"
    message += f" (code {code})" if code is not None else ""
    return Registration(ok=False, error=message[:ERROR_LENGTH], retry=code in RETRY_LATER)


def normalised(number: Any) -> str:
    return re.sub(r"[\s-]", "", str(number or "")).upper()


def matcher(batch: Sequence[Shipment]):
    """The shipments an answer entry is about: by the tag we sent (our shipment id), else by the number."""
    by_tag = {str(shipment.pk): shipment for shipment in batch}
    by_number: dict[str, list[Shipment]] = defaultdict(list)
    for shipment in batch:
        by_number[normalised(shipment.tracking_number)].append(shipment)

    def find(entry: dict[str, Any]) -> list[Shipment]:
        tagged = by_tag.get(str(entry.get("tag") or ""))
        if tagged is not None and normalised(tagged.tracking_number) == normalised(entry.get("number")):
            return [tagged]
        return by_number.get(normalised(entry.get("number")), [])

    return find


def test_event(connection: Connection) -> tuple[dict[str, str], bytes]:
    """A `TRACKING_UPDATED` push shaped like 17TRACK's (tests/fixtures/17track/17track_tracking_updated_delivered.json),
    signed as 17TRACK signs: hex SHA-256 of body + "/" + key, with the connection's webhook secret (the key).

    It is about TEST_NUMBER: our endpoint checks the signature, reads the push and sets it aside (200,
    "ignored") without touching any shipment."""
    now = timezone.now().replace(microsecond=0)
    address = {
        "country": "US",
        "state": "CA",
        "city": "Ontario",
        "street": None,
        "postal_code": None,
        "coordinates": {"longitude": None, "latitude": None},
    }
    event = {
        "time_iso": now.isoformat(),
        "time_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_raw": {"date": None, "time": None, "timezone": None},
        "description": "Afterglow test event: not a real parcel",
        "location": "Ontario, CA, US",
        "stage": None,
        "sub_status": "InTransit_Other",
        "address": address,
    }
    payload = {
        "event": "TRACKING_UPDATED",
        "data": {
            "number": TEST_NUMBER,
            "carrier": CARRIER_KEYS["usps"],
            "param": None,
            "tag": "",
            "track_info": {
                "latest_status": {"status": "InTransit", "sub_status": "InTransit_Other", "sub_status_descr": None},
                "latest_event": event,
                "time_metrics": {"estimated_delivery_date": {"source": None, "from": None, "to": None}},
                "tracking": {
                    "providers": [
                        {
                            "provider": {"key": CARRIER_KEYS["usps"], "name": "USPS", "alias": "USPS"},
                            "latest_sync_status": "Success",
                            "latest_sync_time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "events": [event],
                        }
                    ]
                },
            },
        },
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    key = connection.secret or connection.api_token or ""
    headers = {
        "Content-Type": "application/json",
        "sign": hashlib.sha256(body + b"/" + key.encode()).hexdigest(),
        "User-Agent": "Afterglow test event (17TRACK format)",
    }
    return headers, body

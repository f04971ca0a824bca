"""The shape every inbound source implements: check the signature, read the delivery, apply it."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from django.http import HttpRequest

from apps.stores.models import Store


class PayloadError(ValueError):
    """The delivery is signed correctly but cannot be applied: it says which fields are wrong."""

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


@dataclass(frozen=True)
class Delivery:
    topic: str
    delivery_id: str
    payload: Any


@dataclass
class Applied:
    summary: str
    object_id: str = ""
    ignored: bool = False
    details: dict = field(default_factory=dict)


class Adapter(Protocol):
    source: ClassVar[str]

    def is_ping(self, request: HttpRequest, body: bytes) -> bool: ...

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool: ...

    def read(self, *, headers, body: bytes) -> Delivery: ...

    def apply(self, *, store: Store, delivery: Delivery) -> Applied: ...


def parse_json(body: bytes) -> Any:
    """JSON as sent (big integers stay exact); a clear PayloadError otherwise."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"The body is not valid JSON: {exc}") from exc


def parse_json_object(body: bytes) -> dict:
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise PayloadError("Expected a JSON object.")
    return payload


class JsonWebhookAdapter:
    """What most sources share: JSON bodies and no unsigned ping."""

    def is_ping(self, request: HttpRequest, body: bytes) -> bool:
        return False


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def require(mapping: Any, *keys: str, where: str = "") -> None:
    """Raise a PayloadError naming every missing key at once."""
    if not isinstance(mapping, dict):
        raise PayloadError(f"Expected a JSON object{' in ' + where if where else ''}.")
    missing = [key for key in keys if mapping.get(key) in (None, "")]
    if missing:
        prefix = f"{where}." if where else ""
        raise PayloadError(
            "Missing required fields: " + ", ".join(prefix + key for key in missing),
            fields={prefix + key: "required" for key in missing},
        )

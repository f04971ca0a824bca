"""The shape every inbound source implements: check the signature, read the delivery, apply it.

`read` is pure: it parses the body and validates everything the delivery will write into typed inputs
(`Delivery.data`), so a malformed delivery is refused with the fields named before any service runs.
`apply` then only looks objects up and calls services.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from django.http import HttpRequest

from apps.stores.models import Store


class PayloadError(ValueError):
    """The delivery is signed correctly but cannot be applied: it says which fields are wrong.

    `status` is the HTTP answer (400 for a body that is not JSON or a bad header, 422 for fields that are
    wrong or name something unknown). `public` is what the caller is told when the message (kept on the
    inbound log for staff) names values from the payload; it never carries payload text.
    """

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, status: int = 422, public: str = ""):
        super().__init__(message)
        self.fields = fields or {}
        self.status = status
        self.public = public or message


@dataclass(frozen=True)
class Delivery:
    topic: str
    delivery_id: str
    payload: Any
    data: Any = None  # the typed inputs `read` validated; None when the topic is not used


@dataclass
class Applied:
    summary: str
    object_id: str = ""
    ignored: bool = False
    details: dict = field(default_factory=dict)


class Adapter(Protocol):
    source: ClassVar[str]
    signature_header: ClassVar[str]

    def is_ping(self, request: HttpRequest, body: bytes) -> bool: ...

    def verify(self, *, headers, body: bytes, secrets: list[str]) -> bool: ...

    def read(self, *, headers, body: bytes) -> Delivery: ...

    def apply(self, *, store: Store, delivery: Delivery) -> Applied: ...


class JsonWebhookAdapter:
    """What most sources share: JSON bodies and no unsigned ping."""

    def is_ping(self, request: HttpRequest, body: bytes) -> bool:
        return False


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()

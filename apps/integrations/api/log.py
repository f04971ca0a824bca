"""Every write call to the API, in the same inbound log as webhooks (source "api").

The delivery id is a digest of method, path and body: the identical call sent again finds its row and
counts up `deliveries`; the row then shows the latest outcome. Calls that fail before a store is known
(no key, a wrong key) are not recorded: the log belongs to a store. The key itself is never stored, and no
text the database cannot store (a NUL, an unpaired surrogate in a path, a header or a malformed body) is
written: such characters become U+FFFD, so logging a refused call cannot fail on it.
"""

import hashlib

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, RawPostDataException
from django.utils import timezone

from apps.integrations.models import InboundEvent, Outcome, Source
from apps.integrations.services.inbound import MAX_STORED_BODY, kept_headers

from .limits import storable

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RESOURCES = frozenset({"products", "customers", "orders", "carts", "shipments"})


def call_digest(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


def describe(request: HttpRequest) -> tuple[str, str]:
    """(topic, object id) for a call: "orders.put" and "1001", "orders.batch" and "", "shipments.events"..."""
    match = getattr(request, "resolver_match", None)
    route = (match.route if match else request.path).strip("/").split("/")
    resource = next((part for part in route if part in RESOURCES), "api")
    action = route[-1] if route[-1] in ("batch", "events") else request.method.lower()
    kwargs = match.kwargs if match else {}
    return f"{resource}.{action}", str(next(iter(kwargs.values()), ""))


def _store_of(request: HttpRequest):
    api_key = getattr(request, "auth", None)
    return getattr(api_key, "store", None)


def api_call_record(
    *,
    request: HttpRequest,
    outcome: str,
    http_status: int,
    summary: str = "",
    error: str = "",
) -> InboundEvent | None:
    """Record a write call and how it ended. Reads and calls without a known store are not recorded."""
    store = _store_of(request)
    if store is None or request.method not in WRITE_METHODS:
        return None
    body = _body_of(request)
    topic, object_id = describe(request)
    now = timezone.now()
    delivery_id = (
        call_digest(method=request.method, path=request.get_full_path(), body=body) if body is not None else ""
    )
    values = {
        "topic": storable(topic[:80]),
        "object_id": storable(object_id[:128]),
        "outcome": outcome,
        "http_status": http_status,
        "summary": storable(summary[:255]),
        "error": storable(error),
        "processed_at": now,
        "last_received_at": now,
    }
    stored_body = storable((body or b"")[:MAX_STORED_BODY].decode("utf-8", "replace"))
    headers = {storable(name): storable(value) for name, value in kept_headers(request.headers).items()}
    if delivery_id:
        try:
            with transaction.atomic():
                return InboundEvent.objects.create(
                    store=store, source=Source.API, delivery_id=delivery_id, headers=headers,
                    body=stored_body, received_at=now, **values,
                )  # fmt: skip
        except IntegrityError:
            events = InboundEvent.objects.filter(store=store, source=Source.API, delivery_id=delivery_id)
            events.update(deliveries=F("deliveries") + 1, modified_at=now, **values)
            return events.first()
    # A body too large to read: kept without body or delivery id, like a rejected webhook.
    return InboundEvent.objects.create(
        store=store, source=Source.API, headers=headers, body="", received_at=now, **values
    )


def api_call_failed(*, request: HttpRequest, http_status: int, error: str, fields: dict[str, str]) -> None:
    detail = error + "".join(f"\n{name}: {message}" for name, message in fields.items())
    api_call_record(request=request, outcome=Outcome.FAILED, http_status=http_status, error=detail)


def _body_of(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it was too large to read."""
    try:
        return request.body
    except (RequestDataTooBig, RawPostDataException):
        return None

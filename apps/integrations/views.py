"""Webhook endpoints: one view for every source, the differences live in each source's adapter."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.stores.selectors import store_by_slug

from .adapters import PayloadError
from .registry import adapter_for
from .selectors import connection_for, secrets_of
from .services import inbound_apply, inbound_record, inbound_record_rejected


def error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


@csrf_exempt
@require_POST
def webhook(request, source: str, store_slug: str):
    adapter = adapter_for(source)
    store = store_by_slug(slug=store_slug)
    if adapter is None or store is None:
        return error(404, "Unknown store or source.")
    limit = settings.MAX_INBOUND_BODY_BYTES
    if int(request.headers.get("Content-Length") or 0) > limit:
        return error(413, f"The body is larger than {limit} bytes.")
    try:
        body = request.body
    except RequestDataTooBig:
        return error(413, f"The body is larger than {limit} bytes.")
    if len(body) > limit:
        return error(413, f"The body is larger than {limit} bytes.")
    connection = connection_for(store=store, source=adapter.source)
    if connection is None:
        return error(404, f"This store has no {adapter.source} connection.")
    if adapter.is_ping(request, body):
        return JsonResponse({"status": "ok"})
    if not adapter.verify(headers=request.headers, body=body, secrets=secrets_of(connection)):
        inbound_record_rejected(
            store=store, source=adapter.source, headers=request.headers, body=body, error="Signature does not match."
        )
        return error(401, "The signature does not match.")
    try:
        delivery = adapter.read(headers=request.headers, body=body)
    except PayloadError as exc:
        return error(400, str(exc), fields=exc.fields)
    event, seen_before = inbound_record(
        store=store, source=adapter.source, delivery=delivery, headers=request.headers, body=body
    )
    event = inbound_apply(event=event, adapter=adapter, delivery=delivery)
    if event.http_status >= 400:
        return error(event.http_status, event.error, delivery=event.delivery_id)
    return JsonResponse(
        {
            "status": "duplicate" if seen_before else event.outcome,
            "delivery": event.delivery_id,
            "summary": event.summary,
        }
    )

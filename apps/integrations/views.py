"""Webhook endpoints: one view for every source, the differences live in each source's adapter.

The order of work: known store and source, size, signature (a bad one is logged within bounds, see
`inbound_record_rejected`), then `adapter.read` validates the whole delivery into typed inputs. Only a
delivery that passed is recorded and applied. Every refusal is a JSON 4xx naming the fields; no answer
carries exception text (the inbound log keeps that for staff).
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.stores.selectors import store_by_slug

from .adapters import PayloadError
from .registry import adapter_for
from .selectors import connection_for, secrets_of
from .services.inbound import INTERNAL_FAILURE, inbound_apply, inbound_record, inbound_record_rejected

logger = logging.getLogger(__name__)


def error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def signature_problem(adapter, headers) -> str:
    """What the inbound log says about a rejected delivery: which header, missing or not matching."""
    name = adapter.signature_header
    if not (headers.get(name) or "").strip():
        return f"Signature does not match: the {name} header is missing."
    return (
        f"Signature does not match: the {name} header is not what this connection's secret gives for the body "
        "(nor the previous secret's, during a rotation). Check the secret in the source's settings."
    )


@csrf_exempt
@require_POST
def webhook(request, source: str, store_slug: str):
    adapter = adapter_for(source)
    store = store_by_slug(slug=store_slug)
    if adapter is None or store is None:
        return error(404, "Unknown store or source.")
    limit = settings.MAX_INBOUND_BODY_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return error(400, "The Content-Length header is not a number.")
    if declared > limit:
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
            store=store, source=adapter.source, headers=request.headers, body=body,
            error=signature_problem(adapter, request.headers),
        )  # fmt: skip
        return error(401, "The signature does not match.")
    try:
        delivery = adapter.read(headers=request.headers, body=body)
    except PayloadError as exc:
        return error(exc.status, exc.public, fields=exc.fields)
    except Exception:  # a bug in validation: never the exception text, and the source retries
        logger.exception("Reading inbound %s for %s failed", adapter.source, store.slug)
        return error(500, INTERNAL_FAILURE)
    event, seen_before = inbound_record(
        store=store, source=adapter.source, delivery=delivery, headers=request.headers, body=body
    )
    event = inbound_apply(event=event, adapter=adapter, delivery=delivery)
    if event.http_status >= 400:
        answer = event.answer or {"error": INTERNAL_FAILURE}
        return error(event.http_status, answer["error"], fields=answer.get("fields", {}), delivery=event.delivery_id)
    return JsonResponse(
        {
            "status": "duplicate" if seen_before else event.outcome,
            "delivery": event.delivery_id,
            "summary": event.summary,
        }
    )

"""Every API error is JSON: `{"error": "...", "fields": {"lines.0.quantity": "..."}}`, and a failed write is
recorded in the inbound log like any other."""

import json
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from .log import api_call_failed
from .schemas import MAX_BATCH_ITEMS

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A request that cannot be applied, with the fields to blame."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


class BodyTooLarge(Exception):
    pass


class MalformedJson(Exception):
    pass


class BoundedJsonParser(Parser):
    """JSON bodies up to MAX_INBOUND_BODY_BYTES. Ninja turns a parser failure into a 400; the handler below
    tells the two causes apart."""

    def parse_body(self, request: HttpRequest):
        limit = settings.MAX_INBOUND_BODY_BYTES
        if len(request.body) > limit:
            raise BodyTooLarge(f"The body is larger than {limit} bytes.")
        try:
            payload = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedJson(f"The body is not valid JSON: {exc}") from exc
        unstorable = first_unstorable_text(payload)
        if unstorable is not None:
            raise MalformedJson(f"{unstorable or 'A value'} holds a NUL character or an unpaired surrogate.")
        return payload


def first_unstorable_text(value, path: str = ""):
    """The path of the first string no database can store (NUL, lone surrogates), or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = first_unstorable_text(str(key), path) if isinstance(key, str) else None
        found = found if found is not None else first_unstorable_text(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def field_path(loc: Iterable, *, empty: str = "body") -> str:
    """("body", "payload", "lines", 0, "quantity") -> "lines.0.quantity"; path parameters by their name."""
    parts = list(loc)
    if parts[:1] == ["body"]:
        parts = parts[2:]  # the body's parameter name is not the client's business
    elif parts[:1] in (["path"], ["query"]):
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or empty


def fields_from(errors: Iterable[dict], *, empty: str = "body") -> dict[str, str]:
    """pydantic / ninja errors as {dotted path: message}; several messages for one field are joined."""
    fields: dict[str, str] = {}
    for error in errors:
        path = field_path(error.get("loc", ()), empty=empty)
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        fields[path] = f"{fields[path]}; {message}" if path in fields else message
    return fields


def error_response(request: HttpRequest, status: int, message: str, fields: dict | None = None) -> HttpResponse:
    api_call_failed(request=request, http_status=status, error=message, fields=fields or {})
    response = JsonResponse({"error": message, "fields": fields or {}}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def invalid(request, exc: NinjaValidationError):
        fields = fields_from(exc.errors)
        too_many = next(
            (e for e in exc.errors if e.get("type") == "too_long" and field_path(e.get("loc", ())) == "items"), None
        )
        if too_many is not None:
            count = (too_many.get("ctx") or {}).get("actual_length", "more")
            message = f"A batch holds at most {MAX_BATCH_ITEMS} items; this one has {count}. Split it up."
            return error_response(request, 422, message, {"items": message})
        names = ", ".join(sorted(fields))
        return error_response(request, 422, f"Invalid fields: {names}.", fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc: AuthenticationError):
        message = exc.message if exc.message != "Unauthorized" else "Send an API key: Authorization: Bearer KEY."
        return error_response(request, 401, message)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        cause = exc.__cause__
        if isinstance(cause, BodyTooLarge):
            return error_response(request, 413, str(cause))
        if isinstance(cause, MalformedJson):
            return error_response(request, 400, str(cause))
        return error_response(request, exc.status_code, exc.message)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc: RequestDataTooBig):
        limit = min(settings.MAX_INBOUND_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return error_response(request, 413, f"The body is larger than {limit} bytes.")

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return error_response(request, exc.status, exc.message, exc.fields)

    @api.exception_handler(DataError)
    def unstorable(request, exc: DataError):
        # The last line of defence: a value the database refuses (e.g. a NUL in a path) is the caller's.
        return error_response(request, 422, "A value could not be stored: it holds characters the database refuses.")

    @api.exception_handler(Http404)
    def not_found(request, exc: Http404):
        return error_response(request, 404, str(exc) or "Not found.")

    @api.exception_handler(Exception)
    def unexpected(request, exc: Exception):
        logger.exception("API %s %s failed", request.method, request.path)
        return error_response(
            request, 500, f"Internal error ({type(exc).__name__}); it is logged. Sending the same call again is safe."
        )

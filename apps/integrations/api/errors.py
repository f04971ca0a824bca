"""Every API error is JSON: `{"error": "...", "fields": {"lines.0.quantity": "..."}}`, and a failed write is
recorded in the inbound log like any other. A failure of ours is a 500 with a reference that is logged, and
never the exception's words. (The front door, `door.py`, does the same for what happens outside ninja.)"""

import json
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from .limits import MAX_JSON_DEPTH, UNSTORABLE, storable, too_deep
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
    """A body the API cannot read: not JSON, not UTF-8, or nested too deeply. The message is ours, never the
    parser's words."""


class BoundedJsonParser(Parser):
    """JSON bodies up to MAX_INBOUND_BODY_BYTES, nested at most MAX_JSON_DEPTH levels. Ninja turns a parser
    failure into a 400; the handler below tells the causes apart. Text no database stores (NUL, unpaired
    surrogates) is left to the schemas, which name the field (and, in a batch, the item)."""

    def parse_body(self, request: HttpRequest):
        limit = settings.MAX_INBOUND_BODY_BYTES
        if len(request.body) > limit:
            raise BodyTooLarge(f"The body is larger than {limit} bytes.")
        try:
            payload = json.loads(request.body)
        except UnicodeDecodeError as exc:
            raise MalformedJson("The body is not UTF-8 text.") from exc
        except json.JSONDecodeError as exc:
            raise MalformedJson(
                f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from exc
        except RecursionError as exc:
            raise MalformedJson(f"The body is nested more than {MAX_JSON_DEPTH} levels deep.") from exc
        except ValueError as exc:  # e.g. an integer of more digits than Python converts
            raise MalformedJson("The body holds a number with too many digits.") from exc
        deep = too_deep(payload)
        if deep is not None:
            raise MalformedJson(f"The body is nested more than {MAX_JSON_DEPTH} levels deep (at {deep[:200]}).")
        return payload


def field_path(loc: Iterable, *, empty: str = "body") -> str:
    """("body", "payload", "lines", 0, "quantity") -> "lines.0.quantity"; path parameters by their name."""
    parts = list(loc)
    if parts[:1] == ["body"]:
        parts = parts[2:]  # the body's parameter name is not the client's business
    elif parts[:1] in (["path"], ["query"]):
        parts = parts[1:]
    return storable(".".join(str(part) for part in parts)) or empty  # a field's name may hold a NUL too


def fields_from(errors: Iterable[dict], *, empty: str = "body") -> dict[str, str]:
    """pydantic / ninja errors as {dotted path: message}; several messages for one field are joined."""
    fields: dict[str, str] = {}
    for error in errors:
        path = field_path(error.get("loc", ()), empty=empty)
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "string_unicode":  # pydantic's words for a name or value with a lone surrogate
            message = UNSTORABLE
        fields[path] = f"{fields[path]}; {message}" if path in fields else message
    return fields


def error_response(request: HttpRequest, status: int, message: str, fields: dict | None = None) -> HttpResponse:
    """The JSON answer for a failed call, recorded in the inbound log when its store is known. Recording is
    best-effort: a failure to log never changes the answer."""
    try:
        with transaction.atomic():
            api_call_failed(request=request, http_status=status, error=message, fields=fields or {})
    except Exception:
        logger.exception("API %s %s: the failed call could not be logged", request.method, storable(request.path))
    return bare_error(status, message, fields)


def bare_error(status: int, message: str, fields: dict | None = None) -> HttpResponse:
    response = JsonResponse({"error": message, "fields": fields or {}}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def internal_error(request: HttpRequest, exc: BaseException, *, log_call: bool = True) -> HttpResponse:
    """A failure of ours: logged with a reference the caller can quote, and answered without details."""
    reference = uuid.uuid4().hex[:12]
    path = storable(request.path)
    logger.error("API %s %s failed (reference %s)", request.method, path, reference, exc_info=exc)
    message = f"Internal error (reference {reference}); it is logged. Sending the same call again is safe."
    return error_response(request, 500, message) if log_call else bare_error(500, message)


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
        return error_response(request, 422, invalid_fields_message(fields), fields)

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
        if cause is not None:  # ninja's own "Cannot parse request body": a parser failure we did not foresee
            return error_response(request, 400, "The body could not be read as JSON.")
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
        # The last line of defence, reached only through a validation gap: the database refused a value. The
        # caller gets a 4xx without the database's words; we get the details in the log.
        logger.warning("API %s %s: the database refused a value", request.method, storable(request.path), exc_info=exc)
        return error_response(request, 422, UNSTORABLE_VALUE)

    @api.exception_handler(Http404)
    def not_found(request, exc: Http404):
        return error_response(request, 404, str(exc) or "Not found.")

    @api.exception_handler(Exception)
    def unexpected(request, exc: Exception):
        return internal_error(request, exc)


UNSTORABLE_VALUE = "A value could not be stored: it is out of the range or holds characters the store does not keep."


def invalid_fields_message(fields: dict[str, str], *, named: int = 20) -> str:
    names = sorted(fields)
    more = f" and {len(names) - named} more" if len(names) > named else ""
    return f"Invalid fields: {', '.join(names[:named])}{more}."

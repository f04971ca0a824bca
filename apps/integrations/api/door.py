"""The API's front door: every answer under /api/v1/ is JSON, whatever was sent and whatever failed.

Ninja's exception handlers (errors.py) answer for what goes wrong inside an operation. The door wraps each URL
pattern's view for what they cannot see:

- text no database can store (a NUL, an unpaired surrogate) in the path, the query string or a header is a 400
  naming the parameter, query parameter or header, before authentication or any read. Nothing unstorable
  reaches a query, the inbound log or a handler's message;
- a method the endpoint does not take is a JSON 405 (ninja answers it in plain text);
- an exception that escaped ninja (one raised while answering another) is a bare JSON 500 with a reference
  that is logged;
- a path that names no endpoint is a JSON 404 (the catch-all pattern in urls.py).
"""

from collections.abc import Callable
from functools import update_wrapper

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

from .errors import error_response, internal_error
from .limits import UNSTORABLE, is_storable, storable

JSON = "application/json"


def unstorable_parts(request: HttpRequest, url_kwargs: dict) -> dict[str, str]:
    """{where: why} for each path parameter, query parameter and header holding text no database stores."""
    fields = {
        name: UNSTORABLE for name, value in url_kwargs.items() if isinstance(value, str) and not is_storable(value)
    }
    if not fields and not is_storable(request.path):
        fields["path"] = UNSTORABLE
    for name, values in request.GET.lists():
        if not is_storable(name) or not all(is_storable(value) for value in values):
            fields[f"query.{storable(name)}"] = UNSTORABLE
    for name, value in request.headers.items():
        if not is_storable(name) or not is_storable(value):
            fields[f"header.{storable(name)}"] = UNSTORABLE
    return fields


def guarded(view: Callable) -> Callable:
    """The view behind the door: screened first, JSON whatever it answers or raises."""

    def door(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            try:
                fields = unstorable_parts(request, kwargs)
            except SuspiciousOperation:  # more query parameters than Django reads
                return error_response(request, 400, "The query string is too long; the API reads no query string.")
            if fields:
                where = ", ".join(sorted(fields))
                return error_response(request, 400, f"Text that cannot be stored in: {where}.", fields)
            response = view(request, *args, **kwargs)
            if response.status_code == 405 and not response.get("Content-Type", "").startswith(JSON):
                return method_not_allowed(request, response)
            return response
        except Http404:  # ninja's api-root raises it; the docs' and the schema's views could
            return no_endpoint(request)
        except Exception as exc:
            return internal_error(request, exc, log_call=False)

    if getattr(view, "__name__", None):
        update_wrapper(door, view)
    door.csrf_exempt = getattr(view, "csrf_exempt", False)  # ninja's views: a bearer key needs no CSRF token
    return door


def method_not_allowed(request: HttpRequest, plain: HttpResponse) -> HttpResponse:
    allowed = plain.get("Allow", "")
    response = error_response(request, 405, f"This endpoint does not take {request.method}; it takes {allowed}.")
    response["Allow"] = allowed
    return response


def no_endpoint(request: HttpRequest) -> HttpResponse:
    return error_response(request, 404, "No endpoint here; the operations are listed at /api/v1/docs.")


no_endpoint.csrf_exempt = True  # a POST to a wrong path is a JSON 404, not Django's CSRF page

"""The one client every call to a shop or tracking service goes through.

On top of the guarded transport (apps/core/outbound.py: public addresses only) it adds what talking to other
people's servers needs:

- a timeout on every call, and a body size limit;
- retries with exponential backoff and full jitter on network errors, 429 and 5xx, honouring Retry-After;
  a wait longer than `max_wait` is not slept in a worker: `RateLimited` carries it to the task, which
  retries later (the history import records it and resumes);
- a circuit per connection: after `CIRCUIT_THRESHOLD` failed calls in a row, calls stop for
  `CIRCUIT_COOLDOWN` and fail fast with `CircuitOpen`, so a dead shop does not tie up every worker;
- an outbound log row (`OutboundCall`) per attempt: host and path only, never a query string, a header or a
  body, so no token or secret can reach the log.

Clients are used from Celery tasks on the `integrations` queue, never in a web request, and outside
transactions (a rolled-back transaction would take its log rows with it).
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.db.models import F
from django.utils import timezone

from apps.core.outbound import (
    OutboundError,
    OutboundRefused,
    OutboundTooLarge,
    describe,
    guarded_client,
    read_limited,
)

from .models import Connection, OutboundCall

CIRCUIT_THRESHOLD = 5
CIRCUIT_COOLDOWN = timedelta(minutes=5)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_BYTES = 20 * 1024 * 1024


def pause(seconds: float) -> None:
    """Sleeping between attempts; tests replace it."""
    time.sleep(seconds)


class CallError(Exception):
    """A call that gave no usable answer. The message is safe to show a merchant: no secret, no query."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.retry_after = retry_after


class RateLimited(CallError):
    """The service asked us to wait longer than a worker should sleep; retry after `retry_after` seconds."""


class CircuitOpen(CallError):
    """Too many failures in a row: calls to this connection are paused until the circuit closes."""


class Unauthorized(CallError):
    """The service refused our credentials (401/403): retrying will not help, the merchant must act."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    content: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.content or b"null")
        except ValueError as exc:
            raise CallError(f"The answer (HTTP {self.status}) is not JSON.", status=self.status) from exc


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number ("2.0") or an HTTP date. None when absent or unreadable."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - (now if now is not None else time.time()), 0.0)


def backoff(attempt: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Full jitter: a random wait up to base * 2^(attempt-1), capped."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


class ApiClient:
    """Calls one connection's service. `throttle(reply)` may say a 200 is a soft rate limit (seconds to wait)."""

    def __init__(
        self,
        connection: Connection,
        *,
        base_url: str,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: float = 20.0,
        max_attempts: int = 4,
        max_wait: float = 30.0,
        throttle: Callable[[Reply], float | None] | None = None,
    ) -> None:
        self.connection = connection
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.throttle = throttle
        self._client = guarded_client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- the call -----------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        ok: Iterable[int] = (200, 201, 202, 204),
    ) -> Reply:
        """Send until a usable answer: statuses in `ok` return; 401/403 raise Unauthorized; other 4xx raise
        CallError with the parsed body (the caller may read a source's error code from it)."""
        self._refuse_while_open(operation, method, path)
        accepted = frozenset(ok)
        url = self._url(path)
        failure: CallError | None = None
        for attempt in range(1, self.max_attempts + 1):
            wait, failure, reply = self._attempt(method, url, operation, attempt, json_body, params, accepted)
            if reply is not None:
                self._record_success()
                return reply
            assert failure is not None
            if wait is None:  # not worth retrying
                if not isinstance(failure, Unauthorized) and (failure.status or 0) < 500:
                    self._record_success()  # the service answered: the circuit stays closed
                break
            if wait > self.max_wait:
                failure = RateLimited(str(failure), status=failure.status, body=failure.body, retry_after=wait)
                break
            if attempt < self.max_attempts:
                pause(wait)
        assert failure is not None
        if isinstance(failure, RateLimited) or (failure.status or 500) >= 500 or failure.status == 429:
            self._record_failure()
        raise failure

    def _attempt(self, method, url, operation, attempt, json_body, params, accepted):
        """One try: (seconds to wait before the next or None for no retry, the failure, or the reply)."""
        started = time.monotonic()
        status: int | None = None
        try:
            response = self._client.send(
                self._client.build_request(method, url, json=json_body, params=params), stream=True
            )
            try:
                status = response.status_code
                content = read_limited(response, response.request.url, max_bytes=MAX_BODY_BYTES)
            finally:
                response.close()
        except (OutboundTooLarge, OutboundRefused) as exc:  # retrying changes neither
            self._log(operation, method, url, attempt, status, started, str(exc))
            return None, CallError(str(exc), status=status), None
        except (httpx.HTTPError, OutboundError) as exc:
            message = _network_problem(url, exc)
            self._log(operation, method, url, attempt, status, started, message)
            return backoff(attempt), CallError(message), None
        reply = Reply(status=status, headers=response.headers, content=content)
        if status in RETRY_STATUSES:
            message = f"{describe(url)} answered HTTP {status}."
            self._log(operation, method, url, attempt, status, started, message)
            wait = retry_after_seconds(response.headers)
            return (wait if wait is not None else backoff(attempt)), CallError(message, status=status), None
        if status in accepted:
            throttled = self.throttle(reply) if self.throttle else None
            if throttled is not None:
                message = f"{describe(url)} is rate limiting us; waiting {throttled:.1f} s."
                self._log(operation, method, url, attempt, status, started, message)
                return throttled, CallError(message, status=429), None
            self._log(operation, method, url, attempt, status, started, "")
            return None, None, reply
        body = _parsed(content)
        if status in (401, 403):
            message = f"{describe(url)} refused our credentials (HTTP {status}). Check the token or key."
            self._log(operation, method, url, attempt, status, started, message)
            return None, Unauthorized(message, status=status, body=body), None
        message = f"{describe(url)} answered HTTP {status}."
        self._log(operation, method, url, attempt, status, started, message)
        return None, CallError(message, status=status, body=body), None

    # --- circuit and log ------------------------------------------------------------------------------

    def _refuse_while_open(self, operation: str, method: str, path: str) -> None:
        until = Connection.objects.filter(pk=self.connection.pk).values_list("circuit_open_until", flat=True).first()
        now = timezone.now()
        if until and until > now:
            seconds = (until - now).total_seconds()
            message = (
                f"Paused after {CIRCUIT_THRESHOLD} failed calls in a row; the next try is in {int(seconds) + 1} s."
            )
            self._log(operation, method, self._url(path), 0, None, time.monotonic(), message)
            raise CircuitOpen(message, retry_after=seconds)

    def _record_success(self) -> None:
        Connection.objects.filter(pk=self.connection.pk, failures_in_row__gt=0).update(
            failures_in_row=0, circuit_open_until=None
        )

    def _record_failure(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(failures_in_row=F("failures_in_row") + 1)
        Connection.objects.filter(pk=self.connection.pk, failures_in_row__gte=CIRCUIT_THRESHOLD).update(
            circuit_open_until=timezone.now() + CIRCUIT_COOLDOWN
        )

    def _log_target(self) -> tuple:
        """(store id, connection or None, source): whose "Calls out" log each call goes in."""
        return self.connection.store_id, self.connection, self.connection.source

    def _log(self, operation, method, url, attempt, status, started, error) -> None:
        store_id, connection, source = self._log_target()
        OutboundCall.objects.create(
            store_id=store_id,
            connection=connection,
            source=source,
            operation=operation[:80],
            method=method,
            url=describe(url)[:500],
            attempt=attempt,
            status_code=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            ok=not error,
            error=error[:500],
        )

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"


def _parsed(content: bytes) -> Any:
    try:
        return json.loads(content or b"null")
    except ValueError:
        return content[:500].decode("utf-8", "replace")


def _network_problem(url: str, exc: Exception) -> str:
    host = describe(url)
    if isinstance(exc, OutboundError):
        return str(exc)[:300]
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer in time."
    if isinstance(exc, httpx.ConnectError):
        return f"Could not connect to {host}."
    return f"The connection to {host} failed ({type(exc).__name__})."

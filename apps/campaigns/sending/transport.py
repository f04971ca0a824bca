"""Handing a batch of rendered emails to the ESP, and what became of each one.

Our emails are personal (each is rendered for its recipient from merchant templates), so Anymail's batch
sending through merge data does not fit: it sends one ESP-side template with per-recipient variables, and
Anymail's Postmark backend refuses merge data without an ESP template. Two ways in instead:

- Postmark: its `/email/batch` endpoint takes up to 500 distinct messages in one call and answers with one
  result per message, in order. Each message's JSON is built by Anymail's own Postmark payload (the same
  headers, metadata, tags and tracking a single send would carry); only the call is ours.
- Any other ESP: concurrent single sends through Anymail, one connection per thread.

Every email gets a Result, so the caller can record exactly the right ledger row. A request that may have
reached the ESP but got no answer is `unknown`: never sent again blindly.
"""

import json
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import requests
from anymail.backends.postmark import PostmarkPayload
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailInvalidAddress, AnymailRecipientsRefused
from anymail.utils import is_lazy, parse_address_list
from django.conf import settings
from django.core.mail import get_connection
from django.utils.encoding import force_str

logger = logging.getLogger(__name__)

SENT, REFUSED, RETRY, UNKNOWN, INVALID = "sent", "refused", "retry", "unknown", "invalid"
POSTMARK_BATCH_LIMIT = 500  # Postmark: "up to 500 messages" per /email/batch call
# Postmark API error codes that say this recipient or this message will never be accepted as it is
# (https://postmarkapp.com/developer/api/overview#error-codes): invalid request or address, inactive
# recipient (hard bounce, complaint, manual suppression). Any other code is worth a retry later.
POSTMARK_PERMANENT = {300, 406}


@dataclass(frozen=True)
class Result:
    kind: str  # SENT, REFUSED, RETRY, UNKNOWN or INVALID
    esp_message_id: str = ""
    detail: str = ""
    status_code: int | None = None


def send_all(emails: list) -> list[Result]:
    """Send `emails` (AnymailMessage, one recipient each); one Result per email, in the same order."""
    sender = Sender()
    for email in emails:
        sender.add(email)
    return sender.results()


class Sender:
    """Emails handed over as they are rendered. Where the ESP takes batches, each email's payload is built as it
    comes (in the caller's thread, which is busy anyway) and each full call is posted from a background thread
    while the caller renders the next: that thread only waits for the ESP, so it never competes with rendering
    for the interpreter. `results()` waits for every call and gives one Result per email, in the order added."""

    def __init__(self) -> None:
        self.backend = get_connection()
        self.postmark = PostmarkBatch(self.backend) if _is_postmark(self.backend) else None
        self.emails: list = []  # for ESPs without batches: sent concurrently by results()
        self.known: dict[int, Result] = {}  # refused before any call (an invalid address)
        self.bodies: list[dict] = []
        self.positions: list[int] = []
        self.calls: list[tuple[list[int], Future]] = []
        self.added = 0

    def add(self, email) -> None:
        position, self.added = self.added, self.added + 1
        if self.postmark is None:
            self.emails.append(email)
            return
        body = self.postmark.payload(email)
        if isinstance(body, Result):
            self.known[position] = body
            return
        self.bodies.append(body)
        self.positions.append(position)
        if len(self.bodies) >= _batch_limit():
            self._post_pending()

    def results(self) -> list[Result]:
        if self.postmark is None:
            return send_concurrently(self.emails) if self.emails else []
        if self.bodies:
            self._post_pending()
        results: list[Result | None] = [self.known.get(position) for position in range(self.added)]
        for positions, call in self.calls:
            for position, result in zip(positions, call.result(), strict=True):
                results[position] = result
        return results  # type: ignore[return-value]

    def _post_pending(self) -> None:
        data = json.dumps(self.bodies)
        call = _poster().submit(self.postmark.post, data, len(self.bodies))  # type: ignore[union-attr]
        self.calls.append((self.positions, call))
        self.bodies, self.positions = [], []


_posters: dict[int, ThreadPoolExecutor] = {}


def _poster() -> ThreadPoolExecutor:
    """One background thread per worker process (made after the fork: threads do not survive it), which keeps
    its keep-alive connection to the ESP from batch to batch (_session)."""
    pid = os.getpid()
    if pid not in _posters:
        _posters.clear()
        _posters[pid] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="esp-batch")
    return _posters[pid]


def _batch_limit() -> int:
    return max(1, min(POSTMARK_BATCH_LIMIT, getattr(settings, "CAMPAIGNS_ESP_BATCH_SIZE", POSTMARK_BATCH_LIMIT)))


def _is_postmark(backend) -> bool:
    from anymail.backends.postmark import EmailBackend as PostmarkBackend

    return isinstance(backend, PostmarkBackend) and not backend.use_bulk_api


# --- Postmark /email/batch -----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _parsed_addresses(addresses: tuple[str, ...], field: str) -> tuple:
    return tuple(parse_address_list(list(addresses), field=field))


def _remembered(field: str):
    """Anymail's address parsing for `field`, remembered per value: every email of a store has the same sender
    and reply-to, and the standard library's address parser costs more than the rest of the payload. An
    EmailAddress is read-only, so sharing one is safe; an invalid address is not remembered (lru_cache keeps no
    exception) and fails each time with Anymail's own message."""

    def parse(self, value):
        values = [value] if isinstance(value, str) or is_lazy(value) else list(value or [])
        return list(_parsed_addresses(tuple(force_str(item) for item in values if item is not None), field))

    return parse


class RememberingPostmarkPayload(PostmarkPayload):
    """Anymail's Postmark payload, with the sender and reply-to addresses parsed once per value."""

    base_message_attrs = tuple(
        (attr, combiner, f"parse_remembered_{attr}" if attr in ("from_email", "reply_to") else converter)
        for attr, combiner, converter in PostmarkPayload.base_message_attrs
    )
    parse_remembered_from_email = _remembered("from_email")
    parse_remembered_reply_to = _remembered("reply_to")


class PostmarkBatch:
    def __init__(self, backend):
        self.backend = backend

    def payload(self, email) -> dict | Result:
        """The message as Anymail's Postmark backend would send it alone, or why it cannot go at all."""
        try:
            return RememberingPostmarkPayload(email, self.backend.send_defaults, self.backend).data
        except AnymailInvalidAddress as exc:  # refused before anything reaches the ESP
            return Result(INVALID, detail=f"invalid address: {exc}"[:255])
        except AnymailError as exc:  # e.g. a feature this ESP lacks: nothing left this machine
            return Result(REFUSED, detail=f"not sendable through Postmark: {exc}"[:255])

    def post(self, data: str, count: int) -> list[Result]:
        """One /email/batch call with `count` messages (`data`, their JSON array): one Result each, in order."""
        backend = self.backend
        url = f"{backend.api_url}email/batch"
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Postmark-Server-Token": backend.server_token,
        }
        try:
            response = _session().post(url, data=data.encode(), headers=headers, timeout=backend.timeout)
        except requests.exceptions.ConnectTimeout as exc:  # no connection: nothing left this machine
            return [Result(RETRY, detail=f"ESP unreachable: {exc}"[:255])] * count
        except requests.exceptions.ConnectionError as exc:
            if _maybe_delivered(exc):
                return [_unknown("the connection broke after the batch was sent; it may have been sent")] * count
            return [Result(RETRY, detail=f"ESP unreachable: {exc}"[:255])] * count
        except requests.RequestException as exc:  # a read timeout, or anything else once the request left
            logger.warning("Postmark batch call failed after sending: %s", type(exc).__name__)
            return [_unknown()] * count
        return self._parse(response, count)

    def _parse(self, response, expected: int) -> list[Result]:
        status_code = response.status_code
        if status_code != 200:
            detail = f"ESP error {status_code}: {response.text[:200]}"
            kind = REFUSED if permanent_refusal(status_code) else RETRY
            return [Result(kind, detail=detail, status_code=status_code)] * expected
        try:
            answers = response.json()
        except ValueError:
            answers = None
        if not isinstance(answers, list) or len(answers) != expected:
            # The ESP took the call but we cannot tell which message went: a person decides, nothing resends.
            logger.error("Postmark batch answer does not match the batch (%s messages)", expected)
            return [_unknown("the ESP's answer did not say what became of this email")] * expected
        return [self._one(answer) for answer in answers]

    @staticmethod
    def _one(answer) -> Result:
        if not isinstance(answer, dict):
            return _unknown("the ESP's answer did not say what became of this email")
        code = answer.get("ErrorCode", 0)  # missing when Postmark only delays delivery
        message = str(answer.get("Message", ""))
        if code == 0 and answer.get("MessageID"):
            return Result(SENT, esp_message_id=str(answer["MessageID"]), detail=message[:255])
        if code == 0:
            return _unknown("the ESP accepted the call without a message id")
        detail = f"ESP error {code}: {message}"[:255]
        # A Postmark error code is not an HTTP status: the kind is decided here, and no status is passed on.
        return Result(REFUSED if code in POSTMARK_PERMANENT else RETRY, detail=detail)


_local = threading.local()


# A connection idle for longer than this is not reused: the ESP (or a proxy) may close it at any moment after
# its own idle timeout, and a batch posted on a connection closing under it cannot tell whether it arrived (it
# would be `unknown`: 500 emails for a person to decide). Busy workers, posting every second, keep theirs.
KEEP_ALIVE_SECONDS = 15.0


def _session() -> requests.Session:
    """One keep-alive HTTP session per thread: a worker's batches reuse its connection to the ESP."""
    now = time.monotonic()
    session = getattr(_local, "session", None)
    if session is not None and now - _local.used_at > KEEP_ALIVE_SECONDS:
        session.close()
        session = None
    if session is None:
        session = _local.session = requests.Session()
    _local.used_at = now
    return session


def _unknown(detail: str = "the ESP did not answer in time; it may have sent it") -> Result:
    return Result(UNKNOWN, detail=detail)


def _maybe_delivered(exc: requests.RequestException) -> bool:
    """A connection that broke after the request went out (reset, remote closed) may have delivered it."""
    text = str(exc).lower()
    return "aborted" in text or "reset" in text or "remotedisconnected" in text or "broken pipe" in text


# --- Any other ESP: concurrent single sends ----------------------------------------------------------------


def send_concurrently(emails: list) -> list[Result]:
    workers = max(1, min(getattr(settings, "CAMPAIGNS_SEND_CONCURRENCY", 8), len(emails)))
    if workers == 1 or not _is_network_backend():
        with get_connection() as connection:
            return [send_one(email, connection) for email in emails]
    chunks = [emails[index::workers] for index in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        chunk_results = list(pool.map(_send_chunk, chunks))
    results: list[Result] = [None] * len(emails)  # type: ignore[list-item]
    for index, chunk in enumerate(chunk_results):
        results[index::workers] = chunk
    return results


def _is_network_backend() -> bool:
    """Local backends (Anymail's test backend, files, memory) gain nothing from threads and tests need their
    order; real ESP backends talk HTTP."""
    from anymail.backends.base_requests import AnymailRequestsBackend

    return isinstance(get_connection(), AnymailRequestsBackend)


def _send_chunk(emails: list) -> list[Result]:
    with get_connection() as connection:  # one HTTP session per thread: sessions are not shared
        return [send_one(email, connection) for email in emails]


def send_one(email, connection) -> Result:
    email.connection = connection
    try:
        email.send()
    except AnymailRecipientsRefused as exc:
        return Result(REFUSED, detail=str(exc)[:255])
    except AnymailInvalidAddress as exc:
        return Result(INVALID, detail=f"invalid address: {exc}"[:255])
    except AnymailAPIError as exc:
        return from_api_error(exc)
    except AnymailError as exc:  # refused by Anymail before any request (an unsupported feature): nothing left
        return Result(REFUSED, detail=f"not sent: {exc}"[:255])
    except Exception as exc:  # anything else may have happened mid-request: a person decides
        logger.exception("Sending message failed unexpectedly")
        return Result(UNKNOWN, detail=f"unexpected error: {type(exc).__name__}"[:255])
    status = email.anymail_status
    return Result(SENT, esp_message_id="" if status.message_id is None else str(status.message_id))


def permanent_refusal(status_code: int | None) -> bool:
    """An HTTP answer no retry will change: a 4xx other than 429 (too many requests). 5xx, 429 and no answer at
    all are worth another try."""
    return status_code is not None and 400 <= status_code < 500 and status_code != 429


def from_api_error(exc: AnymailAPIError) -> Result:
    """What an ESP error from Anymail means for the email: a read timeout may have been sent (unknown); a
    permanent refusal is final; anything else is retried."""
    status_code = getattr(exc, "status_code", None)
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, requests.exceptions.ReadTimeout):
        return _unknown()
    detail = f"ESP error {status_code}: {exc}"[:255]
    return Result(REFUSED if permanent_refusal(status_code) else RETRY, detail=detail, status_code=status_code)

"""Handing a case to the store's own help desk: a signed JSON POST (X-Afterglow-Signature: sha256=<hex HMAC of
the body>) through the project's outbound client, so each attempt is in the "Calls out" log and only public
addresses are reached. The task retries on failure; every outcome is on the case's timeline."""

import hashlib
import hmac
import json
import time

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.outbound import OutboundRefused, check_url, describe, guarded_client
from apps.integrations.calls import ApiClient, CallError
from apps.integrations.models import Source

from ..models import CaseEventKind, CriticCase, HelpdeskHook
from ..selectors import buyer_language, critic_case_for_store, helpdesk_hook_for_store
from .case_events import case_event_record

OPERATION = "helpdesk.handoff"


SIGNATURE_HEADER = "X-Afterglow-Signature"


class HandoffError(ValueError):
    """The hook cannot be saved or used (an address we would not call, no secret...)."""


@transaction.atomic
def helpdesk_hook_save(*, store, url: str, secret: str = "", enabled: bool = True) -> HelpdeskHook:
    """Set the store's help-desk address and secret. An empty secret keeps the saved one."""
    url = (url or "").strip()
    try:
        check_url(url, resolve_host=False)
    except OutboundRefused as exc:
        raise HandoffError(str(exc)) from exc
    hook = HelpdeskHook.objects.select_for_update().filter(store=store).first()
    secret = (secret or "").strip()
    if hook is None:
        if not secret:
            raise HandoffError(_("Set a secret: the help desk checks each delivery with it."))
        return HelpdeskHook.objects.create(store=store, url=url, secret=secret, enabled=enabled)
    hook.url = url
    hook.enabled = enabled
    if secret:
        hook.secret = secret
    hook.save()
    return hook


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def handoff_payload(*, case: CriticCase) -> dict:
    """What the help desk receives: the case, the buyer, the order, its shipments and the timeline."""
    from ..timeline import case_timeline

    response = case.response
    order = response.order
    customer = response.customer
    return {
        "event": "critics_case.handoff",
        "case": {
            "id": case.pk,
            "status": case.status,
            "score": response.score,
            "comment": response.comment,
            "topics": list(response.topics or []),
            "opened_at": case.opened_at.isoformat(),
            "url": f"{settings.SITE_URL}/dashboard/critics/{case.pk}/",
        },
        "buyer": {
            "email": order.email,
            "name": customer.full_name if customer else "",
            "language": buyer_language(case),
        },
        "order": {
            "number": order.number,
            "placed_at": order.placed_at.isoformat() if order.placed_at else None,
            "total": str(order.total),
            "currency": order.currency,
        },
        "shipments": [
            {
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "status": shipment.status,
                "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
            }
            for shipment in order.shipments.all()
        ],
        "timeline": [entry.as_json() for entry in case_timeline(case=case)],
    }


def handoff_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class HelpdeskClient(ApiClient):
    """The outbound client for a store's help desk: no Connection row behind it, so no circuit; each attempt
    is logged in the Calls out log under the store."""

    def __init__(self, hook: HelpdeskHook, **kwargs) -> None:
        self.hook = hook
        self.connection = None
        self.base_url = hook.url
        self.max_attempts = kwargs.pop("max_attempts", 1)
        self.max_wait = 30.0
        self.throttle = None

        self._client = guarded_client(timeout=httpx.Timeout(15.0, connect=10.0), headers={"Accept": "application/json"})

    def _refuse_while_open(self, operation, method, path) -> None:
        return None

    def _record_success(self) -> None:
        return None

    def _record_failure(self) -> None:
        return None

    def _log_target(self) -> tuple:
        return self.hook.store_id, None, Source.API  # a help desk has no Connection row

    def post_signed(self, body: bytes, signature: str):
        """POST these exact bytes (the signature covers them) with one attempt: retries are the task's."""
        started = time.monotonic()
        url = self.hook.url
        request = self._client.build_request(
            "POST", url, content=body, headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        )
        try:
            response = self._client.send(request)
        except Exception as exc:  # network problems and refused addresses alike
            message = f"Could not reach {describe(url)} ({type(exc).__name__})."
            self._log(OPERATION, "POST", url, 1, None, started, message)
            raise CallError(message) from exc
        status = response.status_code
        if 200 <= status < 300:
            self._log(OPERATION, "POST", url, 1, status, started, "")
            return status
        message = f"{describe(url)} answered HTTP {status}."
        self._log(OPERATION, "POST", url, 1, status, started, message)
        raise CallError(message, status=status)


def case_handoff_request(*, case: CriticCase, user) -> None:
    """Queue the hand-off (after commit); the task does the call."""
    from ..tasks import case_handoff_task

    hook = helpdesk_hook_for_store(store=case.store)
    if hook is None or not hook.enabled:
        raise HandoffError(_("Set up the help desk first (Settings → Help desk)."))
    transaction.on_commit(lambda: case_handoff_task.delay(case.pk, user.pk if user else None))


def case_handoff_deliver(*, case_id: int, user_id: int | None = None, final: bool = True) -> bool:
    """One delivery attempt, outside any transaction (the Calls out row must survive a failure). On success
    the case gets handed_off_at and a timeline entry; on the last failure, a timeline entry saying why.
    Raises CallError on a failure that is worth retrying (network, 429, 5xx) when not `final`."""
    case = CriticCase.objects.select_related("store").get(pk=case_id)
    hook = helpdesk_hook_for_store(store=case.store)
    if hook is None or not hook.enabled:
        return False
    case = critic_case_for_store(store=case.store, pk=case_id)
    body = handoff_body(handoff_payload(case=case))
    client = HelpdeskClient(hook)
    try:
        client.post_signed(body, sign(body, hook.secret))
    except CallError as exc:
        retryable = exc.status is None or exc.status >= 500 or exc.status == 429
        if retryable and not final:
            raise
        with transaction.atomic():
            case_event_record(
                case=case,
                kind=CaseEventKind.HANDOFF,
                author_id=user_id,
                detail={"ok": False, "error": str(exc)[:300], "to": describe(hook.url)},
            )
        return False
    finally:
        client.close()
    now = timezone.now()
    with transaction.atomic():
        CriticCase.objects.filter(pk=case.pk).update(handed_off_at=now, modified_at=now)
        case_event_record(
            case=case,
            kind=CaseEventKind.HANDOFF,
            author_id=user_id,
            happened_at=now,
            detail={"ok": True, "to": describe(hook.url)},
        )
    return True

""" "Send a test event": a delivery shaped and signed like the source's own, posted to our public webhook
address, so the merchant sees the whole path work (address, proxy, TLS, signature, parsing) before a real
order depends on it. The answer our endpoint gave is kept on the connection; the delivery itself is in the
inbound log like any other."""

from __future__ import annotations

import json

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..models import Connection
from ..registry import remote_for


def webhook_url(connection: Connection) -> str:
    """The address the source posts to: what the merchant pastes into the source's settings."""
    path = reverse("integrations:webhook", kwargs={"source": connection.source, "store_slug": connection.store.slug})
    return f"{settings.SITE_URL}{path}"


def connection_send_test_event(*, connection_id: int) -> Connection | None:
    """Post the source's test delivery to our own endpoint and record the answer. A plain client: the
    address is the operator's SITE_URL, never one a merchant typed, and it may well be this machine."""
    connection = Connection.objects.select_related("store").filter(pk=connection_id).first()
    remote = remote_for(connection.source) if connection else None
    if connection is None or remote is None or remote.test_event is None:
        return None
    headers, body = remote.test_event(connection)
    try:
        response = httpx.post(webhook_url(connection), content=body, headers=headers, timeout=15.0, trust_env=False)
    except httpx.HTTPError as exc:
        ok, result = False, f"Could not reach {settings.SITE_URL}: {type(exc).__name__}. Is SITE_URL this server?"
    else:
        ok = response.status_code < 300
        result = f"HTTP {response.status_code}: {_said(response)}"
    Connection.objects.filter(pk=connection.pk).update(
        test_event_at=timezone.now(), test_event_result=result[:500], test_event_ok=ok
    )
    connection.refresh_from_db()
    return connection


def _said(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except (ValueError, json.JSONDecodeError):
        return response.text[:200] or "(no body)"
    if isinstance(answer, dict):
        return str(answer.get("summary") or answer.get("error") or answer.get("status") or answer)[:300]
    return str(answer)[:300]

"""Sending a case to the store's help desk: a signed JSON POST through the outbound client, logged in Calls out,
retried when the help desk answers 500, recorded on the timeline; handed_off_at set once it arrived."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry

from apps.feedback.models import CaseEvent, CaseEventKind, CriticCase, HelpdeskHook
from apps.feedback.services.case_events import case_note_add
from apps.feedback.services.cases import case_start
from apps.feedback.services.handoffs import HandoffError, helpdesk_hook_save
from apps.feedback.tasks import case_handoff_task
from apps.integrations.models import OutboundCall
from tests.feedback.desk_helpers import detractor_case
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db
SECRET = "hd-secret-123"


class HelpDesk:
    """A local help desk answering the statuses it is given, in turn, and keeping what it received."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.received = []
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                desk.received.append((dict(self.headers), body))
                status = desk.statuses.pop(0) if desk.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/afterglow"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_network(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def agent():
    return MembershipFactory(role="support", user__email="help@shop.example")


def desk(statuses):
    server = HelpDesk(statuses)
    return server


def run_handoff(case, user):
    """The task as a worker runs it, retries included (eager Celery stops at the first Retry)."""
    for attempt in range(case_handoff_task.max_retries + 1):
        try:
            return case_handoff_task.apply(args=[case.pk, user.pk], retries=attempt)
        except Retry:
            continue


def test_a_case_arrives_signed_with_the_buyer_order_shipment_and_timeline(agent, local_network):
    server = desk([200])
    try:
        case = detractor_case(agent.store)
        case_start(case=case, user=agent.user)
        case_note_add(case=case, author=agent.user, body="Courier admits the damage")
        helpdesk_hook_save(store=agent.store, url=server.url, secret=SECRET)
        # when the task runs (the "Send to help desk" button queues it)
        run_handoff(case, agent.user)
    finally:
        server.close()
    # then one POST arrived, its signature the HMAC of the exact body with the store's secret
    ((headers, body),) = server.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Afterglow-Signature"] == expected
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["case"]["id"] == case.pk and payload["case"]["score"] == 3
    assert payload["buyer"] == {"email": "jimin@example.com", "name": "지민 Kim", "language": "ko"}
    assert payload["order"]["number"] == "#2044"
    assert payload["shipments"][0]["tracking_number"] == "CJ2044"
    kinds = [entry["kind"] for entry in payload["timeline"]]
    assert {"order", "checkpoint", "answer", "status", "note"} <= set(kinds)
    # and the call is in Calls out, the timeline says it arrived, handed_off_at is set
    (call,) = OutboundCall.objects.filter(store=agent.store)
    assert call.ok and call.status_code == 200 and call.operation == "helpdesk.handoff"
    assert SECRET not in call.url + call.error
    (event,) = CaseEvent.objects.filter(case=case, kind=CaseEventKind.HANDOFF)
    assert event.detail["ok"] is True and event.author == agent.user
    assert CriticCase.objects.get(pk=case.pk).handed_off_at is not None


def test_a_500_is_retried_and_each_attempt_is_logged(agent, local_network):
    server = desk([500, 502, 200])
    try:
        case = detractor_case(agent.store)
        helpdesk_hook_save(store=agent.store, url=server.url, secret=SECRET)
        run_handoff(case, agent.user)
    finally:
        server.close()
    assert len(server.received) == 3
    assert list(OutboundCall.objects.order_by("id").values_list("status_code", "ok")) == [
        (500, False),
        (502, False),
        (200, True),
    ]
    # every attempt carried the same valid signature
    for headers, body in server.received:
        assert (
            headers["X-Afterglow-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        )
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.HANDOFF).count() == 1
    assert CriticCase.objects.get(pk=case.pk).handed_off_at is not None


def test_a_help_desk_that_keeps_failing_is_said_on_the_timeline(agent, local_network):
    server = desk([500] * 10)
    try:
        case = detractor_case(agent.store)
        helpdesk_hook_save(store=agent.store, url=server.url, secret=SECRET)
        run_handoff(case, agent.user)
    finally:
        server.close()
    (event,) = CaseEvent.objects.filter(case=case, kind=CaseEventKind.HANDOFF)
    assert event.detail["ok"] is False and "500" in event.detail["error"]
    assert CriticCase.objects.get(pk=case.pk).handed_off_at is None


def test_a_private_address_is_refused_when_called(agent):
    # given a hook on a private address (allowed networks left at their default: none)
    case = detractor_case(agent.store)
    HelpdeskHook.objects.create(store=agent.store, url="http://10.0.0.5/hook", secret=SECRET)
    run_handoff(case, agent.user)
    (call,) = OutboundCall.objects.all()[:1]
    assert not call.ok
    assert CriticCase.objects.get(pk=case.pk).handed_off_at is None


def test_a_hook_needs_a_secret_and_an_http_address(agent):
    with pytest.raises(HandoffError):
        helpdesk_hook_save(store=agent.store, url="https://desk.example.com/hook", secret="")
    with pytest.raises(HandoffError):
        helpdesk_hook_save(store=agent.store, url="ftp://desk.example.com/hook", secret=SECRET)
    hook = helpdesk_hook_save(store=agent.store, url="https://desk.example.com/hook", secret=SECRET)
    # saving again without a secret keeps it
    hook = helpdesk_hook_save(store=agent.store, url="https://desk.example.com/v2", secret="")
    assert hook.secret == SECRET and hook.url.endswith("/v2")

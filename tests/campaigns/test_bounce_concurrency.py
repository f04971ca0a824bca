"""Two soft-bounce reports for one address arriving at the same moment are counted one after the other: the
one counted second sees both, so the address is suppressed when they make the limit. Needs PostgreSQL (row
locks); SQLite runs writers one at a time anyway."""

import threading
import time
from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, EventType
from django.db import connection
from django.utils import timezone

from apps.campaigns.models import FlowKind, Message, MessageEvent, MessageStatus
from apps.campaigns.services import esp_reports
from apps.campaigns.services.esp_reports import esp_event_record
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.customers.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ADDRESS = "buyer@example.com"


def soft_bounce(message: Message, at) -> AnymailTrackingEvent:
    return AnymailTrackingEvent(
        event_type=EventType.BOUNCED,
        timestamp=at,
        recipient=ADDRESS,
        metadata={"message_id": str(message.pk)},
        esp_event={"event": "soft_bounce", "email": ADDRESS, "ts_epoch": int(at.timestamp() * 1000)},
    )


def test_two_soft_bounces_arriving_together_are_both_counted(flows, monkeypatch):
    buyer = CustomerFactory(store=flows[FlowKind.WIN_BACK].store, email=ADDRESS, consenting=True)
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    messages = messages_schedule(
        [
            Planned(
                step=step, subject_key=f"test:{n}", email=ADDRESS, scheduled_for=timezone.now(), customer_id=buyer.pk
            )
            for n in range(3)
        ]
    )
    Message.objects.update(status=MessageStatus.SENT, sent_at=timezone.now())
    first = timezone.now() - timedelta(days=4)
    esp_event_record(event=soft_bounce(messages[0], first), esp_name="Brevo")

    # Each count waits a moment before it looks, so both reports are in flight at once.
    count = esp_reports.soft_bounces_since_last_delivery

    def slow_count(**kwargs):
        time.sleep(0.5)
        return count(**kwargs)

    monkeypatch.setattr(esp_reports, "soft_bounces_since_last_delivery", slow_count)
    start, errors = threading.Barrier(2), []

    def report(message, at):
        try:
            start.wait()
            esp_event_record(event=soft_bounce(message, at), esp_name="Brevo")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=report, args=(messages[1], first + timedelta(days=2))),
        threading.Thread(target=report, args=(messages[2], first + timedelta(days=4))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert MessageEvent.objects.filter(bounce="soft").count() == 3
    buyer.refresh_from_db()
    assert buyer.suppressed_at is not None

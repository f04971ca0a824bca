from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.models import Message
from apps.core.retention import purge_expired
from apps.integrations.models import InboundEvent, OutboundCall
from tests.campaigns.factories import MessageFactory
from tests.integrations.factories import InboundEventFactory

pytestmark = pytest.mark.django_db


def test_old_payloads_and_bodies_are_blanked_and_recent_ones_kept(settings):
    settings.RETENTION_INBOUND_DAYS, settings.RETENTION_MESSAGE_BODY_DAYS = 30, 90
    now = timezone.now()
    old_event = InboundEventFactory(received_at=now - timedelta(days=31), headers={"X-Topic": "x"})
    new_event = InboundEventFactory(received_at=now - timedelta(days=29))
    old_message = MessageFactory(sent=True, scheduled_for=now - timedelta(days=91))
    new_message = MessageFactory(sent=True, scheduled_for=now - timedelta(days=89))
    store = old_event.store
    for age in (31, 29):
        call = OutboundCall.objects.create(store=store, source="shopify", operation="shop", method="POST", url="u")
        OutboundCall.objects.filter(pk=call.pk).update(created_at=now - timedelta(days=age))

    assert purge_expired(now=now) == {"inbound_payloads": 1, "message_bodies": 1, "outbound_calls": 1}
    assert purge_expired(now=now) == {"inbound_payloads": 0, "message_bodies": 0, "outbound_calls": 0}
    assert OutboundCall.objects.count() == 1

    old_event = InboundEvent.objects.get(pk=old_event.pk)
    assert (old_event.body, old_event.headers, old_event.topic) == ("", {}, "orders/create")  # the row stays
    assert InboundEvent.objects.get(pk=new_event.pk).body != ""
    old_message = Message.objects.get(pk=old_message.pk)
    assert (old_message.body_html, old_message.status) == ("", "sent")
    assert Message.objects.get(pk=new_message.pk).body_html != ""

import pytest
from django.urls import reverse

from apps.campaigns.models import MessageStatus
from tests.campaigns.factories import MessageFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    membership = MembershipFactory(role="support")
    client.force_login(membership.user)
    return membership


def test_the_log_filters_by_state_and_finds_by_email(client, support):
    sent = MessageFactory(store=support.store, sent=True, email="ana@example.com")
    failed = MessageFactory(store=support.store, status=MessageStatus.FAILED, reason="ESP error 422")
    assert client.get(reverse("dashboard:message_list"), {"status": "failed"}).context["page"].items == [failed]
    assert client.get(reverse("dashboard:message_list"), {"q": "Ana@Example.com"}).context["page"].items == [sent]


def test_the_detail_shows_the_trace_and_frames_the_email_under_its_own_policy(client, support):
    message = MessageFactory(store=support.store, sent=True, trace=[
        {"at": "2026-06-01T10:00:00", "action": "scheduled", "rule": "trigger", "reason": "order #1 placed"},
        {"at": "2026-06-01T10:00:01", "action": "sent", "rule": "transactional", "reason": "transactional mail"},
    ])  # fmt: skip
    page = client.get(reverse("dashboard:message_detail", args=[message.pk])).content.decode()
    assert "order #1 placed" in page
    assert 'sandbox src="' in page
    body = client.get(reverse("dashboard:message_body", args=[message.pk]))
    assert b"Thank you for your order" in body.content
    assert "default-src 'none'" in body["Content-Security-Policy"]
    assert body["X-Frame-Options"] == "SAMEORIGIN"

"""Erasing a buyer blanks their case's conversation and notes too; the timeline keeps its shape."""

import pytest

from apps.customers.privacy import customer_erase
from apps.feedback.models import CaseEvent, CaseEventKind
from apps.feedback.services.case_events import case_note_add, case_reply_send
from tests.feedback.desk_helpers import detractor_case
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_an_erased_buyers_case_events_lose_their_bodies(mailoutbox):
    agent = MembershipFactory(role="support")
    case = detractor_case(agent.store)
    other = detractor_case(agent.store, email="someone@example.com", number="#2099")
    case_reply_send(case=case, author=agent.user, subject="주문 #2044", body="지민님, 죄송해요")
    case_note_add(case=case, author=agent.user, body="지민 lives at 12 Hangang-ro")
    kept = case_note_add(case=other, author=agent.user, body="Another buyer's note")
    # when the buyer is erased
    customer_erase(customer=case.response.customer, confirm_email="jimin@example.com")
    # then their case's events stay, without words or addresses; another buyer's are untouched
    events = CaseEvent.objects.filter(case=case, kind__in=[CaseEventKind.REPLY_OUT, CaseEventKind.NOTE])
    assert events.count() == 2
    assert all(e.body == "" and e.subject == "" and "jimin@example.com" not in str(e.detail) for e in events)
    kept.refresh_from_db()
    assert kept.body == "Another buyer's note"

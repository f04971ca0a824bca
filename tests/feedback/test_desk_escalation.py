"""A case past its response target unanswered: the owners are told once, however many runs or workers."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.feedback.models import CaseEvent, CaseEventKind, CriticCase
from apps.feedback.services.case_events import case_reply_send
from apps.feedback.services.escalations import cases_escalate
from apps.stores.models import Role
from tests.feedback.desk_helpers import detractor_case
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    membership = MembershipFactory(role=Role.OWNER, user__email="boss@shop.example")
    MembershipFactory(store=membership.store, role=Role.SUPPORT, user__email="help@shop.example")
    return membership


def test_a_breached_case_is_escalated_once_when_the_scan_runs_twice(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    # given a case 30 h old against the 24 h target, a fresh one, and an old one already answered
    late = detractor_case(owner.store, hours_ago=30)
    detractor_case(owner.store, hours_ago=2, email="fresh@example.com", number="#2045")
    answered = detractor_case(owner.store, hours_ago=40, email="answered@example.com", number="#2046")
    case_reply_send(case=answered, author=owner.user, body="Sorry!")
    mailoutbox.clear()
    # when the escalation runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = cases_escalate()
    with django_capture_on_commit_callbacks(execute=True):
        second = cases_escalate()
    # then the late case alone was escalated, once, and only the owners were emailed
    assert (first, second) == (1, 0)
    (sent,) = mailoutbox
    assert sent.to == ["boss@shop.example"]
    assert "#2044" in sent.subject
    late.refresh_from_db()
    assert late.escalated_at is not None
    assert CaseEvent.objects.filter(kind=CaseEventKind.ESCALATED).count() == 1
    assert CriticCase.objects.filter(escalated_at__isnull=False).count() == 1


def test_a_case_not_yet_due_is_left_alone(owner, mailoutbox):
    detractor_case(owner.store, hours_ago=23)
    assert cases_escalate() == 0
    assert mailoutbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_email(owner, mailoutbox):
    # given a breached case and two workers starting together
    detractor_case(owner.store, hours_ago=30)
    mailoutbox.clear()  # the alert that the case opened
    barrier, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            barrier.wait()
            results.append(cases_escalate(now=timezone.now() + timedelta(seconds=1)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then one of them escalated it, and one email went
    assert not errors
    assert sorted(results) == [0, 1]
    assert len(mailoutbox) == 1
    assert CaseEvent.objects.filter(kind=CaseEventKind.ESCALATED).count() == 1

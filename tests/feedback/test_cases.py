"""Working a critics case: take it, assign it, resolve it, and ask the buyer again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.models import Flow, FlowKind, Message, MessageStatus
from apps.campaigns.selectors import resurveys_for_store
from apps.feedback.models import CaseOutcome, CaseStatus
from apps.feedback.selectors import critic_recovery
from apps.feedback.services.cases import CaseError, case_assign, case_resolve, case_resurvey, case_start
from apps.feedback.services.nps import nps_record
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.stores.factories import MembershipFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    store = StoreFactory()
    order = OrderFactory(store=store, customer=CustomerFactory(store=store, consenting=True))
    return nps_record(order=order, score=3).case


def test_a_new_detractor_case_alerts_the_stores_support_address(mailoutbox, django_capture_on_commit_callbacks):
    # given a store with a support address
    store = StoreFactory(support_email="help@shop.example")
    order = OrderFactory(store=store)
    # when a buyer answers 2
    with django_capture_on_commit_callbacks(execute=True):
        nps_record(order=order, score=2)
    # then support hears about it, with a link to the queue
    assert mailoutbox[0].to == ["help@shop.example"]
    assert "/dashboard/critics/" in mailoutbox[0].body


def test_taking_a_case_puts_it_in_progress_and_assigns_it(case):
    support = MembershipFactory(store=case.store, role="support").user
    case = case_start(case=case, user=support)
    assert (case.status, case.assignee) == (CaseStatus.IN_PROGRESS, support)


def test_a_case_is_assigned_to_members_only(case):
    teammate = MembershipFactory(store=case.store, role="manager").user
    assert case_assign(case=case, assignee=teammate).assignee == teammate
    with pytest.raises(CaseError):
        case_assign(case=case, assignee=UserFactory())
    case.refresh_from_db()
    assert case.assignee == teammate
    assert case_assign(case=case, assignee=None).assignee is None


def test_resolving_needs_a_note_and_an_outcome(case):
    with pytest.raises(CaseError):
        case_resolve(case=case, note="  ", outcome=CaseOutcome.REFUND)
    with pytest.raises(CaseError):
        case_resolve(case=case, note="Refunded the shipping.", outcome="maybe")
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    # when both are given
    resolved = case_resolve(case=case, note="Refunded the shipping.", outcome=CaseOutcome.REFUND)
    # then it is resolved, once
    assert (resolved.status, resolved.outcome, resolved.resolution_note) == (
        "resolved",
        "refund",
        "Refunded the shipping.",
    )
    assert resolved.resolved_at is not None
    with pytest.raises(CaseError):
        case_resolve(case=resolved, note="again", outcome=CaseOutcome.OTHER)


def test_a_resurvey_is_planned_once_in_the_ledger_and_measures_recovery(case):
    # given a resolved case and the NPS flow switched on
    Flow.objects.filter(store=case.store, kind=FlowKind.NPS_SURVEY).update(enabled=True)
    case = case_resolve(case=case, note="Sent a replacement.", outcome=CaseOutcome.REPLACEMENT)
    # when support asks again in three days
    first = case_resurvey(case=case, delay_days=3)
    second = case_resurvey(case=case, delay_days=0)
    # then one NPS email is planned, on the re-survey step, about this case
    message = Message.objects.get()
    assert first.created and not second.created and second.message.pk == message.pk
    assert message.step.key == "re-survey" and message.step.flow.kind == FlowKind.NPS_SURVEY
    assert message.subject_key == f"recovery:{case.pk}"
    assert message.status == MessageStatus.SCHEDULED
    assert message.scheduled_for > timezone.now() + timedelta(days=2, hours=23)
    assert message.order_id == case.response.order_id
    # and when the buyer answers 9 afterwards, the case counts as won back
    resurveys = resurveys_for_store(store=case.store)
    asked = {case_id: m.created_at for case_id, m in resurveys.items()}
    assert critic_recovery(store=case.store, resurveyed_at=asked)["recovered"] == 0
    nps_record(order=case.response.order, score=9)
    recovery = critic_recovery(store=case.store, resurveyed_at=asked)
    assert recovery == {"resurveyed": 1, "recovered": 1, "rate": 1.0}


def test_a_resurvey_waits_for_resolution_and_for_the_nps_flow(case):
    with pytest.raises(CaseError, match="Resolve"):
        case_resurvey(case=case)
    case = case_resolve(case=case, note="Called them.", outcome=CaseOutcome.EXPLAINED)
    with pytest.raises(CaseError, match="switched off"):
        case_resurvey(case=case)
    assert not Message.objects.exists()

"""A flow's holdout group: a fixed share of buyers gets none of its emails, always the same buyers."""

import pytest
from django.utils import timezone

from apps.campaigns.abtest import in_holdout
from apps.campaigns.dispatch import message_send
from apps.campaigns.models import FlowKind, Message, MessageStatus
from apps.campaigns.services.messages import Planned, messages_schedule

pytestmark = pytest.mark.django_db


def plan(step, emails):
    now = timezone.now()
    return messages_schedule(
        [Planned(step=step, subject_key=f"k:{email}", email=email, scheduled_for=now) for email in emails]
    )


def test_a_fifth_of_buyers_held_out_get_a_ledger_row_but_no_email(flows, mailoutbox):
    flow = flows[FlowKind.WIN_BACK]
    flow.holdout_percent = 20
    flow.save()
    emails = [f"buyer{n}@example.com" for n in range(500)]
    # when the flow plans an email for 500 buyers (and plans again)
    plan(flow.steps.get(key="offer"), emails)
    plan(flow.steps.get(key="offer"), emails)
    held = Message.objects.filter(step__flow=flow, status=MessageStatus.SKIPPED)
    # then about a fifth are held out, each with its reason, and none of them is ever sent
    assert 70 <= held.count() <= 130
    assert Message.objects.filter(step__flow=flow).count() == 500
    assert {m.trace[-1]["rule"] for m in held} == {"holdout"}
    for message in held[:5]:
        assert message_send(message_id=message.pk).status == "not_claimed"
    assert mailoutbox == []
    # and a buyer is on the same side for every email of the flow
    assert all(in_holdout(flow, m.email) for m in held)


def test_transactional_flows_have_no_holdout(flows):
    flow = flows[FlowKind.ORDER_CONFIRMATION]
    flow.holdout_percent = 50
    assert not any(in_holdout(flow, f"b{n}@example.com") for n in range(100))

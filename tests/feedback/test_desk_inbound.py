"""A buyer's emailed answer comes back through Anymail's inbound webhook (the published Postmark fixture,
addressed to the case) and lands on the case's timeline once; a forged, unknown or foreign address is refused
and stored nowhere. Every payload is posted twice."""

import logging

import pytest

from apps.feedback.models import CaseEvent, CaseEventKind
from apps.feedback.services.case_events import case_reply_address, case_reply_send
from tests.feedback.desk_helpers import AUTH, detractor_case, postmark_inbound
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db
URL = "/anymail/postmark/inbound/"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}


@pytest.fixture
def agent():
    return MembershipFactory(role="support")


def post_twice(client, body):
    return [client.post(URL, data=body, content_type="application/json", **AUTH).status_code for _ in range(2)]


def test_the_buyers_answer_lands_on_the_timeline_once_with_its_message_id(client, agent, mailoutbox):
    # given a case the agent replied to
    case = detractor_case(agent.store)
    case_reply_send(case=case, author=agent.user, body="죄송해요")
    body = postmark_inbound(
        to=case_reply_address(case),
        event_id="pm-evt-1",
        text="괜찮아요, 새 상자를 받았어요.\n\nOn Tue, 1 Dec 2026 Seoul Tea wrote:\n> 죄송해요",
        message_id="<answer-1@mail.example.org>",
    )
    # when the ESP posts the answer, twice (a retry)
    assert post_twice(client, body) == [200, 200]
    # then the answer is on the timeline once, without the quoted history, with its Message-ID
    (answer,) = CaseEvent.objects.filter(case=case, kind=CaseEventKind.REPLY_IN)
    assert answer.body == "괜찮아요, 새 상자를 받았어요."
    assert answer.email_message_id == "<answer-1@mail.example.org>"
    assert answer.inbound_event_id == "pm-evt-1"
    assert answer.subject == "Test subject"
    assert answer.detail["from"] == "from+test@example.org"
    # and the next reply threads under the buyer's answer
    case_reply_send(case=case, author=agent.user, body="감사합니다")
    assert mailoutbox[-1].extra_headers["In-Reply-To"] == "<answer-1@mail.example.org>"


@pytest.mark.parametrize("kind", ["forged_signature", "another_stores_case", "unknown_case", "not_a_case_address"])
def test_an_answer_to_a_wrong_address_is_refused_and_stored_nowhere(client, agent, caplog, kind):
    case = detractor_case(agent.store)
    other = detractor_case(MembershipFactory(role="support").store, email="other@example.com", number="#3001")
    local, domain = case_reply_address(case).split("@")
    signature = local.split(".")[1]
    to = {
        "forged_signature": f"case+{case.pk}.{'a' * len(signature)}@{domain}",
        # the signature made for one store's case does not open another store's case
        "another_stores_case": f"case+{other.pk}.{signature}@{domain}",
        "unknown_case": f"case+{other.pk + 1000}.{signature}@{domain}",
        "not_a_case_address": "test@inbound.example.com",
    }[kind]
    with caplog.at_level(logging.WARNING, logger="apps.feedback.services.case_events"):
        assert post_twice(client, postmark_inbound(to=to, event_id=f"evt-{kind}", text="hello")) == [200, 200]
    assert not CaseEvent.objects.filter(kind=CaseEventKind.REPLY_IN).exists()
    assert "refused" in caplog.text


def test_the_inbound_webhook_is_refused_without_the_secret(client, agent, settings):
    settings.ANYMAIL = {}
    case = detractor_case(agent.store)
    body = postmark_inbound(to=case_reply_address(case), event_id="evt-x", text="hello")
    assert post_twice(client, body) == [403, 403]
    assert not CaseEvent.objects.filter(kind=CaseEventKind.REPLY_IN).exists()

"""Replying to a detractor from their case: the buyer's language, a saved reply filled for them, the store's
From, a signed per-case Reply-To, our Message-ID kept on the timeline and the thread carried on."""

import pytest
from django.conf import settings

from apps.feedback.models import CaseEvent, CaseEventKind, CriticCase, SavedReply
from apps.feedback.selectors import saved_replies_for_case
from apps.feedback.services.case_events import (
    DeskError,
    case_for_address,
    case_note_add,
    case_reply_address,
    case_reply_send,
    parse_case_address,
    strip_quoted,
)
from apps.feedback.services.saved_replies import saved_reply_fill
from tests.feedback.desk_helpers import detractor_case, korean_saved_reply
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return MembershipFactory(role="support", store__name="Seoul Tea", store__sender_email="hello@seoultea.example")


def test_a_reply_goes_out_in_the_buyers_language_from_the_store_with_a_signed_reply_to(agent, mailoutbox):
    # given a Korean buyer's case, a Korean and an English saved reply
    case = detractor_case(agent.store)
    korean = korean_saved_reply(agent.store)
    SavedReply.objects.create(store=agent.store, title="Sorry", language="en", body="Hi {name}")
    # when the agent picks the saved replies offered for the case and fills the Korean one
    offered = saved_replies_for_case(case=case)
    subject, body = saved_reply_fill(reply=korean, case=case)
    event = case_reply_send(case=case, author=agent.user, subject=subject, body=body)
    # then only the Korean reply was offered, filled with the buyer's name, order and tracking link
    assert offered == [korean]
    assert subject == "#2044 주문 관련 안내"
    order = case.response.order
    assert body == f"지민님, 불편을 드려 죄송해요. 배송 조회: {settings.SITE_URL}/t/{order.tracking_token}/"
    # and one email went to the buyer, from the store's sender, answered to the case's own address
    (sent,) = mailoutbox
    assert sent.to == [order.email]
    assert "hello@seoultea.example" in sent.from_email and "Seoul Tea" in sent.from_email
    assert sent.reply_to == [case_reply_address(case)]
    assert sent.reply_to[0].startswith(f"case+{case.pk}.") and sent.reply_to[0].endswith(
        "@" + settings.CASE_REPLY_DOMAIN
    )
    assert sent.extra_headers["Message-ID"] == event.email_message_id
    assert "In-Reply-To" not in sent.extra_headers  # the first message of the conversation
    assert sent.body == body and sent.subject == subject
    assert sent.tags == ["critics-reply"]
    # and the timeline keeps it, and the case has its first response
    assert event.kind == CaseEventKind.REPLY_OUT and event.author == agent.user
    assert event.detail["language"] == "ko"
    case.refresh_from_db()
    assert case.first_response_at == event.happened_at


def test_the_second_reply_threads_under_the_first_and_keeps_the_first_response_time(agent, mailoutbox):
    case = detractor_case(agent.store)
    first = case_reply_send(case=case, author=agent.user, body="안녕하세요")
    case.refresh_from_db()
    answered_at = case.first_response_at
    # when the agent writes again
    second = case_reply_send(case=case, author=agent.user, body="한 번 더")
    # then it answers the first message, and the first response time stays
    assert mailoutbox[1].extra_headers["In-Reply-To"] == first.email_message_id
    assert mailoutbox[1].extra_headers["References"] == first.email_message_id
    assert second.email_message_id != first.email_message_id
    case.refresh_from_db()
    assert case.first_response_at == answered_at


def test_an_empty_reply_or_a_bounced_buyer_is_refused_and_nothing_is_kept(agent, mailoutbox):
    case = detractor_case(agent.store, suppressed=True, suppression_reason="bounce")
    with pytest.raises(DeskError):
        case_reply_send(case=case, author=agent.user, body="   ")
    with pytest.raises(DeskError, match="suppressed"):
        case_reply_send(case=case, author=agent.user, body="hello")
    assert mailoutbox == []
    assert not CaseEvent.objects.filter(kind=CaseEventKind.REPLY_OUT).exists()
    assert CriticCase.objects.get(pk=case.pk).first_response_at is None


def test_a_note_is_kept_for_the_team_and_never_sent(agent, mailoutbox):
    case = detractor_case(agent.store)
    note = case_note_add(case=case, author=agent.user, body="Called the courier")
    assert note.kind == CaseEventKind.NOTE
    assert mailoutbox == []
    assert CriticCase.objects.get(pk=case.pk).first_response_at is None


def test_the_reply_address_is_refused_when_guessed_altered_or_from_another_domain(agent):
    case = detractor_case(agent.store)
    address = case_reply_address(case)
    assert case_for_address(parse_case_address(address)) == case
    assert (
        case_for_address(
            parse_case_address(address.upper().replace(settings.CASE_REPLY_DOMAIN.upper(), settings.CASE_REPLY_DOMAIN))
        )
        == case
    )
    local, domain = address.split("@")
    forged = f"case+{case.pk}.{'0' * 16}@{domain}"
    assert case_for_address(parse_case_address(forged)) is None
    assert parse_case_address(f"{local}@elsewhere.example") is None
    assert parse_case_address("hello@" + domain) is None


def test_quoted_history_is_stripped_from_an_answer():
    assert strip_quoted("Thanks, fine now.\n\nOn Tue, 1 Dec 2026, Shop wrote:\n> old") == "Thanks, fine now."
    assert strip_quoted("Yes\r\n> quoted\r\nmore") == "Yes"
    assert strip_quoted("plain") == "plain"

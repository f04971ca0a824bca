"""The critics desk pages: the queue sorted and filtered by time left, assignee, score, topic and carrier;
a case page with its timeline, a reply in the buyer's language from a saved reply, notes, the hand-off button;
the owner's help-desk settings. Another store's case is a 404 on every desk view; query counts are fixed."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.feedback.models import CaseEvent, CaseEventKind, HelpdeskHook, SavedReply
from apps.feedback.services.case_events import case_reply_send
from apps.feedback.services.cases import case_assign
from apps.feedback.services.nps import nps_record
from tests.feedback.desk_helpers import detractor_case, korean_saved_reply
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    membership = MembershipFactory(role="support", user__first_name="Hana", user__last_name="Park")
    client.force_login(membership.user)
    return membership


def case_of(store, *, score=3, hours_ago=1, carrier="ups", topics=()):
    order = OrderFactory(store=store)
    ShipmentFactory(order=order, carrier=carrier)
    response = nps_record(order=order, score=score, at=timezone.now() - timedelta(hours=hours_ago))
    if topics:
        response.topics = list(topics)
        response.save()
    return response.case


def rows(response):
    return [row.case.pk for row in response.context["rows"]]


def test_the_queue_shows_time_left_and_overdue_and_puts_the_most_urgent_first(client, agent):
    late = case_of(agent.store, hours_ago=26)
    fresh = case_of(agent.store, hours_ago=21)
    answered = case_of(agent.store, hours_ago=40)
    case_reply_send(case=answered, author=agent.user, body="Sorry")
    response = client.get(reverse("dashboard:critic_list"))
    assert rows(response) == [late.pk, fresh.pk, answered.pk]
    html = response.content.decode()
    assert "Overdue by 2 h" in html
    assert "2 h left" in html
    assert "answered after" in html


def test_the_queue_filters_by_assignee_score_topic_carrier_and_mine(client, agent):
    mine = case_of(agent.store, score=1, carrier="dhl", topics=["delivery"])
    other = case_of(agent.store, score=5, carrier="ups", topics=["product"])
    case_assign(case=mine, assignee=agent.user)
    url = reverse("dashboard:critic_list")
    assert rows(client.get(url, {"mine": "1"})) == [mine.pk]
    assert rows(client.get(url, {"assignee": str(agent.user_id)})) == [mine.pk]
    assert rows(client.get(url, {"assignee": "none"})) == [other.pk]
    assert rows(client.get(url, {"score": "5"})) == [other.pk]
    assert rows(client.get(url, {"topic": "delivery"})) == [mine.pk]
    assert rows(client.get(url, {"carrier": "ups"})) == [other.pk]
    assert rows(client.get(url, {"sort": "score"})) == [mine.pk, other.pk]
    assert rows(client.get(url, {"sort": "newest"}))[0] == other.pk


def test_the_queue_page_takes_the_same_queries_for_2_cases_as_for_12(client, agent):
    for _ in range(2):
        case_of(agent.store)
    url = reverse("dashboard:critic_list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        case_of(agent.store)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 12
    assert len(many) == len(few)
    assert len(many) <= 16


def test_the_case_page_shows_the_timeline_in_time_order_and_a_fixed_number_of_queries(client, agent, mailoutbox):
    case = detractor_case(agent.store)
    korean_saved_reply(agent.store)
    case_reply_send(case=case, author=agent.user, body="안녕하세요")
    client.post(reverse("dashboard:critic_note", args=[case.pk]), {"note-body": "Courier called"})
    url = reverse("dashboard:critic_detail", args=[case.pk])
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    timeline = response.context["timeline"]
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    kinds = [e.kind for e in timeline]
    assert kinds[0] == "order" and "checkpoint" in kinds and "answer" in kinds
    assert kinds[-2:] == ["reply_out", "note"]
    html = response.content.decode()
    assert "tl-internal" in html and "Internal note (not sent)" in html
    # a few more replies and notes do not add queries
    for n in range(5):
        client.post(reverse("dashboard:critic_note", args=[case.pk]), {"note-body": f"note {n}"})
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    assert len(many) <= 30


def test_a_saved_reply_is_offered_in_the_buyers_language_filled_and_sent_from_the_page(client, agent, mailoutbox):
    case = detractor_case(agent.store)
    reply = korean_saved_reply(agent.store)
    url = reverse("dashboard:critic_detail", args=[case.pk])
    page = client.get(url, {"saved": reply.pk})
    form = page.context["reply_form"]
    assert form.initial["subject"] == "#2044 주문 관련 안내"
    assert form.initial["body"].startswith("지민님,")
    assert "한국어" in page.content.decode()
    # when the agent sends it
    response = client.post(
        reverse("dashboard:critic_reply", args=[case.pk]),
        {"subject": form.initial["subject"], "body": form.initial["body"]},
    )
    assert response.status_code == 302
    (sent,) = mailoutbox
    assert sent.subject == "#2044 주문 관련 안내"
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.REPLY_OUT, author=agent.user).count() == 1


def test_an_empty_reply_or_note_is_refused_with_a_message(client, agent, mailoutbox):
    case = detractor_case(agent.store)
    client.post(reverse("dashboard:critic_reply", args=[case.pk]), {"subject": "x", "body": ""})
    client.post(reverse("dashboard:critic_note", args=[case.pk]), {"note-body": ""})
    assert mailoutbox == []
    assert not CaseEvent.objects.filter(kind__in=["reply_out", "note"]).exists()


@pytest.mark.parametrize("name", ["critic_detail", "critic_reply", "critic_note", "critic_handoff"])
def test_another_stores_case_is_a_404_on_every_desk_view(client, agent, name, mailoutbox):
    stranger = detractor_case(MembershipFactory(role="owner").store)
    HelpdeskHook.objects.create(store=agent.store, url="https://desk.example.com/h", secret="s")
    url = reverse(f"dashboard:{name}", args=[stranger.pk])
    response = (
        client.get(url)
        if name == "critic_detail"
        else client.post(url, {"body": "hi", "subject": "hi", "note-body": "hi"})
    )
    assert response.status_code == 404
    assert not CaseEvent.objects.filter(case=stranger, kind__in=["reply_out", "note", "handoff"]).exists()
    assert mailoutbox == []


def test_only_owners_set_the_help_desk_and_the_button_appears_once_set(
    client, agent, django_capture_on_commit_callbacks
):
    url = reverse("dashboard:helpdesk_settings")
    assert client.get(url).status_code == 403  # support
    owner = MembershipFactory(store=agent.store, role="owner")
    client.force_login(owner.user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"url": "https://desk.example.com/hooks", "secret": "topsecret", "enabled": "on"})
    assert response.status_code == 302
    hook = HelpdeskHook.objects.get(store=agent.store)
    assert hook.secret == "topsecret" and hook.enabled
    assert "topsecret" not in client.get(url).content.decode()
    case = detractor_case(agent.store)
    page = client.get(reverse("dashboard:critic_detail", args=[case.pk])).content.decode()
    assert "Send to help desk" in page


def test_the_resolved_case_says_why_a_re_survey_is_impossible(client, agent):
    case = detractor_case(agent.store, suppressed=True, suppression_reason="complaint")
    client.post(reverse("dashboard:critic_resolve", args=[case.pk]), {"outcome": "explained", "note": "Called"})
    html = client.get(reverse("dashboard:critic_detail", args=[case.pk])).content.decode()
    assert "No re-survey possible" in html
    assert "Plan a re-survey" not in html


def test_saved_replies_are_added_per_language_and_another_stores_cannot_be_deleted(client, agent):
    url = reverse("dashboard:saved_reply_list")
    response = client.post(url, {"title": "Apology", "language": "ko", "subject": "{order}", "body": "{name}님"})
    assert response.status_code == 302
    (reply,) = SavedReply.objects.filter(store=agent.store)
    assert (reply.title, reply.language, reply.body) == ("Apology", "ko", "{name}님")
    assert "Apology" in client.get(url).content.decode()
    # another store's reply is out of reach
    foreign = korean_saved_reply(MembershipFactory(role="owner").store)
    client.post(url, {"delete": foreign.pk})
    assert SavedReply.objects.filter(pk=foreign.pk).exists()
    client.post(url, {"delete": reply.pk})
    assert not SavedReply.objects.filter(pk=reply.pk).exists()

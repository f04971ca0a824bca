"""The critics queue pages: open cases with their age against the target, and working a case."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import Flow, FlowKind, Message
from apps.feedback.models import CaseStatus, CriticCase
from apps.feedback.services.nps import nps_add_comment, nps_record
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    membership = MembershipFactory(role="support")
    client.force_login(membership.user)
    return membership


def detractor(store, *, score=3, comment="", hours_ago=1):
    order = OrderFactory(store=store)
    response = nps_record(order=order, score=score, at=timezone.now() - timedelta(hours=hours_ago))
    if comment:
        nps_add_comment(response=response, comment=comment, topics=["delivery"])
    return response.case


def test_the_queue_shows_open_cases_oldest_first_and_highlights_overdue_ones(client, support):
    # given a case past the 24 h target and a fresh one
    old = detractor(support.store, comment="Two weeks late", hours_ago=30)
    fresh = detractor(support.store, score=5, hours_ago=2)
    # when support opens the queue
    response = client.get(reverse("dashboard:critic_list"))
    rows = response.context["rows"]
    # then both are listed, oldest first, and only the old one is overdue
    assert [row.case for row in rows] == [old, fresh]
    assert [row.overdue for row in rows] == [True, False]
    page = response.content.decode()
    assert "Two weeks late" in page and "Overdue" in page


def test_the_queue_takes_the_same_queries_for_3_or_30_cases(client, support):
    for _ in range(3):
        detractor(support.store)
    client.get(reverse("dashboard:critic_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard:critic_list"))
    for _ in range(27):
        detractor(support.store)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("dashboard:critic_list"))
    assert len(response.context["rows"]) == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_a_case_page_shows_the_answer_order_shipments_and_history(client, support):
    case = detractor(support.store, comment="The mug was broken")
    order = case.response.order
    TrackingEventFactory(shipment=ShipmentFactory(order=order), message="Parcel damaged in transit")
    earlier = OrderFactory(store=support.store, customer=order.customer, number="#0999")
    nps_record(order=earlier, score=9)
    page = client.get(reverse("dashboard:critic_detail", args=[case.pk])).content.decode()
    for expected in ("The mug was broken", "Parcel damaged in transit", order.number, "#0999", "Delivery"):
        assert expected in page, expected


def test_support_takes_resolves_and_resurveys_a_case(client, support):
    case = detractor(support.store)
    Flow.objects.filter(store=support.store, kind=FlowKind.NPS_SURVEY).update(enabled=True)
    client.post(reverse("dashboard:critic_start", args=[case.pk]))
    case.refresh_from_db()
    assert (case.status, case.assignee) == (CaseStatus.IN_PROGRESS, support.user)
    # resolving without a note is refused and changes nothing
    client.post(reverse("dashboard:critic_resolve", args=[case.pk]), {"outcome": "refund"})
    assert CriticCase.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    client.post(reverse("dashboard:critic_resolve", args=[case.pk]), {"outcome": "refund", "note": "Refunded 10 EUR."})
    case.refresh_from_db()
    assert (case.status, case.outcome, case.resolution_note) == (CaseStatus.RESOLVED, "refund", "Refunded 10 EUR.")
    client.post(reverse("dashboard:critic_resurvey", args=[case.pk]), {"delay_days": "7"})
    assert Message.objects.get().subject_key == f"recovery:{case.pk}"


def test_a_case_is_assigned_to_a_teammate_only(client, support):
    case = detractor(support.store)
    teammate = MembershipFactory(store=support.store, role="manager").user
    stranger = MembershipFactory(role="owner").user
    client.post(reverse("dashboard:critic_assign", args=[case.pk]), {"assignee": teammate.pk})
    assert CriticCase.objects.get(pk=case.pk).assignee == teammate
    client.post(reverse("dashboard:critic_assign", args=[case.pk]), {"assignee": stranger.pk})
    assert CriticCase.objects.get(pk=case.pk).assignee == teammate

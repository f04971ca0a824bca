"""An agent works a Korean buyer's case at the critics desk: takes it, replies with a saved reply in Korean,
sees the buyer's emailed answer (the published Postmark inbound fixture, posted to Anymail's inbound webhook
and addressed to the case) on the timeline, adds an internal note and resolves the case."""

import base64
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from apps.feedback.models import CaseEvent, CaseEventKind, CaseStatus, CriticCase, SavedReply
from apps.feedback.services.case_events import case_reply_address
from apps.feedback.services.nps import nps_add_comment, nps_record
from tests.browser.test_dashboard_journey import sign_in
from tests.customers.factories import CustomerFactory
from tests.feedback.desk_helpers import postmark_inbound
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory, TrackingEventFactory
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "desk"


def shot(page, name: str, *, width: int | None = None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if width:
        page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def desk(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    membership = MembershipFactory(
        role="support",
        user__username="help@tea.example",
        user__email="help@tea.example",
        user__first_name="Hana",
        user__last_name="Park",
        store__name="Seoul Tea House",
        store__sender_email="hello@seoultea.example",
    )
    store = membership.store
    buyer = CustomerFactory(store=store, first_name="지민", last_name="김", email="jimin@example.com", locale="ko")
    order = OrderFactory(store=store, customer=buyer, number="#3021", locale="ko")
    OrderLineFactory(order=order)
    shipment = ShipmentFactory(order=order, status="delivered", carrier="cj", carrier_name="CJ대한통운")
    TrackingEventFactory(shipment=shipment, status="in_transit", message="Left the Gyeonggi hub")
    TrackingEventFactory(shipment=shipment, status="delivered", message="Delivered to the door")
    response = nps_record(order=order, score=2, at=timezone.now() - timedelta(hours=20))
    nps_add_comment(response=response, comment="찻잎 상자가 찌그러져서 왔어요.", topics=["packaging"])
    SavedReply.objects.create(
        store=store,
        title="포장 사과",
        language="ko",
        subject="{order} 주문 포장에 대해 사과드려요",
        body="{name}님, 포장이 망가져서 정말 죄송해요. 새 상자를 보내 드릴게요.\n배송 조회: {tracking_link}",
    )
    SavedReply.objects.create(store=store, title="Packaging apology", language="en", body="Hi {name}, sorry!")
    return membership


def test_an_agent_replies_in_korean_reads_the_answer_notes_and_resolves(page, live_server, desk):
    # given the agent signed in on the critics queue
    sign_in(page, live_server, email="help@tea.example")
    page.get_by_role("heading", name="Critics queue").wait_for()
    expect(page.locator("#results tbody tr").first).to_contain_text("left")
    shot(page, "queue")
    shot(page, "queue-360", width=360)
    page.set_viewport_size({"width": 1280, "height": 900})

    # when they open the case and take it
    page.get_by_role("link", name="지민 김").click()
    page.get_by_role("button", name="Take this case").click()
    expect(page.get_by_role("status").filter(has_text="in progress")).to_be_visible()

    # and pick the Korean saved reply (the only language offered: the buyer's)
    expect(page.locator("#saved option")).to_have_count(1)
    page.get_by_role("button", name="Use this reply").click()
    expect(page.get_by_label("Message to the buyer")).to_have_value(
        f"지민님, 포장이 망가져서 정말 죄송해요. 새 상자를 보내 드릴게요.\n배송 조회: "
        f"{page.get_by_label('Message to the buyer').input_value().split('배송 조회: ')[1]}"
    )
    expect(page.get_by_label("Subject")).to_have_value("#3021 주문 포장에 대해 사과드려요")
    shot(page, "reply-filled")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status").filter(has_text="Reply sent")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.locator(".tl-reply_out")).to_contain_text("정말 죄송해요")

    # then the email went to the buyer, answered to the case's address
    (sent,) = [m for m in mail.outbox if m.to == ["jimin@example.com"]]
    case = CriticCase.objects.get(response__order__number="#3021")
    assert sent.reply_to == [case_reply_address(case)]

    # when the buyer answers by email: the ESP posts the inbound webhook (twice, as a retry would)
    body = postmark_inbound(
        to=case_reply_address(case),
        event_id="pm-browser-1",
        text="감사합니다! 새 상자 기다릴게요.\n\nOn Tue, Seoul Tea House wrote:\n> 정말 죄송해요",
        message_id="<jimin-answer@mail.example.org>",
    )
    auth = "Basic " + base64.b64encode(b"user:pass").decode()
    for _ in range(2):
        answer = httpx.post(
            f"{live_server.url}/anymail/postmark/inbound/",
            content=body,
            headers={"Content-Type": "application/json", "Authorization": auth},
        )
        assert answer.status_code == 200
    page.reload()
    expect(timeline.locator(".tl-reply_in")).to_have_count(1)
    expect(timeline.locator(".tl-reply_in")).to_contain_text("새 상자 기다릴게요")
    expect(timeline.locator(".tl-reply_in")).not_to_contain_text("정말 죄송해요")

    # and the agent adds an internal note
    page.get_by_label("Internal note").fill("Sent a replacement box with tracking CJ-555.")
    page.get_by_role("button", name="Add note").click()
    expect(timeline.locator(".tl-internal")).to_contain_text("replacement box")
    page.locator("#timeline").scroll_into_view_if_needed()
    shot(page, "case-timeline")

    # and resolves the case
    page.get_by_label("Outcome").select_option("replacement")
    page.get_by_label("Resolution note").fill("New box sent; 지민 is happy.")
    page.get_by_role("button", name="Resolve case").click()
    expect(page.get_by_role("heading", name="Resolved", exact=True)).to_be_visible()
    shot(page, "case-resolved")
    shot(page, "case-resolved-360", width=360)

    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.first_response_at is not None
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds.count(CaseEventKind.REPLY_IN) == 1
    assert {CaseEventKind.ASSIGNED, CaseEventKind.STATUS, CaseEventKind.REPLY_OUT, CaseEventKind.NOTE} <= set(kinds)


def test_an_owner_sets_the_help_desk_and_adds_a_saved_reply(page, live_server, desk):
    owner = MembershipFactory(
        store=desk.store, role="owner", user__username="owner@tea.example", user__email="owner@tea.example"
    )
    sign_in(page, live_server, email=owner.user.email)
    page.goto(f"{live_server.url}/dashboard/critics/")
    page.get_by_role("link", name="Help desk settings").click()
    page.get_by_label("Help desk address").fill("https://desk.tea.example/hooks/afterglow")
    page.get_by_label("Signing secret").fill("s3cret-value")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Help desk saved")).to_be_visible()
    shot(page, "helpdesk-settings")
    page.goto(f"{live_server.url}/dashboard/critics/saved-replies/")
    page.get_by_label("Title").fill("Delivery delay")
    page.get_by_label("Reply language").select_option("ko")
    page.get_by_label("Text").fill("{name}님, 배송이 늦어져서 죄송해요: {tracking_link}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved reply saved")).to_be_visible()
    expect(page.get_by_text("Delivery delay")).to_be_visible()
    shot(page, "saved-replies")
    # and the case page now offers the hand-off
    page.goto(f"{live_server.url}/dashboard/critics/")
    page.get_by_role("link", name="지민 김").click()
    expect(page.get_by_role("button", name="Send to help desk")).to_be_visible()
    expect(page.locator("#saved option")).to_have_count(2)

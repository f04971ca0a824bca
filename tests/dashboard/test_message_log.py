"""The message log: every email with its state and subject, what it said (or would say now), why, and a
planned one cancelled by whoever edits flows; the flow page's figures per step."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import Coupon, FlowKind, FlowStep, Message, MessageStatus, MessagingPolicy
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
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


# --- A message log a merchant can read ------------------------------------------------------------
@pytest.fixture
def manager(client):
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)
    return membership


def planned(store, *, locale="it", **fields) -> Message:
    """An order confirmation planned for an hour from now, to an Italian-speaking buyer of order #2001."""
    customer = CustomerFactory(store=store, locale=locale, first_name="Giulia", marketing_consent=True)
    order = OrderFactory(store=store, customer=customer, number="#2001")
    return MessageFactory(
        store=store,
        customer=customer,
        order=order,
        email=customer.email,
        scheduled_for=timezone.now() + timedelta(hours=1),
        **fields,
    )


def rows_of(page) -> dict[int, object]:
    return {message.pk: message for message in page.items}


def flashes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_log_shows_each_emails_subject(client, support):
    # given a sent email, one planned for an Italian buyer, and one that was skipped
    store = support.store
    sent = MessageFactory(store=store, sent=True, subject="Thank you for your order #1001")
    scheduled = planned(store)
    skipped = MessageFactory(store=store, status=MessageStatus.SKIPPED, reason="no marketing consent")
    # when the log is opened
    response = client.get(reverse("dashboard:message_list"))
    rows = rows_of(response.context["page"])
    # then the sent one shows what it said, the planned one its step's subject in Italian (not filled in
    # yet), and the skipped one none
    assert rows[sent.pk].subject_line == "Thank you for your order #1001"
    assert rows[scheduled.pk].subject_line == "Grazie per il tuo ordine {{ order.number }}"
    assert rows[skipped.pk].subject_line == ""
    page = response.content.decode()
    assert '<th scope="col">Subject</th>' in page
    assert "Thank you for your order #1001" in page
    assert "Grazie per il tuo ordine {{ order.number }}" in page
    assert "filled in when it goes" in page


def test_a_planned_email_is_previewed_as_it_would_go_now_and_nothing_is_written(client, support, mailoutbox):
    # given an email planned for an Italian buyer, on a step that hands out a coupon
    message = planned(support.store)
    FlowStep.objects.filter(pk=message.step_id).update(incentive_kind="percent", incentive_value=Decimal(10))
    before = Message.objects.filter(pk=message.pk).values().get()
    # when the detail page and its frame are opened
    detail = client.get(reverse("dashboard:message_detail", args=[message.pk])).content.decode()
    body = client.get(reverse("dashboard:message_body", args=[message.pk]))
    # then the frame holds the email rendered for this buyer and order, in Italian, with a sample code
    html = body.content.decode()
    assert "#2001" in html and "Grazie" in html  # the default blocks greet without the name (but in Korean)
    assert "SAMPLE-7QX4" in html
    assert "default-src 'none'" in body["Content-Security-Policy"]
    assert "What it would say now" in detail
    assert "The coupon code shown is a sample" in detail
    # and nothing was sent, issued or saved: the ledger row, the coupons and the sending rules are as they were
    assert mailoutbox == []
    assert not Coupon.objects.exists()
    assert not MessagingPolicy.objects.filter(store=support.store).exists()
    assert Message.objects.filter(pk=message.pk).values().get() == before


def test_a_manager_cancels_a_planned_email_once(client, manager):
    # given a planned email
    message = planned(manager.store)
    url = reverse("dashboard:message_cancel", args=[message.pk])
    assert "Cancel this email" in client.get(reverse("dashboard:message_detail", args=[message.pk])).content.decode()
    # when the manager cancels it
    first = client.post(url, follow=True)
    # then it is skipped by the rule "cancelled", the reason names who, and the row stays in the ledger
    message.refresh_from_db()
    assert message.status == MessageStatus.SKIPPED
    assert message.reason == f"cancelled by {manager.user.get_full_name()} <{manager.user.email}>"
    assert message.trace[-1]["action"] == "skipped" and message.trace[-1]["rule"] == "cancelled"
    assert flashes(first) == ["Cancelled: this email will not be sent. It stays in the log, marked skipped."]
    assert "Cancel this email" not in first.content.decode()
    # when they cancel it again, then it is refused in words and nothing changes
    trace = list(message.trace)
    second = client.post(url, follow=True)
    message.refresh_from_db()
    assert flashes(second) == ["This email was not going out any more (it is skipped): nothing to cancel."]
    assert (message.status, message.trace) == (MessageStatus.SKIPPED, trace)
    assert Message.objects.filter(pk=message.pk).exists()


def test_a_sent_email_cannot_be_cancelled(client, manager):
    message = MessageFactory(store=manager.store, sent=True)
    response = client.post(reverse("dashboard:message_cancel", args=[message.pk]), follow=True)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert flashes(response) == ["Only a planned email can be cancelled; this one is “Sent”, so nothing changed."]


def test_support_cannot_cancel_and_another_stores_email_is_not_found(client, support):
    # given a planned email of support's store, and one of another store
    own = planned(support.store)
    other = planned(MembershipFactory().store)
    # then support is refused, and does not see the button
    assert client.post(reverse("dashboard:message_cancel", args=[own.pk])).status_code == 403
    assert "Cancel this email" not in client.get(reverse("dashboard:message_detail", args=[own.pk])).content.decode()
    # and an owner of yet another store gets a 404 for both
    stranger = MembershipFactory(role="owner")
    client.force_login(stranger.user)
    for message in (own, other):
        assert client.post(reverse("dashboard:message_cancel", args=[message.pk])).status_code == 404
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SCHEDULED}


def test_the_why_shows_times_in_the_stores_zone_and_codes_in_words(client, support):
    # given a store in Rome, and an email whose trace the ledger wrote in UTC (one entry without an offset)
    message = MessageFactory(store=support.store, sent=True, trace=[
        {"at": "2026-06-01T10:00:00+00:00", "action": "scheduled", "rule": "trigger", "reason": "order #1 placed"},
        {"at": "2026-06-01T10:05:00", "action": "deferred", "rule": "quiet_hours", "reason": "quiet hours"},
        {"at": "2026-06-01T22:30:00.123456+00:00", "action": "sent", "rule": "transactional", "reason": ""},
        {"at": "not a time", "action": "rerouted", "rule": "mystery_rule", "reason": ""},
    ])  # fmt: skip
    # when the detail page is opened
    page = client.get(reverse("dashboard:message_detail", args=[message.pk])).content.decode()
    # then each time is in Rome's summer time, date and time apart, and each code is in words
    assert "1 Jun 2026, 12:00" in page and "1 Jun 2026, 12:05" in page
    assert "2 Jun 2026, 00:30" in page
    assert "2026-06-0110:00" not in page
    assert "Planned</strong> · what started the flow" in page
    assert "Held back</strong> · quiet hours" in page
    assert "Sent</strong> · transactional email: always sent" in page
    assert "Times in Europe/Rome." in page
    # and what we have no words for is shown as it is
    assert "rerouted</strong> · mystery_rule" in page
    assert "not a time" in page


def test_the_demo_emails_say_sent_with_their_subject(client, settings):
    # given the demo store
    settings.DEBUG = True
    call_command("seed_demo", "--scale", "8", verbosity=0)
    sent = Message.objects.filter(store__slug="demo", status=MessageStatus.SENT)
    # then every sent demo email has its moment and its subject, filled in as the email had it
    assert sent.exists()
    assert not sent.filter(sent_at__isnull=True).exists()
    assert not sent.filter(subject="").exists()
    assert not sent.filter(subject__contains="{{").exists()
    confirmation = sent.filter(step__key="confirmation").select_related("order").first()
    assert confirmation.subject == f"Thank you for your order {confirmation.order.number}"
    # and the owner's log shows them as sent, with the subject; the frame says why the body is not there
    client.force_login(confirmation.store.memberships.get(role="owner").user)
    response = client.get(reverse("dashboard:message_list"), {"status": "sent"})
    assert rows_of(response.context["page"])[confirmation.pk].subject_line == confirmation.subject
    assert confirmation.subject in response.content.decode()
    body = client.get(reverse("dashboard:message_body", args=[confirmation.pk])).content.decode()
    assert "This is a demo email" in body
    assert "has not been sent" not in body


def test_the_flow_page_shows_what_each_step_brought_in_one_query(client, manager, django_assert_max_num_queries):
    # given the abandoned-cart flow's first two steps, with emails opened, clicked and credited with orders
    store = manager.store
    first, second = FlowStep.objects.filter(store=store, flow__kind=FlowKind.ABANDONED_CART).order_by("position")[:2]
    now = timezone.now()

    def emails(step, n, *, opened=0, clicked=0, orders=()):
        for i in range(n):
            order = orders[i] if i < len(orders) else None
            MessageFactory(
                store=store, step=step, sent=True, transactional=False, sent_at=now - timedelta(days=1),
                opened_at=now if i < opened else None, clicked_at=now if i < clicked else None,
                attributed_order=order, attributed_revenue=order.total if order else 0,
            )  # fmt: skip

    orders = [OrderFactory(store=store, total=Decimal("30.00")), OrderFactory(store=store, total=Decimal("12.50"))]
    emails(first, 4, opened=3, clicked=2, orders=orders)
    emails(second, 2, opened=1)
    MessageFactory(store=store, step=second, sent=True, sent_at=now - timedelta(days=60))  # before the 30 days
    MessageFactory(store=store, step=second)  # planned, not sent
    url = reverse("dashboard:flow_detail", args=[first.flow_id])
    client.get(url)  # warm the session
    # when the flow page is opened, then it takes a bounded number of queries, one of them for the figures
    # (the eighth: the abandoned-cart flow's answers to "what stopped you?", one grouped query)
    with django_assert_max_num_queries(8) as captured:
        response = client.get(url)
    assert len([q for q in captured.captured_queries if '"campaigns_message"' in q["sql"]]) == 1
    # and each step shows its sent, opened, clicked, orders and revenue, the flow its total
    steps = {step.pk: step.figures for step in response.context["steps"]}
    assert steps[first.pk] == {"sent": 4, "opened": 3, "clicked": 2, "conversions": 2, "revenue": Decimal("42.50")}
    assert steps[second.pk] == {"sent": 2, "opened": 1, "clicked": 0, "conversions": 0, "revenue": 0}
    assert response.context["totals"] == {
        "sent": 6, "opened": 4, "clicked": 2, "conversions": 2, "revenue": Decimal("42.50")
    }  # fmt: skip
    page = response.content.decode()
    assert f'<tr data-step="{first.key}"><th scope="row">{first.key}</th><td class="num">4</td>' in page
    assert "42.50" in page

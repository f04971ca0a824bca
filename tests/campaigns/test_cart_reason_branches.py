"""The abandoned-cart flow follows the buyer's answer to "what stopped you?": the first emails ask it with
six links, and the 72 h offer becomes free shipping for "the shipping cost", goes without a code for "just
looking", or is not sent at all where the merchant says so. No answer: as planned."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from apps.campaigns.dispatch import message_send
from apps.campaigns.models import Coupon, FlowKind, Message, MessageStatus
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.campaigns.services.steps import StepInvalid, step_update
from apps.orders.services import cart_record_leave_reason
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory

pytestmark = pytest.mark.django_db
NOON_ROME = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def buyer(store):
    return CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome", locale="en")


@pytest.fixture
def cart(store, buyer):
    return CartFactory(store=store, customer=buyer, email=buyer.email, updated_at=NOON_ROME - timedelta(hours=80))


def plan(flows, cart, key):
    step = flows[FlowKind.ABANDONED_CART].steps.get(key=key)
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key=f"cart:{cart.pk}",
                email=cart.email,
                scheduled_for=NOON_ROME,
                customer_id=cart.customer_id,
                cart_id=cart.pk,
            )
        ]
    )
    return message


def send(message):
    outcome = message_send(message_id=message.pk)
    assert message_send(message_id=message.pk).status == "not_claimed"  # a second try sends nothing more
    message.refresh_from_db()
    return outcome


@time_machine.travel(NOON_ROME, tick=False)
def test_the_first_email_asks_why_with_six_links_that_open_the_answer_page(flows, cart, client, mailoutbox):
    message = plan(flows, cart, "reminder-1h")
    assert send(message).status == MessageStatus.SENT
    (email,) = mailoutbox
    html = email.alternatives[0][0]
    assert "What stopped you from ordering?" in html
    links = [part.split('"')[0] for part in html.split(f'href="{settings.SITE_URL}/cart/')[1:]]
    assert sorted(link.split("/")[1] for link in links) == sorted(
        ["price", "shipping_cost", "delivery_time", "payment", "just_looking", "other"]
    )
    page = client.get("/cart/" + links[0])
    assert page.status_code == 200
    cart.refresh_from_db()
    assert cart.leave_reason == ""  # opening it answered nothing


@time_machine.travel(NOON_ROME, tick=False)
def test_without_an_answer_the_72h_email_carries_the_planned_percent_code(flows, cart, mailoutbox):
    message = plan(flows, cart, "coupon-72h")
    assert send(message).status == MessageStatus.SENT
    coupon = Coupon.objects.get(message=message)
    assert (coupon.kind, coupon.value) == ("percent", 10)
    assert coupon.code in mailoutbox[0].body


@time_machine.travel(NOON_ROME, tick=False)
def test_the_shipping_cost_answer_turns_the_offer_into_free_shipping(flows, cart, mailoutbox):
    cart_record_leave_reason(cart_id=cart.pk, reason="shipping_cost")
    message = plan(flows, cart, "coupon-72h")
    assert send(message).status == MessageStatus.SENT
    coupon = Coupon.objects.get(message=message)
    assert coupon.kind == "free_shipping"
    assert "Free shipping on your next order" in mailoutbox[0].body
    assert "10% off" not in mailoutbox[0].body


@time_machine.travel(NOON_ROME, tick=False)
def test_just_looking_gets_the_email_without_a_code(flows, cart, mailoutbox):
    cart_record_leave_reason(cart_id=cart.pk, reason="just_looking")
    message = plan(flows, cart, "coupon-72h")
    assert send(message).status == MessageStatus.SENT
    assert not Coupon.objects.filter(message=message).exists()
    assert len(mailoutbox) == 1
    assert "Valid until" not in mailoutbox[0].body


@time_machine.travel(NOON_ROME, tick=False)
def test_a_step_set_to_skip_an_answer_is_skipped_with_the_reason_in_its_trace(flows, cart, mailoutbox):
    step = flows[FlowKind.ABANDONED_CART].steps.get(key="coupon-72h")
    step_update(
        step=step,
        delay_minutes=step.delay_minutes,
        enabled=True,
        exit_on_order=True,
        incentive_kind=step.incentive_kind,
        incentive_value=step.incentive_value,
        incentive_valid_days=step.incentive_valid_days,
        on_reason={"payment": "skip", "price": ""},
    )
    step.refresh_from_db()
    assert step.conditions["on_reason"] == {"payment": "skip"}  # "as planned" is not stored
    cart_record_leave_reason(cart_id=cart.pk, reason="payment")
    message = plan(flows, cart, "coupon-72h")
    assert send(message).status == MessageStatus.SKIPPED
    assert message.trace[-1]["rule"] == "cart_reason"
    assert mailoutbox == []
    assert not Coupon.objects.exists()


def test_a_bad_branch_setting_is_refused_and_nothing_is_saved(flows):
    step = flows[FlowKind.ABANDONED_CART].steps.get(key="coupon-72h")
    before = dict(step.conditions)
    for bad in ({"price": "give_everything"}, {"weather": "skip"}, ["skip"]):
        with pytest.raises(StepInvalid):
            step_update(
                step=step,
                delay_minutes=step.delay_minutes,
                enabled=True,
                exit_on_order=True,
                incentive_kind="percent",
                incentive_value=10,
                on_reason=bad,
            )
    other = flows[FlowKind.WIN_BACK].steps.first()
    with pytest.raises(StepInvalid):
        step_update(
            step=other,
            delay_minutes=other.delay_minutes,
            enabled=True,
            exit_on_order=False,
            on_reason={"price": "skip"},
        )
    step.refresh_from_db()
    assert step.conditions == before
    assert Message.objects.count() == 0

"""A buyer never gets a code the shop does not know: the email waits until the shop has created it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.campaigns.dispatch import message_send
from apps.campaigns.models import Coupon, CouponShopState, FlowKind, MessageStatus
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.integrations.calls import CallError
from apps.integrations.models import Connection, ConnectionState
from apps.integrations.remotes import CouponRefused
from apps.integrations.services.shop_coupons import PushLater, coupon_push
from tests.customers.factories import CustomerFactory
from tests.integrations import fake_remote

pytestmark = pytest.mark.django_db
NOON_ROME = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def shop(monkeypatch, store):
    script = fake_remote.install(monkeypatch, "shopify")
    Connection.objects.create(store=store, source="shopify", api_token="shpat_x", state=ConnectionState.CONNECTED)
    return script


@pytest.fixture
def offer(flows, store):
    buyer = CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    assert step.incentive_kind  # the default offer carries a code
    planned = Planned(step=step, subject_key="c:1", email=buyer.email, scheduled_for=NOON_ROME, customer_id=buyer.pk)
    return messages_schedule([planned])[0]


@time_machine.travel(NOON_ROME, tick=False)
def test_the_email_waits_for_the_shop_then_carries_the_code_it_created(
    shop, offer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        assert message_send(message_id=offer.pk).status == "deferred"
    assert len(queued) == 1  # the push to the shop
    offer.refresh_from_db()
    coupon = Coupon.objects.get(message=offer)
    assert coupon.shop_state == CouponShopState.PENDING and mailoutbox == []
    assert offer.status == MessageStatus.SCHEDULED and offer.trace[-1]["rule"] == "coupon_in_shop"

    coupon_push(coupon_id=coupon.pk)
    coupon_push(coupon_id=coupon.pk)  # a redelivered task creates nothing more

    coupon.refresh_from_db()
    assert coupon.shop_state == CouponShopState.CREATED and shop.coupons == [coupon.code]
    offer.refresh_from_db()
    assert offer.scheduled_for <= NOON_ROME  # due again at once
    assert message_send(message_id=offer.pk).status == MessageStatus.SENT
    assert coupon.code in mailoutbox[0].body


@time_machine.travel(NOON_ROME, tick=False)
def test_a_code_the_shop_refuses_holds_the_email_and_says_why(shop, offer, mailoutbox):
    message_send(message_id=offer.pk)
    coupon = Coupon.objects.get(message=offer)
    shop.failures = [CouponRefused("Discount code requires the write_discounts scope.")]

    coupon_push(coupon_id=coupon.pk)

    coupon.refresh_from_db()
    assert coupon.shop_state == CouponShopState.REFUSED and "write_discounts" in coupon.shop_error
    with time_machine.travel(NOON_ROME + timedelta(minutes=3), tick=False):
        assert message_send(message_id=offer.pk).status == "deferred"
    offer.refresh_from_db()
    assert offer.trace[-1]["rule"] == "coupon_refused" and "write_discounts" in offer.trace[-1]["reason"]
    assert mailoutbox == []


@time_machine.travel(NOON_ROME, tick=False)
def test_a_code_the_shop_already_has_is_drawn_again(shop, offer, mailoutbox):
    message_send(message_id=offer.pk)
    coupon = Coupon.objects.get(message=offer)
    first_code = coupon.code
    shop.failures = [CouponRefused("Code must be unique.", duplicate=True)]

    coupon_push(coupon_id=coupon.pk)

    coupon.refresh_from_db()
    assert coupon.shop_state == CouponShopState.CREATED and coupon.code != first_code
    assert shop.coupons == [coupon.code]
    assert message_send(message_id=offer.pk).status == MessageStatus.SENT
    assert coupon.code in mailoutbox[0].body and first_code not in mailoutbox[0].body


@time_machine.travel(NOON_ROME, tick=False)
def test_a_shop_that_does_not_answer_is_asked_again_later(shop, offer):
    message_send(message_id=offer.pk)
    coupon = Coupon.objects.get(message=offer)
    shop.failures = [CallError("https://shop/graphql.json answered HTTP 502.", status=502)]

    with pytest.raises(PushLater) as later:
        coupon_push(coupon_id=coupon.pk)

    assert later.value.countdown >= 30
    coupon.refresh_from_db()
    assert coupon.shop_state == CouponShopState.PENDING and coupon.shop_attempts == 1
    coupon_push(coupon_id=coupon.pk)
    coupon.refresh_from_db()
    assert coupon.shop_state == CouponShopState.CREATED


@time_machine.travel(NOON_ROME, tick=False)
def test_without_a_connected_shop_the_code_is_ours_and_goes_at_once(flows, offer, mailoutbox):
    assert message_send(message_id=offer.pk).status == MessageStatus.SENT
    assert Coupon.objects.get(message=offer).shop_state == CouponShopState.LOCAL


def test_a_code_the_shop_lower_cased_still_redeems_its_coupon(flows, store, offer):
    from apps.campaigns.services.coupons import coupon_issue, coupons_redeem
    from tests.orders.factories import OrderFactory

    coupon = coupon_issue(message=offer)
    order = OrderFactory(store=store, discount_codes=[coupon.code.lower()])

    assert coupons_redeem(order=order) == 1
    assert coupons_redeem(order=order) == 0
    coupon.refresh_from_db()
    assert coupon.redeemed_order == order


@pytest.mark.django_db(transaction=True)
@time_machine.travel(NOON_ROME, tick=False)
def test_when_the_shop_answers_at_once_the_email_goes_at_once(shop, offer, mailoutbox):
    # No transaction around the send, as in a worker: the push runs the moment it is queued (eager here), so
    # the hold must be recorded before the shop is asked, or the shop's answer finds no message to send.
    assert message_send(message_id=offer.pk).status == "deferred"

    offer.refresh_from_db()
    coupon = Coupon.objects.get(message=offer)
    assert offer.status == MessageStatus.SENT and len(mailoutbox) == 1
    assert shop.coupons == [coupon.code] and coupon.code in mailoutbox[0].body


@pytest.fixture
def confirmation(flows, store):
    from tests.orders.factories import OrderFactory

    buyer = CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")
    order = OrderFactory(store=store, customer=buyer, email=buyer.email)
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    step.incentive_kind, step.incentive_value = "percent", 10
    step.save()
    planned = Planned(
        step=step,
        subject_key="o:1",
        email=buyer.email,
        scheduled_for=NOON_ROME,
        customer_id=buyer.pk,
        order_id=order.pk,
    )
    return messages_schedule([planned])[0]


def test_an_order_confirmation_whose_code_the_shop_refused_goes_without_the_code(shop, confirmation, mailoutbox):
    with time_machine.travel(NOON_ROME, tick=False):
        assert message_send(message_id=confirmation.pk).status == "deferred"
        coupon = Coupon.objects.get(message=confirmation)
        shop.failures = [CouponRefused("Discount code requires the write_discounts scope.")]
        coupon_push(coupon_id=coupon.pk)
    with time_machine.travel(NOON_ROME + timedelta(minutes=3), tick=False):
        assert message_send(message_id=confirmation.pk).status == MessageStatus.SENT

    assert len(mailoutbox) == 1 and coupon.code not in mailoutbox[0].body


def test_an_order_confirmation_waits_ten_minutes_at_most_for_a_silent_shop(shop, confirmation, mailoutbox):
    from apps.campaigns.models import Message

    Message.objects.filter(pk=confirmation.pk).update(created_at=NOON_ROME)
    with time_machine.travel(NOON_ROME, tick=False):
        assert message_send(message_id=confirmation.pk).status == "deferred"
    coupon = Coupon.objects.get(message=confirmation)
    with time_machine.travel(NOON_ROME + timedelta(minutes=11), tick=False):
        assert message_send(message_id=confirmation.pk).status == MessageStatus.SENT

    coupon.refresh_from_db()
    assert coupon.shop_state == CouponShopState.PENDING and shop.coupons == []
    assert len(mailoutbox) == 1 and coupon.code not in mailoutbox[0].body


@time_machine.travel(NOON_ROME, tick=False)
def test_a_push_while_another_is_asking_the_shop_does_nothing(shop, offer):
    from django.core.cache import cache

    message_send(message_id=offer.pk)
    coupon = Coupon.objects.get(message=offer)
    cache.add(f"integrations:coupon-push:{coupon.pk}", 1)  # another worker is asking the shop

    assert coupon_push(coupon_id=coupon.pk) is None
    assert shop.coupons == []

    cache.delete(f"integrations:coupon-push:{coupon.pk}")
    assert coupon_push(coupon_id=coupon.pk).shop_state == CouponShopState.CREATED
    assert shop.coupons == [coupon.code]

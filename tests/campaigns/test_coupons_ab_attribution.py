from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.campaigns.abtest import chances_best, variant_for
from apps.campaigns.models import Coupon, CouponPool, Flow, FlowKind, Message, MessageStatus, Variant
from apps.campaigns.services.attribution import attribute_order
from apps.campaigns.services.coupons import coupon_issue, coupon_pool_add_codes, coupons_redeem
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.campaigns.services.variants import ab_pick_winner
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db
T = datetime(2026, 6, 1, 12, tzinfo=UTC)


def scheduled(flows, kind, key, customer, subject_key):
    step = flows[kind].steps.get(key=key)
    return messages_schedule(
        [Planned(step=step, subject_key=subject_key, email=customer.email, scheduled_for=T, customer_id=customer.pk)]
    )[0]


def test_a_new_store_starts_with_every_default_flow_switched_off():
    store = StoreFactory()
    flows = Flow.objects.filter(store=store)
    assert {flow.kind for flow in flows} == set(FlowKind.values)
    assert not flows.filter(enabled=True).exists()
    assert flows.get(kind=FlowKind.ABANDONED_CART).steps.count() == 3


def test_generated_coupons_are_unique_and_issued_once_per_message(flows, store):
    codes = set()
    for n in range(30):
        customer = CustomerFactory(store=store)
        message = scheduled(flows, FlowKind.ABANDONED_CART, "coupon-72h", customer, f"cart:{n}")
        coupon = coupon_issue(message=message)
        assert coupon_issue(message=message) == coupon
        assert (coupon.kind, coupon.value, coupon.customer_id) == ("percent", Decimal("10.00"), customer.pk)
        assert coupon.expires_at > timezone.now() + timedelta(days=2)
        codes.add(coupon.code)
    assert len(codes) == 30


def test_a_pool_code_is_never_handed_to_two_people(flows, store):
    pool = CouponPool.objects.create(store=store, name="Shopify codes")
    assert coupon_pool_add_codes(pool=pool, codes=["AAA", "BBB", "AAA", " "]) == 2
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    step.incentive_pool = pool
    step.save()
    issued = []
    for n in range(3):
        message = scheduled(flows, FlowKind.WIN_BACK, "offer", CustomerFactory(store=store), f"c:{n}")
        issued.append(coupon_issue(message=message))
    assert sorted(c.code for c in issued[:2]) == ["AAA", "BBB"]
    assert issued[2] is None  # the pool ran dry
    assert Coupon.objects.filter(pool=pool, message__isnull=False).count() == 2


def test_an_incoming_order_with_the_code_redeems_the_coupon(flows, store):
    customer = CustomerFactory(store=store)
    coupon = coupon_issue(message=scheduled(flows, FlowKind.ABANDONED_CART, "coupon-72h", customer, "cart:1"))
    order = OrderFactory(store=store, customer=customer, discount_codes=[coupon.code])
    assert coupons_redeem(order=order) == 1
    assert coupons_redeem(order=order) == 0
    coupon.refresh_from_db()
    assert coupon.redeemed_order == order


def test_an_order_is_credited_to_the_last_click_within_the_window(flows, store):
    customer = CustomerFactory(store=store)
    older = scheduled(flows, FlowKind.WIN_BACK, "offer", customer, "a")
    newer = scheduled(flows, FlowKind.WIN_BACK, "values", customer, "b")
    Message.objects.filter(pk=older.pk).update(status=MessageStatus.SENT, clicked_at=T - timedelta(days=3))
    Message.objects.filter(pk=newer.pk).update(status=MessageStatus.SENT, clicked_at=T - timedelta(days=1))
    order = OrderFactory(store=store, customer=customer, placed_at=T, total=Decimal("80.00"))
    assert attribute_order(order=order) == newer
    assert attribute_order(order=order) is None  # credited once
    newer.refresh_from_db()
    assert (newer.attributed_order, newer.attributed_revenue) == (order, Decimal("80.00"))


def test_an_open_counts_only_for_a_day_and_a_machine_open_never(flows, store):
    customer = CustomerFactory(store=store)
    message = scheduled(flows, FlowKind.WIN_BACK, "offer", customer, "a")
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, opened_at=T - timedelta(hours=30))
    assert attribute_order(order=OrderFactory(store=store, customer=customer, placed_at=T)) is None
    Message.objects.filter(pk=message.pk).update(opened_at=None, machine_opened=True)
    assert attribute_order(order=OrderFactory(store=store, customer=customer, placed_at=T)) is None


def test_a_recipient_keeps_their_variant_and_weights_split_the_traffic(flows):
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    a = Variant.objects.create(step=step, label="A", subject={"en": "A"}, weight=50)
    b = Variant.objects.create(step=step, label="B", subject={"en": "B"}, weight=50)
    picks = [variant_for(step, f"customer:{n}") for n in range(1000)]
    assert variant_for(step, "customer:7") == picks[7]
    share_a = sum(1 for v in picks if v == a) / len(picks)
    assert 0.45 < share_a < 0.55
    assert {a, b} == set(picks)


def test_chance_best_favours_the_clearly_better_variant():
    assert chances_best([(50, 1000), (90, 1000)])[1] > 0.99
    even = chances_best([(50, 1000), (50, 1000)])
    assert 0.4 < even[0] < 0.6


def test_a_winner_is_picked_only_with_enough_sends_and_confidence(flows, store):
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    a = Variant.objects.create(step=step, label="A", subject={"en": "Come back"})
    b = Variant.objects.create(step=step, label="B", subject={"en": "We miss you"})

    def sends(variant, count, clicks, offset):
        rows = [
            Message(
                store=store,
                step=step,
                subject_key=f"{variant.label}:{offset + n}",
                email=f"x{offset + n}@e.com",
                scheduled_for=T,
                status=MessageStatus.SENT,
                variant=variant,
                clicked_at=T if n < clicks else None,
            )
            for n in range(count)
        ]
        Message.objects.bulk_create(rows)

    sends(a, 100, 5, 0)
    sends(b, 100, 15, 1000)
    assert ab_pick_winner(step=step) is None  # fewer than 200 sends each
    sends(a, 150, 7, 2000)
    sends(b, 150, 23, 3000)
    assert ab_pick_winner(step=step) == b
    a.refresh_from_db()
    b.refresh_from_db()
    assert (b.is_winner, a.retired) == (True, True)
    assert variant_for(step, "anyone") == b


def test_the_tracking_page_shows_the_coupon_an_email_about_the_order_handed_out(flows, store):
    from apps.tracking.blocks import coupon_for_order

    customer = CustomerFactory(store=store)
    order = OrderFactory(store=store, customer=customer)
    assert coupon_for_order(order) is None
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    step.incentive_kind, step.incentive_value = "percent", 10
    step.save()
    (message,) = messages_schedule(
        [
            Planned(
                step=step,
                subject_key="order:x",
                email=customer.email,
                scheduled_for=T,
                order_id=order.pk,
                customer_id=customer.pk,
            )
        ]
    )
    coupon = coupon_issue(message=message)
    block = coupon_for_order(order)
    assert (block.code, block.headline) == (coupon.code, "10% off your next order")


@pytest.mark.django_db(transaction=True)
def test_a_pool_code_is_claimed_in_its_own_transaction_as_a_worker_claims_it(flows, store):
    """As a sending worker calls it (autocommit, no test transaction around it): the pool's row lock needs one."""
    pool = CouponPool.objects.create(store=store, name="Shop codes")
    coupon_pool_add_codes(pool=pool, codes=["ONLY1"])
    step = flows[FlowKind.WIN_BACK].steps.get(key="offer")
    step.incentive_pool = pool
    step.save()
    message = scheduled(flows, FlowKind.WIN_BACK, "offer", CustomerFactory(store=store), "c:solo")
    assert coupon_issue(message=message).code == "ONLY1"
    assert coupon_issue(message=message).code == "ONLY1"  # once per message

"""A coupon promised for a review is issued only once the review is in: never on opening the link, once per
order whatever the replays, and shown on the thank-you page."""

from decimal import Decimal

import pytest

from apps.campaigns.models import Coupon, CouponShopState
from apps.reviews.links import review_path, review_thanks_path
from apps.reviews.models import ReviewReward
from apps.reviews.services import ReviewInput, review_incentive_set, review_reward_issue, reviews_submit
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    store = StoreFactory(slug="aurora", currency="EUR")
    review_incentive_set(store=store, active=True, kind="percent", value=Decimal("10"), valid_days=30)
    order = OrderFactory(store=store, locale="en", customer__locale="en")
    OrderLineFactory(order=order)
    OrderLineFactory(order=order)
    return order


def send(client, order, *, lines=2):
    data = {}
    for line in list(order.lines.order_by("pk"))[:lines]:
        data.update({f"line-{line.pk}-rating": "5", f"line-{line.pk}-text": "Great"})
    return client.post(review_path(order), data)


def test_the_page_promises_the_coupon_but_opening_it_issues_none(client, order):
    page = client.get(review_path(order)).content.decode()
    assert "10% off your next order" in page
    assert Coupon.objects.count() == 0


def test_sending_a_review_issues_one_coupon_shown_on_the_thank_you_page(client, order):
    # when the buyer sends reviews of both products
    response = send(client, order)
    # then one coupon exists for the order, for the buyer, valid 30 days, and the thanks page shows its code
    reward = ReviewReward.objects.get(order=order)
    coupon = reward.coupon
    assert (coupon.kind, coupon.value, coupon.customer_id) == ("percent", Decimal("10.00"), order.customer_id)
    assert coupon.code.startswith("AURORA-")
    assert (coupon.expires_at - coupon.issued_at).days == 30
    page = client.get(response["Location"]).content.decode()
    assert coupon.code in page and "10% off your next order" in page


def test_replays_and_later_edits_never_issue_a_second_coupon(client, order):
    send(client, order, lines=1)
    send(client, order, lines=1)
    send(client, order, lines=2)  # the second product reviewed later
    assert Coupon.objects.count() == 1
    assert ReviewReward.objects.count() == 1


def test_no_review_no_coupon_even_when_asked_directly(order):
    assert review_reward_issue(order=order) is None
    assert Coupon.objects.count() == 0


def test_a_store_without_a_promise_issues_nothing(client):
    order = OrderFactory()
    OrderLineFactory(order=order)
    send(client, order, lines=1)
    assert Coupon.objects.count() == 0
    assert "coupon-code" not in client.get(review_thanks_path(order)).content.decode()


def test_a_code_the_shop_must_create_is_pending_until_then_and_not_shown(client, order, monkeypatch):
    # given a connected shop that creates codes (the push itself is the integrations' job)
    monkeypatch.setattr("apps.integrations.services.shop_coupons.coupon_shop", lambda store_id: object())
    pushed = []
    monkeypatch.setattr("apps.integrations.tasks.coupon_push_task.delay", lambda coupon_id: pushed.append(coupon_id))
    line = order.lines.order_by("pk").first()
    result = reviews_submit(order=order, entries=[(line, ReviewInput(rating=4, title="", text="Good"))], language="en")
    coupon = result.reward.coupon
    assert coupon.shop_state == CouponShopState.PENDING
    page = client.get(review_thanks_path(order)).content.decode()
    assert coupon.code not in page
    assert "being created in the shop" in page

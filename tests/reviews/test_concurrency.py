"""Two submissions of the same order's review page at once (a double click reaching two web processes):
one review per line and one coupon, whoever wins. Needs PostgreSQL: each thread has its own connection,
and the second really waits on the first's uncommitted row."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.campaigns.models import Coupon
from apps.reviews.models import Review, ReviewReward
from apps.reviews.services import ReviewInput, review_incentive_set, reviews_submit
from tests.orders.factories import OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_submissions_at_once_make_one_review_per_line_and_one_coupon():
    order = OrderFactory()
    review_incentive_set(store=order.store, active=True, kind="percent", value=Decimal("10"), valid_days=30)
    lines = [OrderLineFactory(order=order), OrderLineFactory(order=order)]
    barrier, errors = threading.Barrier(2), []

    def worker(words: str):
        try:
            barrier.wait()
            entries = [(line, ReviewInput(rating=5, title="", text=words)) for line in lines]
            reviews_submit(order=order, entries=entries, language="en")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(words,)) for words in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert Review.objects.filter(order=order).count() == 2
    assert ReviewReward.objects.filter(order=order).count() == 1
    assert Coupon.objects.filter(store=order.store).count() == 1

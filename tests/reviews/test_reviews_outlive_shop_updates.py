"""A review belongs to what the buyer bought: the shop sending the order again (a refund, an edited quantity)
keeps it, and erasing the buyer takes it away with its photos."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apps.customers.privacy import customer_erase
from apps.orders.inputs import LineIn, OrderIn
from apps.orders.services import order_upsert
from apps.reviews.models import Review, ReviewPhoto
from tests.reviews.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def test_an_order_sent_again_with_a_changed_line_keeps_its_review(django_capture_on_commit_callbacks):
    review = ReviewFactory(published=True, line__external_id="L1", line__quantity=2)
    order = review.order
    data = OrderIn(
        external_id=order.external_id,
        number=order.number,
        email=order.email,
        placed_at=order.placed_at,
        currency=order.currency,
        total=Decimal("10.00"),
        lines=[LineIn(external_id="L1", title="Beans (one refunded)", quantity=1, unit_price=Decimal("10.00"))],
    )
    for _ in range(2):
        order_upsert(store=order.store, data=data)
    review.refresh_from_db()
    assert review.line.quantity == 1 and review.line.title == "Beans (one refunded)"
    assert Review.objects.count() == 1


def test_erasing_the_buyer_takes_their_reviews_and_photo_files(django_capture_on_commit_callbacks):
    review = ReviewFactory(published=True)
    name = default_storage.save("reviews/test-erase.jpg", ContentFile(b"jpeg"))
    ReviewPhoto.objects.create(store=review.store, review=review, image=name, width=1, height=1)
    customer = review.customer
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(customer=customer, confirm_email=customer.email)
    assert not Review.objects.exists() and not ReviewPhoto.objects.exists()
    assert not default_storage.exists(name)

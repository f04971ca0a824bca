from datetime import timedelta

import factory
from django.utils import timezone

from apps.reviews.models import EDIT_WINDOW, Review, ReviewStatus
from tests.orders.factories import OrderLineFactory
from tests.stores.factories import StoreFactory, TenantFactory


class ReviewFactory(TenantFactory):
    _store_from = ("line", "order")

    store = factory.SubFactory(StoreFactory)
    line = factory.SubFactory(OrderLineFactory, store=factory.SelfAttribute("..store"))
    order = factory.SelfAttribute("line.order")
    product = factory.SelfAttribute("line.product")
    customer = factory.SelfAttribute("line.order.customer")
    rating = 5
    title = "Lovely beans"
    text = "Fresh, fragrant and well packed."
    author_name = "Giulia R."
    language = "en"
    submitted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    editable_until = factory.LazyAttribute(lambda o: o.submitted_at + EDIT_WINDOW)

    class Meta:
        model = Review

    class Params:
        published = factory.Trait(status=ReviewStatus.PUBLISHED)
        rejected = factory.Trait(status=ReviewStatus.REJECTED)

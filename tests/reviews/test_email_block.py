"""In emails: the review request's button opens our review page for the order, and a "reviews" block shows
the store's best published reviews (never a pending or rejected one, never another store's)."""

import re
from html import unescape

import pytest
from django.utils import timezone

from apps.campaigns.design.blocks import DesignInvalid, needs_of, validate_design
from apps.campaigns.dispatch import build_email
from apps.campaigns.models import FlowKind
from apps.campaigns.services.flows import flows_install_defaults
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.reviews.links import REVIEW_SALT
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.reviews.factories import ReviewFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    store = StoreFactory(slug="aurora", default_language="en", languages=["en", "it"])
    flows_install_defaults(store=store)
    return store


def message_for(store, *, kind=FlowKind.DELIVERED_FOLLOWUP, key="how-is-it", design=None):
    customer = CustomerFactory(store=store, consenting=True, locale="en")
    order = OrderFactory(store=store, customer=customer, email=customer.email)
    OrderLineFactory(order=order)
    step = store_step(store, kind, key)
    if design is not None:
        step.design = {"en": validate_design(design)}
        step.save()
    planned = Planned(
        step=step,
        subject_key=f"order:{order.pk}",
        email=customer.email,
        scheduled_for=timezone.now(),
        customer_id=customer.pk,
        order_id=order.pk,
    )
    return messages_schedule([planned])[0], order


def store_step(store, kind, key):
    from apps.campaigns.models import FlowStep

    return FlowStep.objects.get(flow__store=store, flow__kind=kind, key=key)


def html_of(message) -> str:
    """The email's HTML as sent (entities kept, so escaping can be checked)."""
    email, _rendered = build_email(message)
    return email.alternatives[0][0]


def test_the_review_requests_button_opens_our_signed_review_page(store):
    from django.core import signing

    message, order = message_for(store)
    html = html_of(message)
    links = re.findall(r'href="(https://reviews\.afterglow\.example/review/([^/"]+)/)"', html)
    assert links, "the review button leads to our review page"
    assert signing.loads(links[0][1], salt=REVIEW_SALT) == order.pk
    assert store.review_url not in unescape(html)


def test_the_reviews_block_shows_the_best_published_reviews_of_the_store(store):
    product = ProductFactory(store=store, name="Miscela Classica")

    def review(**kwargs):
        return ReviewFactory(line=OrderLineFactory(store=store, product=product), **kwargs)

    review(published=True, rating=5, title="Il migliore", text="Cremoso e <b>intenso</b>")
    review(published=True, rating=4, title="Buono", text="Quattro stelle")
    review(published=True, rating=2, title="Deluso", text="Troppo amaro")  # below four stars
    review(rating=5, title="Non ancora approvato", text="pending")
    other = StoreFactory()
    ReviewFactory(line=OrderLineFactory(store=other), published=True, title="Altro negozio")
    design = [
        {"type": "header"},
        {"type": "heading", "text": "Our buyers say"},
        {"type": "reviews", "title": "", "limit": 2},
        {"type": "footer"},
    ]
    assert needs_of(validate_design(design)) == ("reviews",)
    message, _order = message_for(store, kind=FlowKind.WIN_BACK, key="values", design=design)
    html = html_of(message)
    assert "What our customers say" in html
    assert "Il migliore" in html and "Buono" in html
    assert "Cremoso e &lt;b&gt;intenso&lt;/b&gt;" in html and "<b>intenso" not in html  # escaped
    assert "★★★★★" in unescape(html) and "Giulia R." in html
    for absent in ("Deluso", "Non ancora approvato", "Altro negozio"):
        assert absent not in html


def test_a_store_without_published_reviews_shows_no_empty_reviews_card(store):
    design = [{"type": "heading", "text": "Hello"}, {"type": "reviews", "title": "Loved by our buyers"}]
    message, _order = message_for(store, kind=FlowKind.WIN_BACK, key="values", design=design)
    assert "Loved by our buyers" not in html_of(message)


def test_the_block_refuses_settings_out_of_bounds():
    with pytest.raises(DesignInvalid):
        validate_design([{"type": "reviews", "limit": 9}])

"""Published reviews leave Afterglow three ways: Google's product reviews feed (validated against the 2.3
schema with lxml), a JSON endpoint per product and a widget page without script. Each shows approved reviews
only, escapes what buyers wrote, and answers for one store (another store's product is a 404)."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from lxml import etree

from apps.reviews.models import ReviewPhoto
from tests.orders.factories import OrderLineFactory, ProductFactory
from tests.reviews.factories import ReviewFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db

SCHEMA = etree.XMLSchema(
    etree.parse(str(Path(__file__).parents[1] / "fixtures" / "reviews" / "product_reviews_2.3.xsd"))
)
NASTY = '<script>alert("x")</script> & \x07 "quoted"'


@pytest.fixture
def store():
    return StoreFactory(slug="aurora", name="Torrefazione <Aurora> & Co")


@pytest.fixture
def product(store):
    return ProductFactory(store=store, external_id="sku-42", name="Miscela <Classica>", sku="MC-42")


def review_of(product, **kwargs):
    return ReviewFactory(line=OrderLineFactory(store=product.store, product=product), **kwargs)


def feed(client, store):
    return client.get(reverse("reviews:google_feed", kwargs={"store_slug": store.slug}))


def test_the_feed_validates_against_googles_schema_and_holds_only_published_reviews(client, store, product):
    # given a published review with a photo and an awkward title, a pending one and a rejected one
    published = review_of(product, published=True, title=NASTY, text="Buonissimo\nda rifare")
    name = default_storage.save("reviews/1/photo.jpg", ContentFile(b"jpeg"))
    ReviewPhoto.objects.create(store=store, review=published, image=name, width=10, height=10)
    anonymous = review_of(product, published=True, author_name="", title="")
    review_of(product)  # pending
    review_of(product, rejected=True)
    # when Google fetches the feed
    response = feed(client, store)
    # then it is XML that Google's schema accepts, with the two published reviews only
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    document = etree.fromstring(response.content)
    SCHEMA.assertValid(document)
    ids = document.xpath("/feed/reviews/review/review_id/text()")
    assert sorted(ids) == sorted([str(published.pk), str(anonymous.pk)])
    review = document.xpath(f"/feed/reviews/review[review_id='{published.pk}']")[0]
    assert review.findtext("title") == NASTY.replace("\x07", "")  # escaped as XML text, unreadable control dropped
    assert review.findtext("ratings/overall") == "5"
    assert review.findtext("products/product/product_ids/skus/sku") == "MC-42"
    assert review.findtext("products/product/product_url") == product.url
    assert review.findtext("reviewer_images/reviewer_image/url").startswith("https://")
    assert document.xpath(f"/feed/reviews/review[review_id='{anonymous.pk}']/reviewer/name/@is_anonymous") == ["true"]
    assert b"<script>" not in response.content


def test_a_store_without_published_reviews_gives_a_valid_empty_feed(client, store):
    SCHEMA.assertValid(etree.fromstring(feed(client, store).content))


def test_the_feed_reads_in_a_fixed_number_of_queries(client, store, product, django_assert_max_num_queries):
    for _ in range(5):
        review_of(product, published=True)
    with django_assert_max_num_queries(3):  # the store, the reviews with their products, their photos
        assert feed(client, store).status_code == 200


@pytest.mark.parametrize("name", ["reviews:product_json", "reviews:widget"])
def test_the_json_and_the_widget_read_in_a_fixed_number_of_queries(
    client, store, product, name, django_assert_max_num_queries
):
    for _ in range(6):
        review_of(product, published=True)
    url = reverse(name, kwargs={"store_slug": "aurora", "product_id": "sku-42"})
    with django_assert_max_num_queries(5):  # store, product, the summary, the reviews, their photos
        assert client.get(url).status_code == 200


def test_an_unknown_store_has_no_feed(client):
    assert client.get(reverse("reviews:google_feed", kwargs={"store_slug": "nobody"})).status_code == 404


def test_the_json_endpoint_gives_published_reviews_of_the_product_with_the_summary(client, store, product):
    review_of(product, published=True, rating=5, title=NASTY)
    review_of(product, published=True, rating=4)
    review_of(product, rating=1)  # pending: not shown
    response = client.get(reverse("reviews:product_json", kwargs={"store_slug": "aurora", "product_id": "sku-42"}))
    assert response.status_code == 200
    data = response.json()
    assert data["rating"] == {"count": 2, "average": 4.5}
    assert sorted(review["rating"] for review in data["reviews"]) == [4, 5]
    assert NASTY in [review["title"] for review in data["reviews"]]  # JSON carries text; a page must escape it
    assert b"<" not in response.content and b"&" not in response.content  # escaped as \\u003C, \\u0026
    assert response["Content-Type"] == "application/json"


def test_another_stores_product_is_a_404_on_the_json_and_the_widget(client, store, product):
    other = StoreFactory(slug="rival")
    rival_product = ProductFactory(store=other, external_id="rival-1")
    review_of(rival_product, published=True)
    for name in ("reviews:product_json", "reviews:widget"):
        url = reverse(name, kwargs={"store_slug": "aurora", "product_id": "rival-1"})
        assert client.get(url).status_code == 404, name


def test_the_widget_shows_published_reviews_escaped_in_the_stores_colours_without_script(client, store, product):
    review_of(product, published=True, title=NASTY, reply="Grazie <b>mille</b>")
    review_of(product, text="pending text")  # not approved
    url = reverse("reviews:widget", kwargs={"store_slug": "aurora", "product_id": "sku-42"})
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;" in page and "<script" not in page
    assert "Grazie &lt;b&gt;mille&lt;/b&gt;" in page
    assert "pending text" not in page
    assert store.accent_colour.lower() in page  # the store's brand
    policy = response["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "frame-ancestors *" in policy
    assert "X-Frame-Options" not in response  # it is made to be framed


def test_the_widget_of_a_product_without_reviews_says_so(client, store, product):
    page = client.get(reverse("reviews:widget", kwargs={"store_slug": "aurora", "product_id": "sku-42"}))
    assert "No reviews yet." in page.content.decode()

"""The Google product reviews feed (schema 2.3:
http://www.google.com/shopping/reviews/schema/product/2.3/product_reviews.xsd).

Google expects the full set every time (a review left out is deleted there), elements in the schema's
order, non-empty strings and http(s) addresses. Built with ElementTree, so every value is escaped as XML
text; characters XML cannot carry at all (control characters) are dropped first.
"""

import re
from datetime import UTC
from xml.etree import ElementTree as ET

from django.conf import settings

from apps.core.safe_values import web_url

from .links import widget_url
from .models import RATINGS

SCHEMA_VERSION = "2.3"
SCHEMA_LOCATION = f"http://www.google.com/shopping/reviews/schema/product/{SCHEMA_VERSION}/product_reviews.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(parent: ET.Element, tag: str, value: str, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = NOT_XML.sub("", value)
    return element


def _media_url(photo) -> str:
    url = photo.image.url
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}/{url.lstrip('/')}"


def review_element(parent: ET.Element, review, *, store) -> None:
    product = review.product
    product_page = web_url(product.url) or widget_url(store, product)
    element = ET.SubElement(parent, "review")
    _text(element, "review_id", str(review.pk))
    reviewer = ET.SubElement(element, "reviewer")
    if review.author_name.strip():
        _text(reviewer, "name", review.author_name)
    else:
        _text(reviewer, "name", "Anonymous", is_anonymous="true")
    _text(element, "review_timestamp", review.submitted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if review.title.strip():
        _text(element, "title", review.title)
    _text(element, "content", review.text)
    # The page showing this product's reviews, this one among them.
    _text(element, "review_url", widget_url(store, product), type="group")
    photos = list(review.photos.all())
    if photos:
        images = ET.SubElement(element, "reviewer_images")
        for photo in photos:
            _text(ET.SubElement(images, "reviewer_image"), "url", _media_url(photo))
    ratings = ET.SubElement(element, "ratings")
    _text(ratings, "overall", str(review.rating), min=str(RATINGS[0]), max=str(RATINGS[-1]))
    products = ET.SubElement(element, "products")
    item = ET.SubElement(products, "product")
    if product.sku.strip():
        _text(ET.SubElement(ET.SubElement(item, "product_ids"), "skus"), "sku", product.sku)
    _text(item, "product_name", product.name)
    _text(item, "product_url", product_page)
    _text(element, "is_spam", "false")
    _text(element, "collection_method", "post_fulfillment")
    _text(element, "transaction_id", f"order-{review.order_id}")


def product_reviews_feed(*, store, reviews) -> bytes:
    """The feed as UTF-8 XML bytes."""
    ET.register_namespace("xsi", XSI)
    feed = ET.Element("feed", {f"{{{XSI}}}noNamespaceSchemaLocation": SCHEMA_LOCATION})
    _text(feed, "version", SCHEMA_VERSION)
    publisher = ET.SubElement(feed, "publisher")
    _text(publisher, "name", store.name.strip() or store.slug)
    container = ET.SubElement(feed, "reviews")
    for review in reviews:
        review_element(container, review, store=store)
    if not len(container):
        feed.remove(container)  # <reviews> holds at least one <review>
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

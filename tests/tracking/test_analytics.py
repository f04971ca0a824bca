"""Views and clicks of tracking-page blocks: signed redirects, recorded events, per-block counts."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.tracking.links import go_path, sign_target
from apps.tracking.models import PageEvent, PageViewCount
from apps.tracking.page_views import page_views_flush
from apps.tracking.selectors import page_block_counts
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_a_click_is_recorded_then_redirected_to_the_signed_target(client):
    order = OrderFactory()
    path = go_path(token=order.tracking_token, block="social", url="https://instagram.com/shop")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "https://instagram.com/shop"
    event = PageEvent.objects.get()
    assert (event.store, event.order, event.block, event.kind) == (order.store, order, "social", "click")
    assert event.target == "https://instagram.com/shop"


def test_a_head_request_from_a_link_checker_is_answered_but_not_counted(client):
    order = OrderFactory()
    path = go_path(token=order.tracking_token, block="social", url="https://instagram.com/shop")
    assert client.head(path).status_code == 302
    assert client.head(order.get_tracking_url()).status_code == 200
    assert not PageEvent.objects.exists()


def test_a_tampered_target_is_a_400_and_nothing_is_recorded(client):
    order = OrderFactory()
    path = go_path(token=order.tracking_token, block="social", url="https://instagram.com/shop")
    signed = parse_qs(urlsplit(path).query)["to"][0]
    url = reverse("tracking:go", args=[order.tracking_token, "social"])
    tampered = signed.replace("instagram.com", "evil.example")
    assert client.get(url, {"to": tampered}).status_code == 400
    assert client.get(url, {"to": "https://evil.example/"}).status_code == 400
    assert client.get(url).status_code == 400
    # a link signed for one block does not work from another
    other_block = reverse("tracking:go", args=[order.tracking_token, "coupon"])
    assert client.get(other_block, {"to": signed}).status_code == 400
    assert not PageEvent.objects.exists()


def test_only_web_addresses_can_be_signed():
    with pytest.raises(ValueError):
        sign_target("social", "javascript:alert(1)")
    assert go_path(token="t", block="social", url="/relative") == ""


def test_an_unknown_block_is_a_404(client):
    order = OrderFactory()
    response = client.get(reverse("tracking:go", args=[order.tracking_token, "banner"]), {"to": "x"})
    assert response.status_code == 404


def test_a_page_view_records_one_view_per_block_shown(client):
    # given an order whose page shows recommendations, social links and the newsletter form
    store = StoreFactory(social_links={"instagram": "https://instagram.com/shop"})
    order = OrderFactory(store=store)
    bought, related = ProductFactory(store=store), ProductFactory(store=store)
    bought.related_products.add(related)
    OrderLineFactory(order=order, product=bought)
    # when it is opened, and a HEAD request comes too
    client.get(order.get_tracking_url())
    client.head(order.get_tracking_url())
    # then, once the minute's counts are flushed, each block has one view
    assert not PageEvent.objects.exists()
    page_views_flush(now=timezone.now() + timedelta(minutes=2))
    counts = page_block_counts(store=store)
    assert {block: n["views"] for block, n in counts.items() if n["views"]} == {
        "newsletter": 1,
        "recommendations": 1,
        "social": 1,
    }


def test_the_live_fragment_records_no_views(client):
    order = OrderFactory()
    client.get(reverse("tracking:live", args=[order.tracking_token]))
    assert page_views_flush(now=timezone.now() + timedelta(minutes=2)) == 0
    assert not PageEvent.objects.exists() and not PageViewCount.objects.exists()


def test_per_block_counts_for_the_merchant_are_store_scoped():
    order = OrderFactory()
    other = OrderFactory()
    for kind, block, n in [("view", "recommendations", 4), ("click", "recommendations", 1), ("view", "social", 2)]:
        PageEvent.objects.bulk_create([PageEvent(store=order.store, order=order, block=block, kind=kind)] * n)
    PageEvent.objects.create(store=other.store, order=other, block="social", kind="click")
    counts = page_block_counts(store=order.store)
    assert counts["recommendations"] == {"views": 4, "clicks": 1, "click_rate": 0.25}
    assert counts["social"] == {"views": 2, "clicks": 0, "click_rate": 0.0}
    assert counts["coupon"] == {"views": 0, "clicks": 0, "click_rate": None}
    assert set(counts) >= {"recommendations", "coupon", "social", "newsletter"}

"""Product feeds: YML and Google Merchant files become products; reading twice adds nothing."""

import socket
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.integrations.adapters import PayloadError
from apps.integrations.models import ProductFeed
from apps.integrations.product_feed_formats import parse_feed
from apps.integrations.services.product_feeds import feed_apply, feed_refresh, feeds_due
from apps.orders.models import Product
from tests.integrations.factories import ProductFeedFactory
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

YML = """<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-11-01 10:00">
  <shop>
    <name>Северный кофе</name>
    <currencies><currency id="RUR" rate="1"/></currencies>
    <categories><category id="1">Кофе</category><category id="2" parentId="1">Зерно</category></categories>
    <offers>
      <offer id="beans-250" available="true">
        <url>https://shop.example/beans</url><price>890.50</price><currencyId>RUR</currencyId>
        <categoryId>2</categoryId><picture>https://shop.example/beans.jpg</picture>
        <name>Эфиопия Иргачефф, 250 г</name><vendorCode>ETH-250</vendorCode>
      </offer>
      <offer id="grinder" available="false" type="vendor.model">
        <price>12 990</price><categoryId>1</categoryId>
        <typePrefix>Кофемолка</typePrefix><vendor>Comandante</vendor><model>C40</model>
      </offer>
      <offer available="true"><name>No id: skipped</name></offer>
    </offers>
  </shop>
</yml_catalog>""".encode()

GOOGLE = b"""<?xml version="1.0"?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0">
  <channel>
    <title>Northwind</title>
    <item>
      <g:id>mug-1</g:id><g:title>Stoneware mug</g:title><g:link>https://shop.example/mug</g:link>
      <g:image_link>https://shop.example/mug.jpg</g:image_link><g:availability>in stock</g:availability>
      <g:price>15.00 EUR</g:price><g:sale_price>12.50 EUR</g:sale_price>
      <g:product_type>Home &gt; Kitchen &gt; Mugs</g:product_type>
    </item>
    <item>
      <g:id>kettle</g:id><title>Gooseneck kettle</title><link>https://shop.example/kettle</link>
      <g:availability>out_of_stock</g:availability><g:price>59.00 EUR</g:price>
    </item>
  </channel>
</rss>"""


def test_a_yml_feed_reads_names_prices_categories_and_stock():
    products = {p.external_id: p for p in parse_feed(YML)}
    assert set(products) == {"beans-250", "grinder"}
    beans, grinder = products["beans-250"], products["grinder"]
    assert (beans.name, beans.price, beans.currency, beans.category) == (
        "Эфиопия Иргачефф, 250 г",
        Decimal("890.50"),
        "RUB",
        "Зерно",
    )
    assert beans.in_stock and not grinder.in_stock
    assert grinder.name == "Кофемолка Comandante C40"
    assert grinder.price == Decimal("12990.00")


def test_a_google_merchant_feed_reads_sale_price_and_availability():
    products = {p.external_id: p for p in parse_feed(GOOGLE)}
    assert products["mug-1"].price == Decimal("12.50")
    assert (products["mug-1"].currency, products["mug-1"].category) == ("EUR", "Mugs")
    assert products["kettle"].name == "Gooseneck kettle"
    assert not products["kettle"].in_stock


def test_applying_a_feed_twice_creates_each_product_once():
    store = StoreFactory()
    first = feed_apply(store=store, content=YML)
    second = feed_apply(store=store, content=YML)
    assert (first.seen, first.created) == (2, 2)
    assert (second.seen, second.created) == (2, 0)
    assert Product.objects.filter(store=store).count() == 2


def test_malformed_or_foreign_xml_is_a_clear_error():
    with pytest.raises(PayloadError, match="not well-formed"):
        list(parse_feed(b"<yml_catalog><shop><offers><offer id='1'>"))
    with pytest.raises(PayloadError, match="Not a YML or Google"):
        list(parse_feed(b"<catalog/>"))


def test_a_feed_refresh_records_success_and_failure():
    feed = ProductFeedFactory()
    ok = feed_refresh(feed_id=feed.pk, fetch=lambda url: GOOGLE)
    assert (ok.last_ok, ok.products_seen, ok.products_created) == (True, 2, 2)

    def unreachable(url):
        raise PayloadError("Could not fetch the feed: timed out")

    failed = feed_refresh(feed_id=feed.pk, fetch=unreachable)
    assert failed.last_ok is False
    assert "timed out" in failed.last_error
    assert Product.objects.filter(store=feed.store).count() == 2  # what was read before stays


def test_feeds_are_due_after_their_interval():
    now = timezone.now()
    fresh = ProductFeedFactory(last_fetched_at=now - timezone.timedelta(hours=2), refresh_hours=24)
    stale = ProductFeedFactory(last_fetched_at=now - timezone.timedelta(hours=25), refresh_hours=24)
    never = ProductFeedFactory()
    ProductFeedFactory(enabled=False)
    assert set(feeds_due(now)) == {stale.pk, never.pk}
    assert fresh.pk not in feeds_due(now)


def test_setup_schedules_creates_the_feed_refresh_once():
    call_command("setup_schedules")
    call_command("setup_schedules")
    task = PeriodicTask.objects.get(name="Refresh product feeds")
    assert task.task == "apps.integrations.tasks.feeds_refresh_due_task"
    assert task.interval.every == 60


def test_a_manager_uploads_a_feed_file_in_the_dashboard(client):
    manager = MembershipFactory(role="manager")
    client.force_login(manager.user)
    file = SimpleUploadedFile("feed.xml", YML, content_type="application/xml")
    response = client.post(reverse("dashboard:feed_list"), {"upload-file": file}, follow=True)
    assert "Read 2 products, 2 of them new" in response.content.decode()
    assert Product.objects.filter(store=manager.store).count() == 2


def test_a_manager_adds_a_feed_address_and_it_is_read_after_commit(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("apps.integrations.services.product_feeds.download", lambda url: GOOGLE)
    # shop.example resolves to a public address (the form checks where a feed address leads)
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr("socket.getaddrinfo", lambda host, port, *args, **kwargs: public)
    manager = MembershipFactory(role="manager")
    client.force_login(manager.user)
    form = {"action": "add-feed", "add-url": "https://shop.example/feed.xml", "add-refresh_hours": 12}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboard:feed_list"), form)
    assert response.status_code == 302
    feed = ProductFeed.objects.get(store=manager.store)
    assert (feed.refresh_hours, feed.last_ok, feed.products_seen) == (12, True, 2)
    assert Product.objects.filter(store=manager.store).count() == 2


def test_a_feed_address_that_is_not_a_url_is_a_form_error(client):
    manager = MembershipFactory(role="manager")
    client.force_login(manager.user)
    response = client.post(
        reverse("dashboard:feed_list"), {"action": "add-feed", "add-url": "not a url", "add-refresh_hours": 12}
    )
    assert response.status_code == 400
    assert not ProductFeed.objects.exists()


def test_an_offer_whose_price_no_column_holds_is_skipped_and_the_rest_loads():
    store = StoreFactory()
    feed = GOOGLE.replace(b"<g:price>59.00 EUR</g:price>", b"<g:price>99999999999999999999.00 EUR</g:price>")
    for _ in range(2):
        result = feed_apply(store=store, content=feed)
    assert result.seen == 1
    assert list(Product.objects.filter(store=store).values_list("external_id", flat=True)) == ["mug-1"]

"""The brand page: logo, colours with contrast warnings, contacts, links and locale, with previews."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.stores.models import Store
from apps.tracking.models import PageEvent
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def brand_data(store, **changes):
    data = {
        "name": store.name,
        "website_url": store.website_url,
        "primary_colour": store.primary_colour,
        "accent_colour": store.accent_colour,
        "background_colour": store.background_colour,
        "font_family": store.font_family,
        "sender_name": store.sender_name,
        "sender_email": store.sender_email,
        "reply_to_email": store.reply_to_email,
        "support_email": store.support_email,
        "support_phone": store.support_phone,
        "support_url": store.support_url,
        "postal_address": store.postal_address,
        "newsletter_url": store.newsletter_url,
        "review_url": store.review_url,
        "languages": store.languages,
        "default_language": store.default_language,
        "time_zone": store.time_zone,
        "currency": store.currency,
        "social_instagram": store.social_links.get("instagram", ""),
    }
    data.update(changes)
    return data


def image(fmt="PNG", size=(40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#c2410c").save(buffer, fmt)
    return buffer.getvalue()


def test_the_brand_is_saved_with_a_logo_and_social_links(client, manager):
    store = manager.store
    data = brand_data(
        store,
        name="Northwind Coffee",
        social_tiktok="tiktok.com/@northwind",
        currency="usd",
        time_zone="Asia/Seoul",
        languages=["en", "ko"],
        default_language="ko",
        logo=SimpleUploadedFile("logo.png", image(), "image/png"),
    )
    response = client.post(reverse("dashboard:brand"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    store = Store.objects.get(pk=store.pk)
    assert store.name == "Northwind Coffee" and store.currency == "USD" and store.time_zone == "Asia/Seoul"
    assert store.languages == ["en", "ko"] and store.default_language == "ko"
    assert store.social_links["tiktok"] == "https://tiktok.com/@northwind"
    assert store.logo.name.startswith("logos/")


def test_a_logo_that_is_not_an_allowed_image_is_refused(client, manager):
    for upload in (
        SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        SimpleUploadedFile("logo.bmp", image("BMP"), "image/bmp"),
        SimpleUploadedFile("big.png", image(size=(3000, 3000)) + b"\0" * (1024 * 1024), "image/png"),
    ):
        response = client.post(reverse("dashboard:brand"), brand_data(manager.store, logo=upload))
        assert response.status_code == 400, upload.name
        assert response.context["form"].errors["logo"]
    assert not Store.objects.get(pk=manager.store.pk).logo


def test_the_default_language_must_be_offered(client, manager):
    response = client.post(
        reverse("dashboard:brand"), brand_data(manager.store, languages=["en"], default_language="it")
    )
    assert response.status_code == 400 and "default_language" in response.context["form"].errors


def test_hard_to_read_colours_are_warned_about(client, manager):
    response = client.post(
        reverse("dashboard:brand"),
        brand_data(manager.store, accent_colour="#fde68a", background_colour="#ffffff", name=""),
    )
    checks = {c["label"]: c for c in response.context["checks"]}
    assert not checks["Links and buttons on the background"]["ok"]
    assert checks["Text on the background"]["ok"]
    assert "hard to read on the background" in response.content.decode()


def test_the_previews_are_framed_under_their_own_policies_and_record_no_visit(client, manager):
    OrderFactory(store=manager.store, number="#5150")
    email = client.get(reverse("dashboard:brand_email_preview"))
    assert email["X-Frame-Options"] == "SAMEORIGIN" and "default-src 'none'" in email["Content-Security-Policy"]
    assert b"#1001" in email.content  # the sample order
    tracking = client.get(reverse("dashboard:brand_tracking_preview"))
    assert tracking.status_code == 200 and b"#5150" in tracking.content
    assert "frame-ancestors 'self'" in tracking["Content-Security-Policy"]
    assert tracking["X-Frame-Options"] == "SAMEORIGIN"
    assert not PageEvent.objects.exists()

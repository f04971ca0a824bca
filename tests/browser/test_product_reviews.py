"""A buyer reviews two products, with a photo, from the review email in Italian; staff approve one; it
appears in the Google feed and in the widget framed by another page. Screenshots in test-artifacts/reviews/."""

import io
import re
from html import unescape
from pathlib import Path

import httpx
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from lxml import etree
from PIL import Image
from playwright.sync_api import expect

from apps.campaigns.dispatch import build_email
from apps.campaigns.models import FlowKind, FlowStep
from apps.campaigns.services.flows import flows_install_defaults
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.reviews.models import Review, ReviewPhoto, ReviewStatus
from apps.reviews.services import review_incentive_set
from tests.browser.test_dashboard_journey import sign_in
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.stores.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reviews"
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "reviews" / "product_reviews_2.3.xsd"


def shot(page, name: str, *, width: int | None = None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if width:
        page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def serve_media(page, base: str) -> None:
    """The test server does not serve uploaded media (in production the web server or the bucket does):
    answer /media/ requests from the storage the app wrote to."""

    def fulfil(route):
        name = route.request.url.split("/media/", 1)[1]
        if not default_storage.exists(name):
            route.fulfill(status=404, body="")
            return
        with default_storage.open(name) as stored:
            route.fulfill(status=200, body=stored.read(), content_type="image/jpeg")

    page.route(f"{base}/media/**", fulfil)


@pytest.fixture
def shop(settings, live_server):
    # 127.0.0.1 rather than localhost: Google's schema wants a dotted host in every address of the feed.
    settings.SITE_URL = live_server.url.replace("localhost", "127.0.0.1")
    owner = MembershipFactory(
        role="owner",
        user__username="owner@aurora.example",
        user__email="owner@aurora.example",
        store__slug="aurora",
        store__name="Torrefazione Aurora",
        store__languages=["en", "it"],
        store__primary_colour="#3f2a1d",
        store__accent_colour="#b45309",
    )
    store = owner.store
    flows_install_defaults(store=store)
    review_incentive_set(store=store, active=True, kind="percent", value=10, valid_days=30)
    buyer = CustomerFactory(store=store, first_name="Giulia", last_name="Rossi", locale="it", consenting=True)
    order = OrderFactory(store=store, customer=buyer, email=buyer.email, number="#2048", locale="it")
    for name, external_id in (("Miscela Classica 250 g", "miscela-classica"), ("Moka 3 tazze", "moka-3")):
        product = ProductFactory(store=store, name=name, external_id=external_id, image_url="")
        OrderLineFactory(order=order, product=product, image_url="")
    return store, order


def review_link_from_the_email(store, order) -> str:
    step = FlowStep.objects.get(flow__store=store, flow__kind=FlowKind.DELIVERED_FOLLOWUP, key="how-is-it")
    planned = Planned(
        step=step,
        subject_key=f"order:{order.pk}",
        email=order.email,
        scheduled_for=timezone.now(),
        customer_id=order.customer_id,
        order_id=order.pk,
    )
    email, _rendered = build_email(messages_schedule([planned])[0])
    html = email.alternatives[0][0]
    assert '<html lang="it"' in html  # the buyer's language
    (link,) = set(re.findall(r'href="([^"]*/review/[^"]+/)"', unescape(html)))
    return link


def a_photo(tmp_path) -> Path:
    path = tmp_path / "IMG_2048.jpg"
    image = Image.new("RGB", (1200, 900), (92, 64, 51))
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def test_a_buyer_reviews_two_products_staff_approve_one_and_it_is_published(
    page, browser, live_server, settings, shop, tmp_path
):
    store, order = shop
    base = settings.SITE_URL
    classica, moka = list(order.lines.order_by("pk"))
    serve_media(page, base)

    # given the review email in Italian, when the buyer opens its button
    page.goto(review_link_from_the_email(store, order))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", name="Miscela Classica 250 g")).to_be_visible()
    expect(page.get_by_role("heading", name="Moka 3 tazze")).to_be_visible()
    assert Review.objects.count() == 0  # opening the page records nothing

    # and rates both, with a photo of the first
    page.locator(f"label[for='line-{classica.pk}-star-5']").click()
    page.locator(f"#id_line-{classica.pk}-title").fill("Aroma pieno")
    page.locator(f"#id_line-{classica.pk}-text").fill("Crema perfetta con la moka, la ricompro di sicuro.")
    page.locator(f"#id_line-{classica.pk}-photos").set_input_files(str(a_photo(tmp_path)))
    page.locator(f"label[for='line-{moka.pk}-star-4']").click()
    page.locator(f"#id_line-{moka.pk}-text").fill("Solida, il manico scalda un po'.")
    shot(page, "1-review-page-it")
    shot(page, "1-review-page-it-360", width=360)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("form button[type=submit]").click()

    # then the thank-you page shows the coupon earned by the review, and two pending reviews exist
    coupon_code = page.locator("[data-coupon-code]")
    expect(coupon_code).to_have_text(re.compile(r"^AURORA-[A-Z2-9]{8}$"))
    shot(page, "2-thanks-with-coupon")
    reviews = {review.line_id: review for review in Review.objects.all()}
    assert {line: (r.rating, r.status) for line, r in reviews.items()} == {
        classica.pk: (5, ReviewStatus.PENDING),
        moka.pk: (4, ReviewStatus.PENDING),
    }
    photo = ReviewPhoto.objects.get()
    assert photo.review_id == reviews[classica.pk].pk and (photo.width, photo.height) == (1200, 900)

    # when staff sign in and approve the first review from the list
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    desk = staff.new_page()
    serve_media(desk, base)
    sign_in(desk, live_server, email="owner@aurora.example")
    desk.goto(f"{live_server.url}/dashboard/reviews/")
    row = desk.locator(f"tr[data-review='{reviews[classica.pk].pk}']")
    expect(row).to_contain_text("Aroma pieno")
    shot(desk, "3-moderation-queue")
    row.get_by_role("button", name="Approve").click()
    expect(desk.locator(f"tr[data-review='{reviews[classica.pk].pk}']")).to_have_count(0)
    expect(desk.locator(f"tr[data-review='{reviews[moka.pk].pk}']")).to_be_visible()
    shot(desk, "4-after-approving")
    staff.close()

    # then the Google feed holds the approved review only, valid against the schema
    feed = httpx.get(f"{base}/reviews/aurora/google-product-reviews.xml")
    document = etree.fromstring(feed.content)
    etree.XMLSchema(etree.parse(str(SCHEMA))).assertValid(document)
    assert document.xpath("/feed/reviews/review/review_id/text()") == [str(reviews[classica.pk].pk)]
    assert document.xpath("/feed/reviews/review/reviewer_images/reviewer_image/url/text()")

    # and the widget, framed by the shop's product page, shows it with its photo and not the pending one
    widget_url = f"{base}/reviews/aurora/products/miscela-classica/widget/?lang=it"
    # A product page embedding it (the browser test cannot host another origin on loopback: Chromium's local
    # network checks refuse it; the cross-origin headers, frame-ancestors * and no X-Frame-Options, are
    # asserted in tests/reviews/test_public_outputs.py).
    shop_page = f"{base}/a-shop-product-page/"
    page.route(
        shop_page,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body="<!doctype html><html><body><h1>Miscela Classica</h1>"
            f"<iframe src='{widget_url}' title='Recensioni' width='560' height='480'></iframe></body></html>",
        ),
    )
    page.goto(shop_page)
    frame = page.frame_locator("iframe")
    expect(frame.get_by_text("Crema perfetta con la moka")).to_be_visible()
    expect(frame.locator("img")).to_have_count(1)
    assert frame.locator("script").count() == 0
    assert page.frames[1].evaluate("document.querySelector('img').naturalWidth") > 0
    shot(page, "5-widget-in-a-shop-page")
    moka_widget = httpx.get(f"{base}/reviews/aurora/products/moka-3/widget/")
    assert "Solida, il manico" not in moka_widget.text  # still waiting for approval

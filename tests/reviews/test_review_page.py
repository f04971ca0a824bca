"""The review page a buyer opens from the email: one review per product line, written only by a POST,
changeable for 30 days, never doubled by a replay; a forged or foreign link opens nothing and writes nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.feedback.links import nps_path
from apps.reviews.links import REVIEW_SALT, review_path, review_thanks_path, review_token, review_url
from apps.reviews.models import Review, ReviewPhoto, ReviewStatus
from apps.reviews.services import ReviewInput, review_moderate, reviews_submit
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.reviews.conftest import jpeg_bytes
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    store = StoreFactory(name="Torrefazione Aurora", languages=["en", "it"])
    customer = CustomerFactory(store=store, first_name="Giulia", last_name="Rossi", locale="it")
    order = OrderFactory(store=store, customer=customer)
    OrderLineFactory(order=order, product__name="Miscela Classica")
    OrderLineFactory(order=order, product__name="Moka 3 tazze")
    return order


def form_data(order, **per_line) -> dict:
    data = {}
    for index, line in enumerate(order.lines.order_by("pk")):
        values = per_line.get(f"line{index}", {})
        prefix = f"line-{line.pk}"
        for name in ("rating", "title", "text"):
            if name in values:
                data[f"{prefix}-{name}"] = values[name]
        if "photos" in values:
            data[f"{prefix}-photos"] = values["photos"]
    return data


TWO_REVIEWS = {
    "line0": {"rating": "5", "title": "Ottimo", "text": "Aroma pieno, consegna veloce."},
    "line1": {"rating": "4", "title": "", "text": "Fa un buon caffè."},
}


def test_the_email_link_is_absolute_and_signed_for_reviews_only(order):
    link = review_url(order)
    assert link.startswith("https://reviews.afterglow.example/review/")
    token = link.split("/review/")[1].strip("/")
    assert signing.loads(token, salt=REVIEW_SALT) == order.pk
    assert str(order.pk) not in link.replace(token, "")


def test_opening_the_link_shows_every_product_in_the_buyers_language_and_writes_nothing(client, order):
    # when the buyer (or a link scanner) opens the link, twice
    first = client.get(review_path(order))
    client.head(review_path(order))
    # then the page lists both products, in Italian (the customer's language), and nothing is recorded
    page = first.content.decode()
    assert first.status_code == 200
    assert 'lang="it"' in page
    assert "Miscela Classica" in page and "Moka 3 tazze" in page
    assert Review.objects.count() == 0


def test_sending_the_form_records_one_review_per_product_and_shows_the_thanks(client, order):
    # when the buyer rates both products and sends (one token: it carries the second it was made in)
    token = review_token(order)
    response = client.post(review_path(order, token=token), form_data(order, **TWO_REVIEWS))
    # then they land on the thanks page (303) and two pending reviews exist, one per line
    assert response.status_code == 303
    assert response["Location"] == review_thanks_path(order, token=token)
    reviews = list(Review.objects.filter(order=order).order_by("line_id"))
    assert [(r.rating, r.title, r.status) for r in reviews] == [
        (5, "Ottimo", ReviewStatus.PENDING),
        (4, "", ReviewStatus.PENDING),
    ]
    assert {r.author_name for r in reviews} == {"Giulia R."}
    assert {r.language for r in reviews} == {"it"}
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Ottimo" in thanks.content.decode()


def test_a_replayed_post_writes_no_second_review(client, order):
    # given a sent form, when the same POST arrives again (a reload, a proxy retry, a double click)
    client.post(review_path(order), form_data(order, **TWO_REVIEWS))
    before = list(Review.objects.values_list("pk", "rating", "text", "edited_at", "modified_at"))
    replay = client.post(review_path(order), form_data(order, **TWO_REVIEWS))
    # then it lands on the thanks page again and nothing changed
    assert replay.status_code == 303
    assert list(Review.objects.values_list("pk", "rating", "text", "edited_at", "modified_at")) == before


def test_reviewing_one_product_and_skipping_the_other_is_fine(client, order):
    response = client.post(review_path(order), form_data(order, line0=TWO_REVIEWS["line0"]))
    assert response.status_code == 303
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.dumps(10**9, salt=REVIEW_SALT),  # a signed id of no order
        signing.dumps(1, salt="afterglow.feedback.nps"),  # signed for another purpose
    ],
    ids=["garbage", "no-such-order", "another-purpose"],  # tokens carry a timestamp: stable names for the runner
)
def test_a_forged_link_is_a_404_and_writes_nothing(client, order, token):
    assert client.get(f"/review/{token}/").status_code == 404
    assert client.post(f"/review/{token}/", form_data(order, **TWO_REVIEWS)).status_code == 404
    assert Review.objects.count() == 0


def test_a_link_with_one_character_changed_is_a_404_and_writes_nothing(client, order):
    token = review_token(order)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.post(f"/review/{tampered}/", form_data(order, **TWO_REVIEWS)).status_code == 404
    assert Review.objects.count() == 0


def test_the_nps_link_of_the_same_order_does_not_open_the_review_page(client, order):
    nps_token = nps_path(order, 9).split("/")[2]
    assert client.post(f"/review/{nps_token}/", form_data(order, **TWO_REVIEWS)).status_code == 404
    assert Review.objects.count() == 0


def test_a_link_older_than_its_life_is_a_404(client, order):
    with time_machine.travel(timezone.now() - timedelta(days=181)):
        path = review_path(order)
    assert client.get(path).status_code == 404


def test_stars_without_words_or_words_without_stars_are_refused_and_nothing_is_saved(client, order):
    data = form_data(
        order,
        line0={"rating": "5", "text": ""},  # no words
        line1={"rating": "", "text": "Ottima"},  # no stars
    )
    response = client.post(review_path(order), data)
    assert response.status_code == 400
    assert Review.objects.count() == 0
    assert response.content.decode().count('class="field-error"') == 2


def test_an_empty_form_is_refused(client, order):
    response = client.post(review_path(order), {})
    assert response.status_code == 400
    assert Review.objects.count() == 0


def test_a_review_changed_within_30_days_is_updated_in_place_and_moderated_again(client, order):
    client.post(review_path(order), form_data(order, **TWO_REVIEWS))
    first = Review.objects.order_by("line_id").first()
    review_moderate(review=first, status=ReviewStatus.PUBLISHED, by=None)
    # when, 10 days later, the buyer changes their mind about the first product
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        changed = {**TWO_REVIEWS, "line0": {"rating": "3", "title": "Così così", "text": "Troppo tostato."}}
        assert client.post(review_path(order), form_data(order, **changed)).status_code == 303
    # then the same row holds the new words, waiting for approval again; still two reviews
    first.refresh_from_db()
    assert (first.rating, first.title, first.status) == (3, "Così così", ReviewStatus.PENDING)
    assert first.edited_at is not None
    assert Review.objects.count() == 2


def test_after_30_days_a_review_is_read_only_and_a_late_post_changes_nothing(client, order):
    client.post(review_path(order), form_data(order, **TWO_REVIEWS))
    before = list(Review.objects.order_by("pk").values_list("rating", "text"))
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        page = client.get(review_path(order)).content.decode()
        late = client.post(
            review_path(order),
            form_data(order, line0={"rating": "1", "text": "Cambiato"}, line1={"rating": "1", "text": "Cambiato"}),
        )
    assert 'type="radio"' not in page  # shown read-only, no form
    assert late.status_code == 400
    assert list(Review.objects.order_by("pk").values_list("rating", "text")) == before


def test_service_refuses_a_late_edit_and_writes_nothing_of_the_submission(order):
    lines = list(order.lines.order_by("pk"))
    reviews_submit(order=order, entries=[(lines[0], ReviewInput(rating=5, title="", text="Buono"))], language="it")
    from apps.reviews.services import ReviewLocked

    later = timezone.now() + timedelta(days=31)
    with pytest.raises(ReviewLocked):
        reviews_submit(
            order=order,
            entries=[
                (lines[1], ReviewInput(rating=4, title="", text="Nuovo")),
                (lines[0], ReviewInput(rating=1, title="", text="Cambiato")),
            ],
            language="it",
            now=later,
        )
    # all or none: the second line's new review was not kept either
    assert list(Review.objects.values_list("line_id", "text")) == [(lines[0].pk, "Buono")]


def test_a_line_of_another_order_cannot_be_reviewed_through_this_link(order):
    other_line = OrderLineFactory(order=OrderFactory(store=order.store))
    with pytest.raises(ValueError):
        reviews_submit(order=order, entries=[(other_line, ReviewInput(rating=5, title="", text="x"))], language="en")
    assert Review.objects.count() == 0


def test_a_cancelled_order_cannot_be_reviewed(client, order):
    order.status = "cancelled"
    order.save()
    page = client.get(review_path(order))
    assert 'type="radio"' not in page.content.decode()
    assert client.post(review_path(order), form_data(order, **TWO_REVIEWS)).status_code == 400
    assert Review.objects.count() == 0


def test_a_review_with_a_photo_keeps_it_and_the_buyer_can_remove_it_later(
    client, order, django_capture_on_commit_callbacks
):
    photo = SimpleUploadedFile("holiday.jpg", jpeg_bytes(), content_type="image/jpeg")
    data = form_data(order, line0={**TWO_REVIEWS["line0"], "photos": photo})
    assert client.post(review_path(order), data).status_code == 303
    stored = ReviewPhoto.objects.get()
    assert default_storage.exists(stored.image.name)
    # when the buyer ticks "Remove" and sends again
    line = order.lines.order_by("pk").first()
    data = form_data(order, line0=TWO_REVIEWS["line0"])
    data[f"line-{line.pk}-remove_photos"] = [str(stored.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review_path(order), data)
    # then the photo is gone from the review and from storage
    assert response.status_code == 303
    assert ReviewPhoto.objects.count() == 0
    assert not default_storage.exists(stored.image.name)


def test_the_thanks_page_needs_a_review_first(client, order):
    assert client.get(review_thanks_path(order)).status_code == 404

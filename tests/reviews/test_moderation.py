"""Staff moderate reviews in the dashboard: approve, reject, reply in public; filter the list. Another
store's review is a 404, and what is published changes what the public outputs show."""

import pytest
from django.urls import reverse

from apps.reviews.models import ReviewStatus
from tests.orders.factories import OrderLineFactory, ProductFactory
from tests.reviews.factories import ReviewFactory
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    membership = MembershipFactory(role="support")
    client.force_login(membership.user)
    return membership


def review_in(store, **kwargs):
    return ReviewFactory(line=OrderLineFactory(store=store, product=ProductFactory(store=store)), **kwargs)


def widget(client, review):
    url = reverse("reviews:widget", kwargs={"store_slug": review.store.slug, "product_id": review.product.external_id})
    return client.get(url).content.decode()


def test_approving_publishes_the_review_where_the_public_reads_it(client, support):
    review = review_in(support.store, text="Ottimo caffè, lo ricompro")
    assert "Ottimo caffè" not in widget(client, review)
    # when support approves it (twice: a double click)
    url = reverse("dashboard:review_moderate", kwargs={"pk": review.pk})
    client.post(url, {"action": "approve"})
    response = client.post(url, {"action": "approve"})
    # then it is published, with who and when, and the widget shows it
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.PUBLISHED
    assert review.moderated_by == support.user and review.moderated_at is not None
    assert "Ottimo caffè" in widget(client, review)


def test_rejecting_takes_a_published_review_down(client, support):
    review = review_in(support.store, published=True, text="Spam spam spam")
    client.post(reverse("dashboard:review_moderate", kwargs={"pk": review.pk}), {"action": "reject"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.REJECTED
    assert "Spam spam" not in widget(client, review)


def test_an_unknown_action_changes_nothing(client, support):
    review = review_in(support.store)
    client.post(reverse("dashboard:review_moderate", kwargs={"pk": review.pk}), {"action": "delete"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_a_public_reply_shows_under_the_published_review_and_can_be_removed(client, support):
    review = review_in(support.store, published=True)
    url = reverse("dashboard:review_reply", kwargs={"pk": review.pk})
    client.post(url, {"reply": "Grazie Giulia, a presto!"})
    assert "Grazie Giulia, a presto!" in widget(client, review)
    client.post(url, {"reply": "  "})
    review.refresh_from_db()
    assert (review.reply, review.replied_at) == ("", None)


def test_a_reply_too_long_is_refused_with_a_form_error(client, support):
    review = review_in(support.store)
    response = client.post(reverse("dashboard:review_reply", kwargs={"pk": review.pk}), {"reply": "x" * 2001})
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.reply == ""


def test_another_stores_review_is_a_404_and_stays_as_it_was(client, support):
    foreign = review_in(StoreFactory())
    assert client.get(reverse("dashboard:review_detail", kwargs={"pk": foreign.pk})).status_code == 404
    assert (
        client.post(reverse("dashboard:review_moderate", kwargs={"pk": foreign.pk}), {"action": "approve"}).status_code
        == 404
    )
    assert client.post(reverse("dashboard:review_reply", kwargs={"pk": foreign.pk}), {"reply": "hi"}).status_code == 404
    foreign.refresh_from_db()
    assert (foreign.status, foreign.reply) == (ReviewStatus.PENDING, "")


def test_the_list_filters_by_status_and_stars_and_shows_only_this_store(client, support):
    store = support.store
    review_in(store, rating=5, title="Five pending")
    review_in(store, rating=2, title="Two pending")
    review_in(store, rating=5, title="Five published", published=True)
    review_in(StoreFactory(), title="Someone else's")
    url = reverse("dashboard:review_list")
    pending = client.get(url).content.decode()  # pending is the default view
    assert "Five pending" in pending and "Two pending" in pending and "Five published" not in pending
    five = client.get(url, {"status": "all", "rating": "5"}).content.decode()
    assert "Five pending" in five and "Five published" in five and "Two pending" not in five
    assert "Someone else" not in client.get(url, {"status": "all"}).content.decode()


def test_the_list_reads_in_a_bounded_number_of_queries(client, support, django_assert_max_num_queries):
    for _ in range(8):
        review_in(support.store)
    client.get(reverse("dashboard:review_list"))  # warm the session and the menu's caches
    # the same 8 for one review or many: session, membership, store, counts, page of reviews, their photos…
    with django_assert_max_num_queries(8):
        assert client.get(reverse("dashboard:review_list")).status_code == 200


def test_only_owners_and_managers_set_the_coupon_for_a_review(client, support):
    response = client.post(
        reverse("dashboard:review_incentive"), {"active": "on", "kind": "percent", "value": "10", "valid_days": "30"}
    )
    assert response.status_code == 403


def test_a_manager_sets_the_coupon_and_a_bad_value_is_refused(client, manager):
    url = reverse("dashboard:review_incentive")
    client.post(url, {"active": "on", "kind": "percent", "value": "150", "valid_days": "30"})
    from apps.reviews.models import ReviewIncentive

    assert not ReviewIncentive.objects.filter(store=manager.store).exists()
    client.post(url, {"active": "on", "kind": "percent", "value": "15", "valid_days": "30"})
    incentive = ReviewIncentive.objects.get(store=manager.store)
    assert (incentive.active, incentive.kind, incentive.value) == (True, "percent", 15)

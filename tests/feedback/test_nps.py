"""NPS from an email: the score link opens a landing, "Send" records the answer once; changeable;
detractors open one case and alert staff. (What opening a link must never do: test_human_answers.py.)"""

import itertools
import re
import time
from urllib.parse import unquote

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from apps.campaigns import links as email_links
from apps.feedback.links import NPS_SALT, nps_path, nps_thanks_path, referral_order_id, referral_path
from apps.feedback.models import CaseStatus, CriticCase, NpsResponse
from apps.feedback.services.nps import nps_add_comment, nps_record
from apps.tracking.models import PageEvent
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    store = StoreFactory(name="Northwind Coffee", support_email="care@northwind.example")
    return OrderFactory(store=store, customer=CustomerFactory(store=store, locale="en", first_name="Ada"))


def click(client, order, score):
    """The buyer clicks `score` in the email, then presses "Send" on the page it opens."""
    assert client.get(nps_path(order, score)).status_code == 200
    return client.post(nps_path(order, score), {"score": score, "comment": ""}, follow=True)


def test_an_emails_eleven_score_buttons_carry_one_signed_token(order, settings, monkeypatch):
    # given a clock that moves a second for every signature made (a busy worker crosses seconds)
    settings.SITE_URL = "https://afterglow.example.com"
    clock = itertools.count(int(time.time()))
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(next(clock)))
    # when the survey email's buttons are made
    links = email_links.nps_links(order)
    # then they are 0..10, each to the landing with its score picked, all on the one token for this order
    assert [link["score"] for link in links] == list(range(11))
    found = [re.fullmatch(r"https://afterglow\.example\.com/nps/([^/]+)/(\d+)/", link["url"]) for link in links]
    assert [int(match[2]) for match in found] == list(range(11))
    (token,) = {match[1] for match in found}
    assert signing.loads(token, salt=NPS_SALT) == order.pk and str(order.pk) != token


def test_clicking_the_same_score_twice_keeps_one_answer(client, order):
    # given a buyer who clicks 8 in the email, then again
    assert click(client, order, 8).status_code == 200
    first = NpsResponse.objects.get(order=order)
    click(client, order, 8)
    # then there is one response, unchanged
    response = NpsResponse.objects.get(order=order)
    assert response.pk == first.pk and response.score == 8 and response.modified_at == first.modified_at
    assert response.customer == order.customer and response.store == order.store


def test_clicking_another_score_updates_the_answer(client, order):
    click(client, order, 8)
    click(client, order, 10)
    assert list(NpsResponse.objects.values_list("score", flat=True)) == [10]


def test_a_detractor_opens_one_case_and_staff_are_emailed_once(
    client, order, mailoutbox, django_capture_on_commit_callbacks
):
    # given a detractor who clicks 3, then 2
    with django_capture_on_commit_callbacks(execute=True):
        page = click(client, order, 3)
    with django_capture_on_commit_callbacks(execute=True):
        click(client, order, 2)
    # then one case is open, and one alert went to the store's support address
    case = CriticCase.objects.get()
    assert case.status == CaseStatus.NEW and case.store == order.store and case.response.score == 2
    assert len(mailoutbox) == 1
    alert = mailoutbox[0]
    assert alert.to == ["care@northwind.example"]
    assert order.number in alert.subject and "3/10" in alert.subject
    assert "/dashboard/critics/" in alert.body
    # and the buyer is told someone will contact them
    assert "We are sorry we let you down" in page.content.decode()
    assert "will contact you" in page.content.decode()


def test_moving_out_of_detractor_range_keeps_the_case_but_marks_it(order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        nps_record(order=order, score=4)
    nps_record(order=order, score=9)
    case = CriticCase.objects.get()
    assert case.score_raised_at is not None and case.status == CaseStatus.NEW
    # back in detractor range: the same case, unmarked, not opened again
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        nps_record(order=order, score=5)
    assert callbacks == []
    assert CriticCase.objects.get().score_raised_at is None
    assert CriticCase.objects.count() == 1


def test_no_alert_without_a_support_address(order, mailoutbox, django_capture_on_commit_callbacks):
    order.store.support_email = ""
    order.store.save()
    with django_capture_on_commit_callbacks(execute=True):
        nps_record(order=order, score=0)
    assert CriticCase.objects.count() == 1
    assert mailoutbox == []


def test_a_promoter_is_invited_to_review_and_to_share(client, order):
    page = click(client, order, 10).content.decode()
    assert "Write a review" in page
    assert reverse("tracking:go", args=[order.tracking_token, "review"]) in page
    assert "share this link with a friend" in page
    # the shared link names this order (its signature carries the second it was made, so compare what it opens)
    tokens = {unquote(token) for token in re.findall(r"/r/([^/\"<\s]+)/", page)}
    assert tokens and {referral_order_id(token) for token in tokens} == {order.pk}
    assert referral_path(order).startswith("/r/")
    assert not CriticCase.objects.exists()


def test_a_passive_is_thanked_without_review_or_case(client, order):
    page = click(client, order, 7).content.decode()
    assert "Thank you for your feedback" in page
    assert "Write a review" not in page
    assert not CriticCase.objects.exists()


def test_the_comment_page_saves_a_comment_and_topics(client, order):
    # given a detractor on the comment page
    click(client, order, 3)
    # when they send a topic we do not offer, the form says so and nothing is saved
    refused = client.post(nps_thanks_path(order), {"comment": "Crushed box", "topics": ["weather"]})
    assert refused.status_code == 200 and 'class="field-error"' in refused.content.decode()
    assert NpsResponse.objects.get().comment == ""
    # when they send a comment and two topics
    response = client.post(
        nps_thanks_path(order), {"comment": "  The box arrived crushed.  ", "topics": ["packaging", "delivery"]}
    )
    # then both are kept, trimmed and in a fixed order, and the page thanks them
    assert response.status_code == 303
    saved = NpsResponse.objects.get()
    assert saved.comment == "The box arrived crushed."
    assert saved.topics == ["delivery", "packaging"]
    assert "we have your comment" in client.get(response["Location"]).content.decode()


def test_nps_add_comment_drops_unknown_topics(order):
    response = nps_record(order=order, score=6)
    nps_add_comment(response=response, comment="x" * 3000, topics=["service", "weather"])
    response.refresh_from_db()
    assert response.topics == ["service"] and len(response.comment) == 2000


@pytest.mark.parametrize("score", [11, 99])
def test_a_score_outside_0_to_10_is_a_404(client, order, score):
    assert client.get(nps_path(order, 5).replace("/5/", f"/{score}/")).status_code == 404
    assert not NpsResponse.objects.exists()


def test_a_tampered_or_foreign_token_is_a_404_and_records_nothing(client, order):
    path = nps_path(order, 9)
    token = path.split("/")[2]
    other = OrderFactory()
    forged = signing.dumps(other.pk, salt="another-salt")
    for bad in (token[:-2] + "xx", token.replace(token[0], "Z", 1), forged, "123"):
        assert client.get(reverse("feedback:nps", args=[bad, 9])).status_code == 404
        assert client.post(reverse("feedback:nps", args=[bad, 9]), {"score": 9}).status_code == 404
    assert not NpsResponse.objects.exists()


def test_an_expired_link_is_a_404(client, order):
    import time_machine

    path = nps_path(order, 9)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=181)):
        assert client.get(path).status_code == 404
        assert client.post(path, {"score": 9}).status_code == 404
    assert not NpsResponse.objects.exists()


def test_a_head_request_records_nothing(client, order):
    assert client.head(nps_path(order, 2)).status_code == 200
    assert not NpsResponse.objects.exists()


def test_the_referral_link_counts_a_visit_and_opens_the_store(client, order):
    # given a friend who opens the shared link: a page names the store, nothing is counted yet
    assert client.get(referral_path(order)).status_code == 200
    assert not PageEvent.objects.exists()
    # when they press "Visit", the visit is counted and the store opens
    response = client.post(referral_path(order))
    assert response.status_code == 303
    assert response["Location"] == order.store.website_url
    event = PageEvent.objects.get()
    assert (event.block, event.kind, event.order) == ("referral", "click", order)
    assert client.get(reverse("feedback:referral", args=["bogus"])).status_code == 404
    assert client.post(reverse("feedback:referral", args=["bogus"])).status_code == 404

"""Human answers only: opening a link from an email (as link scanners and previews do, with GET or HEAD)
records nothing; a person's POST from the page it opens does.

The NPS score link opens a landing with the score pre-selected; "Send" records it. The referral link
opens a page naming the store; its "Visit" button counts the visit. Unsubscribe and the preference
centre change nothing until their form is sent.
"""

import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.customers.models import ConsentEvent
from apps.feedback import urls as feedback_urls
from apps.feedback.links import (
    cart_reason_path,
    nps_path,
    nps_thanks_path,
    nps_token,
    preferences_path,
    referral_path,
    unsubscribe_path,
)
from apps.feedback.models import CriticCase, NpsResponse
from apps.feedback.services.nps import nps_add_comment, nps_record
from apps.orders.models import Cart
from apps.tracking.models import PageEvent
from tests.customers.factories import CustomerFactory
from tests.orders.factories import CartFactory, OrderFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return StoreFactory(
        name="Northwind Coffee",
        support_email="care@northwind.example",
        website_url="https://northwind.example/",
        languages=["en", "ru", "ko"],
    )


@pytest.fixture
def order(store):
    return OrderFactory(store=store, customer=CustomerFactory(store=store, locale="en", first_name="Ada"))


def written() -> dict:
    """Everything opening a buyer link must leave alone."""
    return {
        "answers": list(NpsResponse.objects.values_list("score", "comment", "modified_at")),
        "cases": CriticCase.objects.count(),
        "page_events": PageEvent.objects.count(),
        "consent_events": ConsentEvent.objects.count(),
        "cart_answers": list(Cart.objects.values_list("leave_reason", "leave_reason_at")),
    }


class Forms(HTMLParser):
    """The forms of a page as a browser without JavaScript would send them."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": attrs.get("method", "get"), "action": attrs.get("action"), "fields": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"].append(attrs)
        elif tag == "textarea" and self.forms:
            self._textarea = {"type": "textarea", "name": attrs.get("name"), "value": ""}
            self.forms[-1]["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None

    def data(self, form: dict) -> dict:
        """What pressing the submit button sends: hidden inputs, the checked radio, the text areas."""
        values = {}
        for field in form["fields"]:
            kind = field.get("type", "text")
            if kind == "radio" and "checked" not in field:
                continue
            values[field["name"]] = field.get("value") or ""
        return values


def checked_scores(html: str) -> list[str]:
    return re.findall(r'<input type="radio"[^>]*name="score"[^>]*value="(\d+)" checked', html)


# --- Opening a link writes nothing --------------------------------------------------------------
def test_opening_every_score_link_records_nothing_opens_no_case_and_alerts_nobody(
    client, order, mailoutbox, django_capture_on_commit_callbacks
):
    # given the eleven score links of an NPS email, opened by a link scanner (GET, then HEAD)
    before = written()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for score in range(11):
            assert client.get(nps_path(order, score)).status_code == 200
            assert client.head(nps_path(order, score)).status_code == 200
    # then no answer, no critics case, no staff alert, no counter
    assert written() == before
    assert not NpsResponse.objects.exists() and not CriticCase.objects.exists()
    assert callbacks == []
    assert mailoutbox == []


def test_opening_a_link_again_after_an_answer_changes_nothing(client, order, mailoutbox):
    # given a buyer who answered 9 with a comment
    response = nps_record(order=order, score=9)
    nps_add_comment(response=response, comment="Lovely beans", topics=["product"])
    before = written()
    # when a scanner opens every link of a later email, and the thanks page
    for score in range(11):
        client.get(nps_path(order, score))
        client.head(nps_path(order, score))
    client.get(nps_thanks_path(order))
    # then their answer is as it was, and no case opened for the "0" link
    assert written() == before
    assert mailoutbox == []


def test_every_buyer_link_of_the_feedback_app_writes_nothing_on_get_or_head(client, order, mailoutbox):
    # given a link to each page of the feedback app (a new page must be added here)
    links = {
        "nps": nps_path(order, 0),
        "nps_thanks": nps_thanks_path(order),
        "referral": referral_path(order),
        "preferences": preferences_path(order.customer),
        "unsubscribe": unsubscribe_path(order.customer),
        "cart_reason": cart_reason_path(CartFactory(store=order.store, customer=order.customer), "price"),
    }
    assert set(links) == {pattern.name for pattern in feedback_urls.urlpatterns}
    nps_record(order=order, score=8)  # so that the thanks page has something to show
    customer = order.customer
    customer.marketing_consent = True
    customer.save()
    before = written()
    # when each is opened with GET and with HEAD
    for name, link in links.items():
        assert client.get(link).status_code == 200, name
        assert client.head(link).status_code == 200, name
    # then nothing changed: no answer, no case, no visit counted, no consent withdrawn
    assert written() == before
    customer.refresh_from_db()
    assert customer.marketing_consent
    assert mailoutbox == []


# --- The landing --------------------------------------------------------------------------------
def test_the_landing_shows_the_clicked_score_preselected_with_a_comment_box_and_send(client, order):
    # when the buyer clicks 4 in the email
    page = client.get(nps_path(order, 4)).content.decode()
    # then the page asks the question with the eleven choices, 4 chosen, and a Send button
    assert "How likely are you to recommend Northwind Coffee to a friend?" in page
    assert page.count('name="score"') == 11
    assert checked_scores(page) == ["4"]
    assert 'name="comment"' in page and "(optional)" in page
    assert ">Send</button>" in page
    # and each choice has a label a screen reader reads out, tied to its radio button
    for score in range(11):
        assert f'id="score-{score}"' in page and f'<label for="score-{score}">' in page
    assert "4 out of 10" in page
    assert not NpsResponse.objects.exists()


@pytest.mark.parametrize(
    ("language", "question", "send"),
    [
        ("ru", "Насколько вероятно, что вы порекомендуете магазин Northwind Coffee друзьям?", "Отправить"),
        ("ko", "친구나 지인에게 Northwind Coffee 추천 의향이 얼마나 있으신가요?", "보내기"),
    ],
)
def test_the_landing_speaks_the_buyers_language(client, store, language, question, send):
    # given a buyer whose language is Russian, or Korean
    order = OrderFactory(store=store, customer=CustomerFactory(store=store, locale=language))
    # when they click 9 in the email
    page = client.get(nps_path(order, 9)).content.decode()
    # then the landing is in their language, 9 chosen
    assert f'<html lang="{language}">' in page
    assert question in page
    assert f">{send}</button>" in page
    assert checked_scores(page) == ["9"]


def test_an_answered_buyer_sees_their_answer_preselected_and_their_comment(client, order):
    # given a buyer who answered 3 and wrote why
    response = nps_record(order=order, score=3)
    nps_add_comment(response=response, comment="The box was crushed.", topics=[])
    # when they come back through their answer's link (as the tracking page offers)
    page = client.get(nps_path(order, 3)).content.decode()
    # then their answer is chosen, their words are in the box, and they are told they can change it
    assert checked_scores(page) == ["3"]
    assert "The box was crushed.</textarea>" in page
    assert "You gave us 3 out of 10." in page
    assert "only your last answer counts" in page


def test_the_landing_is_never_cached_and_sets_the_csrf_cookie(client, order):
    response = client.get(nps_path(order, 7))
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert "csrftoken" in response.cookies
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_the_landing_works_under_the_content_security_policy(client, order):
    response = client.get(nps_path(order, 7))
    page = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "form-action 'self'" in policy
    # no script at all (nothing needs JavaScript), no style attribute, styles only with the nonce
    assert "<script" not in page
    assert " style=" not in page
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert re.findall(r"<style(?: [^>]*)?>", page) == [f'<style nonce="{nonce}">']
    assert '<link rel="stylesheet" href="/static/feedback/nps.css">' in page


# --- Sending the answer -------------------------------------------------------------------------
def test_without_javascript_the_buyer_answers_by_sending_the_form_as_it_is(order, mailoutbox):
    # given a browser without JavaScript that checks CSRF like a real one
    # (one token throughout: a signed token carries the second it was made in)
    browser = Client(enforce_csrf_checks=True)
    token = nps_token(order)
    landing = browser.get(nps_path(order, 2, token=token))
    forms = Forms(landing.content.decode())
    (form,) = [f for f in forms.forms if f["method"] == "post"]
    assert form["action"] == nps_path(order, 2, token=token)
    # when the buyer writes a comment and presses Send, the form sending what the page holds
    data = forms.data(form)
    assert data["score"] == "2" and data["csrfmiddlewaretoken"]
    data["comment"] = "It came a week late."
    sent = browser.post(form["action"], data)
    # then the answer and the words are kept, and the thanks page follows
    assert sent.status_code == 303
    assert sent["Location"] == f"{nps_thanks_path(order, token=token)}?saved=1"
    answer = NpsResponse.objects.get()
    assert (answer.score, answer.comment) == (2, "It came a week late.")
    thanks = browser.get(sent["Location"]).content.decode()
    assert "We are sorry we let you down" in thanks
    assert "We have saved your answer: 2 out of 10." in thanks
    assert "Thank you, we have your comment." in thanks


def test_a_post_without_the_csrf_token_records_nothing(order):
    browser = Client(enforce_csrf_checks=True)
    browser.get(nps_path(order, 1))
    assert browser.post(nps_path(order, 1), {"score": 1}).status_code == 403
    assert not NpsResponse.objects.exists()


def test_the_same_answer_sent_twice_is_recorded_once(client, order, mailoutbox, django_capture_on_commit_callbacks):
    # given a detractor whose "Send" reaches us twice (a double click, a replayed request)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(nps_path(order, 2), {"score": 2, "comment": "Late"})
    answer = NpsResponse.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(nps_path(order, 2), {"score": 2, "comment": "Late"})
    # then both land on the thanks page, and there is one answer, one case, one alert, nothing touched again
    assert first.status_code == second.status_code == 303
    again = NpsResponse.objects.get()
    assert (again.pk, again.score, again.comment, again.modified_at) == (answer.pk, 2, "Late", answer.modified_at)
    assert CriticCase.objects.count() == 1
    assert len(mailoutbox) == 1


def test_a_detractors_answer_opens_one_case_and_alerts_staff(
    client, order, mailoutbox, django_capture_on_commit_callbacks
):
    # given a buyer who opened the "3" link (nothing yet), then pressed Send
    client.get(nps_path(order, 3))
    assert not CriticCase.objects.exists() and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(nps_path(order, 3), {"score": 3, "comment": ""}, follow=True)
    # then one case is open and the store's support address is told
    case = CriticCase.objects.get()
    assert case.response.order == order and case.response.score == 3
    assert [message.to for message in mailoutbox] == [["care@northwind.example"]]
    # and the buyer is asked what went wrong
    page = response.content.decode()
    assert "We are sorry we let you down" in page and "What went wrong?" in page


def test_the_buyer_can_change_their_answer_from_the_landing(client, order, django_capture_on_commit_callbacks):
    # given a detractor's answer with a case open
    with django_capture_on_commit_callbacks(execute=True):
        client.post(nps_path(order, 3), {"score": 3, "comment": "Late"})
    # when they come back, choose 9 instead of the pre-selected 3 and send
    landing = client.get(nps_path(order, 3)).content.decode()
    assert checked_scores(landing) == ["3"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(nps_path(order, 3), {"score": 9, "comment": "Late, but lovely"}, follow=True)
    # then the one answer is 9 with the new words, and the case stays, marked as raised
    answer = NpsResponse.objects.get()
    assert (answer.score, answer.comment) == (9, "Late, but lovely")
    case = CriticCase.objects.get()
    assert case.score_raised_at is not None
    assert "Thank you, that made our day!" in response.content.decode()


@pytest.mark.parametrize("score", ["11", "-1", "ten", ""])
def test_a_score_outside_0_to_10_is_a_form_error(client, order, score):
    response = client.post(nps_path(order, 5), {"score": score, "comment": "x"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="field-error" role="alert"' in page and "Choose a number from 0 to 10." in page
    assert checked_scores(page) == []
    assert not NpsResponse.objects.exists()


def test_a_tampered_token_is_a_404_for_every_page_of_the_answer(client, order):
    token = nps_path(order, 5).split("/")[2]
    tampered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    for method in (client.get, client.head, client.post):
        assert method(reverse("feedback:nps", args=[tampered, 5]), {"score": 5}).status_code == 404
        assert method(reverse("feedback:nps_thanks", args=[tampered]), {"comment": "x"}).status_code == 404
    assert not NpsResponse.objects.exists()


def test_an_expired_link_cannot_answer(client, order):
    path = nps_path(order, 8)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=181)):
        assert client.get(path).status_code == 404
        assert client.post(path, {"score": 8}).status_code == 404
    assert not NpsResponse.objects.exists()


def test_the_thanks_page_before_any_answer_is_a_404(client, order):
    assert client.get(nps_thanks_path(order)).status_code == 404


# --- The referral link --------------------------------------------------------------------------
def test_opening_a_shared_link_counts_nothing_and_shows_the_store(client, order):
    # when a chat app's preview and a mail scanner open a promoter's shared link
    page = client.get(referral_path(order), HTTP_ACCEPT_LANGUAGE="ru")
    assert client.head(referral_path(order)).status_code == 200
    # then nothing is counted, and the page names the store with one button, in the friend's language
    assert page.status_code == 200
    assert not PageEvent.objects.exists()
    html = page.content.decode()
    assert "Друг рекомендует вам магазин Northwind Coffee" in html
    assert ">Перейти в магазин Northwind Coffee</button>" in html
    assert "northwind.example" in html
    assert "<script" not in html and " style=" not in html


def test_pressing_visit_counts_one_visit_and_opens_the_store(order):
    # given a friend's browser without JavaScript, on the shared link's page
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(referral_path(order))
    (form,) = Forms(page.content.decode()).forms
    # when they press the button
    response = browser.post(form["action"], Forms(page.content.decode()).data(form))
    # then the visit is counted once and the store opens
    assert response.status_code == 303 and response["Location"] == "https://northwind.example/"
    event = PageEvent.objects.get()
    assert (event.block, event.kind, event.target, event.order) == (
        "referral",
        "click",
        "https://northwind.example/",
        order,
    )
    # and the page's policy lets the form's redirect reach the store (browsers check it against form-action)
    assert re.search(r"form-action 'self' https:", page["Content-Security-Policy"])


def test_a_shared_link_of_a_store_without_a_website_is_a_404(client, store, order):
    store.website_url = ""
    store.save()
    assert client.get(referral_path(order)).status_code == 404
    assert client.post(referral_path(order)).status_code == 404
    assert not PageEvent.objects.exists()


# --- Unsubscribe --------------------------------------------------------------------------------
def test_the_unsubscribe_link_only_shows_the_confirm_page_until_it_is_posted(order):
    customer = order.customer
    customer.marketing_consent = True
    customer.save()
    scanner = Client()
    # when a scanner opens the List-Unsubscribe address
    page = scanner.get(unsubscribe_path(customer))
    assert scanner.head(unsubscribe_path(customer)).status_code == 200
    # then the buyer is still subscribed, and the page asks
    customer.refresh_from_db()
    assert customer.marketing_consent and not ConsentEvent.objects.exists()
    assert "Unsubscribe from marketing emails?" in page.content.decode()
    # while the one-click POST (RFC 8058) still unsubscribes
    Client(enforce_csrf_checks=True).post(unsubscribe_path(customer), {"List-Unsubscribe": "One-Click"})
    customer.refresh_from_db()
    assert not customer.marketing_consent

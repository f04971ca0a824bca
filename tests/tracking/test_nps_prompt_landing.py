"""The tracking page's NPS prompt leads to the same landing as the email: the number clicked is
pre-selected there, and only "Send" records it."""

import html
import re

import pytest

from apps.feedback.models import NpsResponse
from apps.feedback.services.nps import nps_add_comment, nps_record
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def delivered_order(locale="en"):
    store = StoreFactory(name="Northwind Coffee", languages=["en", "ko"])
    order = OrderFactory(store=store, customer=CustomerFactory(store=store, locale=locale, time_zone=""), locale=locale)
    ShipmentFactory(order=order, delivered=True)
    return order


def prompt_links(page: str) -> dict[str, str]:
    """The prompt's score links: '3 out of 10' → its address."""
    prompt = page[page.index('class="panel nps-prompt"') :]
    prompt = prompt[: prompt.index("</section>")]
    return {
        label: html.unescape(href)
        for href, label in re.findall(
            r'<a href="([^"]+)"[^>]*><span aria-hidden="true">\d+</span><span class="visually-hidden">([^<]+)</span>',
            prompt,
        )
    }


def checked_scores(page: str) -> list[str]:
    return re.findall(r'<input type="radio"[^>]*name="score"[^>]*value="(\d+)" checked', page)


def test_a_score_on_the_tracking_page_opens_the_landing_with_it_preselected(client):
    # given a delivered order's tracking page, asking for a score
    order = delivered_order()
    page = client.get(order.get_tracking_url()).content.decode()
    links = prompt_links(page)
    assert len(links) == 11
    assert "Choose a number from 0 (not at all likely) to 10 (extremely likely)." in page
    assert "One click is enough" not in page
    # when the buyer follows "3 out of 10"
    landing = client.get(links["3 out of 10"]).content.decode()
    # then the landing has 3 chosen and a Send button, and nothing is recorded yet
    assert checked_scores(landing) == ["3"]
    assert ">Send</button>" in landing
    assert not NpsResponse.objects.exists()
    # and sending it records 3
    client.post(links["3 out of 10"], {"score": "3", "comment": ""})
    assert NpsResponse.objects.get().score == 3


def test_after_answering_the_prompt_leads_back_to_the_answer_preselected(client):
    # given a buyer who answered 6 with a comment
    order = delivered_order()
    response = nps_record(order=order, score=6)
    nps_add_comment(response=response, comment="Slow courier", topics=["delivery"])
    page = client.get(order.get_tracking_url()).content.decode()
    href = html.unescape(re.search(r'<a href="([^"]+)">Add a comment or change your answer</a>', page).group(1))
    # when they follow "Add a comment or change your answer"
    landing = client.get(href).content.decode()
    # then their 6 is chosen and their words are there to change
    assert checked_scores(landing) == ["6"]
    assert "Slow courier</textarea>" in landing
    assert "You gave us 6 out of 10." in landing


def test_the_prompt_and_the_landing_read_in_korean(client):
    order = delivered_order(locale="ko")
    page = client.get(order.get_tracking_url()).content.decode()
    assert "0(전혀 추천하지 않음)부터 10(적극 추천함)까지 숫자를 하나 골라 주세요." in page
    link = prompt_links(page)["10점 만점에 8점"]
    landing = client.get(link).content.decode()
    assert checked_scores(landing) == ["8"]
    assert ">보내기</button>" in landing

"""What each market's law asks of marketing mail is done by the code, not left to each translation.

Korea (정보통신망법 §50): "(광고)" first in the subject of advertising mail, the sender's name and contact
details, and Korean instructions for refusing further mail. Everywhere: the sender's name and postal address
in the footer of marketing mail, with a one-click unsubscribe."""

import html
import re

import pytest
import time_machine

from apps.campaigns.dispatch import build_email
from apps.campaigns.models import FlowKind
from apps.campaigns.rendering import advertising_subject
from tests.campaigns.factories import MessageFactory
from tests.campaigns.test_dispatch import NOON_ROME, schedule
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db
ADDRESS = "Via Roma 1\n00100 Roma"
REFUSAL = "수신을 원하지 않으시면"


@pytest.fixture
def addressed_store(store):
    store.name = "Northwind Tea"
    store.postal_address = ADDRESS
    store.save()
    return store


def marketing_email(flows, store, language):
    buyer = CustomerFactory(store=store, email=f"{language}@example.com", consenting=True, locale=language,
                            time_zone="Europe/Rome")  # fmt: skip
    message = schedule(flows, FlowKind.WIN_BACK, "values", customer=buyer, at=NOON_ROME)
    assert not message.transactional
    return build_email(message)[0]


def transactional_email(store, language):
    buyer = CustomerFactory(store=store, email=f"t-{language}@example.com", locale=language)
    order = OrderFactory(store=store, customer=buyer, email=buyer.email)
    message = MessageFactory(store=store, order=order, customer=buyer, email=buyer.email)
    assert message.transactional
    return build_email(message)[0]


@time_machine.travel(NOON_ROME, tick=False)
def test_korean_marketing_mail_is_marked_as_advertising_once(flows, addressed_store):
    email = marketing_email(flows, addressed_store, "ko")
    assert email.subject.startswith("(광고) ")
    assert email.subject.count("(광고)") == 1


@time_machine.travel(NOON_ROME, tick=False)
def test_a_merchant_who_typed_the_mark_gets_it_once(flows, addressed_store):
    step = flows[FlowKind.WIN_BACK].steps.get(key="values")
    step.subject = {**step.subject, "ko": "(광고)(광고) 다시 만나요"}
    step.save()
    email = marketing_email(flows, addressed_store, "ko")
    assert email.subject == "(광고) 다시 만나요"


def test_the_mark_is_added_exactly_once_and_only_to_korean_advertising():
    assert advertising_subject("새 상품", language="ko", advertising=True) == "(광고) 새 상품"
    assert advertising_subject("(광고) 새 상품", language="ko", advertising=True) == "(광고) 새 상품"
    assert advertising_subject("(광고)새 상품", language="ko", advertising=True) == "(광고) 새 상품"
    assert advertising_subject("새 상품", language="ko", advertising=False) == "새 상품"
    assert advertising_subject("New in", language="en", advertising=True) == "New in"


def test_korean_transactional_mail_is_not_marked(flows, addressed_store):
    email = transactional_email(addressed_store, "ko")
    assert "(광고)" not in email.subject
    assert REFUSAL not in email.alternatives[0][0]  # and says nothing about refusing ads


@time_machine.travel(NOON_ROME, tick=False)
def test_english_marketing_mail_is_not_marked(flows, addressed_store):
    email = marketing_email(flows, addressed_store, "en")
    assert "(광고)" not in email.subject
    assert REFUSAL not in email.alternatives[0][0]


@time_machine.travel(NOON_ROME, tick=False)
def test_the_korean_footer_says_how_to_refuse_with_the_unsubscribe_link(flows, addressed_store):
    email = marketing_email(flows, addressed_store, "ko")
    page = email.alternatives[0][0]
    line = page.split(REFUSAL, 1)[1].split("</p>", 1)[0]
    assert "/unsubscribe/" in line and "[수신 거부]" in line
    assert REFUSAL in email.body


@time_machine.travel(NOON_ROME, tick=False)
@pytest.mark.parametrize("language", ["en", "ru", "it", "ko", "kk"])
def test_every_marketing_footer_names_the_sender_and_its_postal_address(flows, addressed_store, language):
    email = marketing_email(flows, addressed_store, language)
    foot = html.unescape(re.split(r'class="(?:ag-)?foot"', email.alternatives[0][0], maxsplit=1)[1])  # blocks or HTML
    assert "Northwind Tea" in foot
    assert "Via Roma 1<br>00100 Roma" in foot
    assert "/unsubscribe/" in foot


@time_machine.travel(NOON_ROME, tick=False)
def test_a_delay_apology_carrying_a_coupon_is_advertising_in_korea(flows, addressed_store):
    """KISA reads transactional mail that carries an offer as advertising: the apology with its coupon gets
    the mark, the refusal line and a one-click unsubscribe; without a coupon it is news about a parcel."""
    step = flows[FlowKind.DELIVERY_APOLOGY].steps.get()
    step.incentive_kind, step.incentive_value = "percent", 10
    step.save()
    sent = {}
    for consenting in (True, False):
        buyer = CustomerFactory(
            store=addressed_store, email=f"a{consenting}@example.com", locale="ko", consenting=consenting
        )
        order = OrderFactory(store=addressed_store, customer=buyer, email=buyer.email)
        message = schedule(
            flows,
            FlowKind.DELIVERY_APOLOGY,
            step.key,
            customer=buyer,
            at=NOON_ROME,
            order=order,
            subject_key=f"a{consenting}",
        )
        assert message.transactional
        sent[consenting] = build_email(message)[0]
    with_coupon, without = sent[True], sent[False]
    assert with_coupon.subject.startswith("(광고) ")
    assert REFUSAL in html.unescape(with_coupon.alternatives[0][0])
    assert "List-Unsubscribe" in with_coupon.extra_headers
    assert "(광고)" not in without.subject
    assert REFUSAL not in html.unescape(without.alternatives[0][0])
    assert "List-Unsubscribe" not in without.extra_headers

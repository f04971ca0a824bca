"""A step written in blocks goes out through the ledger like any other: its words and the recipient's values in
the HTML, in the buyer's language (else the store's, else English), promotions only to those who may get them,
an issued code always shown, and the HTML mode untouched. Each message is sent twice: the second is a no-op."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

from apps.campaigns.dispatch import message_send
from apps.campaigns.models import Coupon, FlowKind, MessageStatus, StepEditor
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory, ProductFactory

from .helpers import assert_well_formed, block, visible_text

pytestmark = pytest.mark.django_db
NOON_ROME = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


def design(heading: str, *extra: dict) -> list[dict]:
    return [
        block("header"),
        block("heading", text=heading),
        block("text", html="<p>Order <strong>{{ order.number }}</strong> is confirmed.</p>"),
        *extra,
        block("order_summary"),
        block("footer"),
    ]


def blocks_step(flows, kind=FlowKind.ORDER_CONFIRMATION, key="confirmation", *, designs, **fields):
    step = flows[kind].steps.get(key=key)
    step.editor = StepEditor.BLOCKS
    step.design = designs
    for name, value in fields.items():
        setattr(step, name, value)
    step.save()
    return step


def send_twice(step, customer, *, order=None, mailoutbox):
    """Schedule one message, send it, send it again: one email, and the second send claims nothing."""
    planned = Planned(
        step=step,
        subject_key=f"k:{customer.pk}",
        email=customer.email,
        scheduled_for=NOON_ROME,
        customer_id=customer.pk,
        order_id=order.pk if order else None,
    )
    (message,) = messages_schedule([planned])
    before = len(mailoutbox)
    first = message_send(message_id=message.pk).status
    second = message_send(message_id=message.pk).status
    assert second == "not_claimed"
    message.refresh_from_db()
    return first, message, mailoutbox[before:]


@pytest.fixture
def buyer(store):
    return CustomerFactory(
        store=store, first_name="Ana", email="ana@example.com", locale="en", consenting=True, time_zone="Europe/Rome"
    )


@pytest.fixture
def order(store, buyer):
    order = OrderFactory(store=store, customer=buyer, email=buyer.email, number="#4711", locale="en")
    OrderLineFactory(order=order, store=store, title="Ethiopia Guji 250 g", quantity=2)
    return order


def html_of(email) -> str:
    (html, mimetype) = email.alternatives[0]
    assert mimetype == "text/html"
    return html


@time_machine.travel(NOON_ROME, tick=False)
def test_a_step_in_blocks_sends_its_words_with_the_recipients_values(flows, buyer, order, mailoutbox):
    step = blocks_step(flows, designs={"en": design('Thank you, {{ customer.first_name|default:"friend" }}!')})
    status, message, (email,) = send_twice(step, buyer, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    html = html_of(email)
    assert_well_formed(html)
    text = visible_text(html)
    assert "Thank you, Ana!" in text and "Order #4711 is confirmed." in text
    assert "2 × Ethiopia Guji 250 g" in text
    assert "{{" not in html and "{%" not in html
    assert "Thank you, Ana!" in email.body  # the text part
    assert message.body_html == html and message.language == "en"


@pytest.mark.parametrize(
    "buyer_locale, store_default, designed, expected",
    [
        ("ru", "en", {"en": "Thank you", "ru": "Спасибо", "it": "Grazie"}, "Спасибо"),  # the buyer's
        ("ru", "it", {"en": "Thank you", "it": "Grazie"}, "Grazie"),  # none in theirs: the store's
        ("ko", "it", {"en": "Thank you", "ru": "Спасибо"}, "Thank you"),  # neither: English
        ("kk", "en", {"kk": "Рақмет", "en": "Thank you"}, "Рақмет"),
    ],
)
@time_machine.travel(NOON_ROME, tick=False)
def test_the_design_is_in_the_buyers_language_else_the_stores_else_english(
    flows, store, mailoutbox, buyer_locale, store_default, designed, expected
):
    store.default_language = store_default
    store.save()
    customer = CustomerFactory(store=store, first_name="Ana", locale=buyer_locale, consenting=True)
    order = OrderFactory(store=store, customer=customer, email=customer.email, locale=buyer_locale)
    step = blocks_step(
        flows,
        designs={language: design(f"{words}, {{{{ customer.first_name }}}}") for language, words in designed.items()},
    )
    status, _, (email,) = send_twice(step, customer, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    text = visible_text(html_of(email))
    assert f"{expected}, Ana" in text
    assert [words for words in designed.values() if f"{words}, Ana" in text] == [expected]


@pytest.fixture
def recommendable(store, order):
    """A product the order's item points to, which the buyer has not bought: what the products block suggests."""
    suggested = ProductFactory(store=store, name="Moka pot", url="https://shop.example.com/moka")
    order.lines.first().product.related_products.add(suggested)
    return suggested


@time_machine.travel(NOON_ROME, tick=False)
def test_a_consenting_buyer_gets_the_code_and_the_products_the_design_offers(
    flows, buyer, order, recommendable, mailoutbox
):
    offers = (block("coupon", title="A thank-you"), block("products", title="You might also like"))
    step = blocks_step(flows, designs={"en": design("Thanks", *offers)}, incentive_kind="percent", incentive_value=10)
    status, message, (email,) = send_twice(step, buyer, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    text = visible_text(html_of(email))
    coupon = Coupon.objects.get(message=message)
    assert coupon.code in text and "A thank-you" in text and "10% off your next order" in text
    assert "You might also like" in text and "Moka pot" in text


@time_machine.travel(NOON_ROME, tick=False)
def test_a_buyer_without_marketing_consent_gets_the_order_but_no_code_or_suggestions(flows, store, mailoutbox):
    silent = CustomerFactory(store=store, first_name="Bo", locale="en", marketing_consent=False)
    order = OrderFactory(store=store, customer=silent, email=silent.email, number="#5000", locale="en")
    bought = ProductFactory(store=store, name="Ethiopia Guji 250 g")
    bought.related_products.add(ProductFactory(store=store, name="Moka pot", url="https://shop.example.com/moka"))
    OrderLineFactory(order=order, store=store, product=bought)
    offers = (block("coupon", title="A thank-you"), block("products", title="You might also like"))
    step = blocks_step(flows, designs={"en": design("Thanks", *offers)}, incentive_kind="percent", incentive_value=10)
    status, message, (email,) = send_twice(step, silent, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    html = html_of(email)
    assert_well_formed(html)
    text = visible_text(html)
    assert "Order #5000 is confirmed." in text and "Ethiopia Guji" in text
    assert "A thank-you" not in text and "off your next order" not in text
    assert "You might also like" not in text and "Moka pot" not in text
    assert not Coupon.objects.filter(message=message).exists()


@time_machine.travel(NOON_ROME, tick=False)
def test_a_marketing_step_in_blocks_without_consent_sends_nothing_and_issues_no_code(flows, store, mailoutbox):
    silent = CustomerFactory(store=store, locale="en", marketing_consent=False)
    offers = (block("coupon"), block("products", source="recommendations"))
    step = blocks_step(flows, FlowKind.WIN_BACK, "offer", designs={"en": design("Come back", *offers)})
    assert step.incentive_kind
    status, message, sent = send_twice(step, silent, mailoutbox=mailoutbox)
    assert status == MessageStatus.SKIPPED and sent == []
    assert message.reason == "no marketing consent"
    assert not Coupon.objects.filter(message=message).exists()


@time_machine.travel(NOON_ROME, tick=False)
def test_an_issued_code_is_shown_even_when_the_design_has_no_coupon_block(flows, buyer, order, mailoutbox):
    step = blocks_step(flows, designs={"en": design("Thanks")}, incentive_kind="percent", incentive_value=15)
    status, message, (email,) = send_twice(step, buyer, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    coupon = Coupon.objects.get(message=message)
    html = html_of(email)
    assert_well_formed(html)
    text = visible_text(html)
    assert coupon.code in text and "15% off your next order" in text
    assert text.index(coupon.code) < text.index("Questions?")  # above the footer
    assert coupon.code in email.body


@time_machine.travel(NOON_ROME, tick=False)
def test_a_marketing_step_in_blocks_reaches_a_consenting_buyer_with_its_code_and_unsubscribe(flows, buyer, mailoutbox):
    step = blocks_step(
        flows,
        FlowKind.WIN_BACK,
        "offer",
        designs={
            "en": [block("heading", text="We miss you, {{ customer.first_name }}"), block("coupon", title="Yours")]
        },
    )
    status, message, (email,) = send_twice(step, buyer, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    text = visible_text(html_of(email))
    code = Coupon.objects.get(message=message).code
    assert "We miss you, Ana" in text and code in text
    assert "Unsubscribe (http" in text  # the footer the compiler adds to a design without one
    assert email.extra_headers["List-Unsubscribe"].startswith("<http")


@time_machine.travel(NOON_ROME, tick=False)
def test_the_html_mode_still_sends_the_body_and_ignores_the_design(flows, buyer, order, mailoutbox):
    step = blocks_step(flows, designs={"en": design("Words from the blocks")})
    step.editor = StepEditor.HTML
    step.body = {"en": "<p>Words from the body, {{ customer.first_name }}.</p>"}
    step.save()
    status, _, (email,) = send_twice(step, buyer, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    html = html_of(email)
    assert "Words from the body, Ana." in html and "Words from the blocks" not in html


@time_machine.travel(NOON_ROME, tick=False)
def test_a_step_in_blocks_with_no_design_yet_falls_back_to_its_body(flows, buyer, order, mailoutbox):
    step = blocks_step(flows, designs={}, body={"en": "<p>The body, {{ customer.first_name }}.</p>"})
    status, _, (email,) = send_twice(step, buyer, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    assert "The body, Ana." in html_of(email)


@time_machine.travel(NOON_ROME, tick=False)
def test_a_design_that_cannot_be_laid_out_fails_its_message_with_the_reason_never_leaves_it_sending(
    flows, buyer, order, mailoutbox, monkeypatch
):
    from apps.campaigns.design import compiler

    def broken(*args, **kwargs):
        raise ValueError("unexpected element at position 42")

    compiler._compiled.cache_clear()
    monkeypatch.setattr(compiler.mrml, "to_html", broken)
    step = blocks_step(flows, designs={"en": design("A design mrml refuses")})
    status, message, sent = send_twice(step, buyer, order=order, mailoutbox=mailoutbox)
    compiler._compiled.cache_clear()
    assert status == MessageStatus.FAILED and sent == []
    assert message.status == MessageStatus.FAILED and message.trace[-1]["rule"] == "template"
    assert "could not be laid out" in message.reason


@time_machine.travel(NOON_ROME, tick=False)
def test_sending_a_step_to_many_buyers_lays_it_out_once_and_each_gets_their_own_email(
    flows, store, mailoutbox, monkeypatch
):
    from apps.campaigns.design import compiler

    calls = []
    real = compiler.mrml.to_html
    compiler._compiled.cache_clear()
    monkeypatch.setattr(compiler.mrml, "to_html", lambda *a, **k: calls.append(1) or real(*a, **k))
    step = blocks_step(flows, designs={"en": design("Thank you, {{ customer.first_name }}!")})
    for index in range(20):
        customer = CustomerFactory(store=store, first_name=f"Buyer{index:02d}x", locale="en", consenting=True)
        order = OrderFactory(store=store, customer=customer, email=customer.email, number=f"#N{index:02d}x")
        status, _, (email,) = send_twice(step, customer, order=order, mailoutbox=mailoutbox)
        assert status == MessageStatus.SENT
        text = visible_text(html_of(email))
        assert f"Thank you, Buyer{index:02d}x!" in text and f"Order #N{index:02d}x is confirmed." in text
        assert re.findall(r"(?:Buyer|#N)(\d\d)x", text) == [f"{index:02d}"] * 2
    compiler._compiled.cache_clear()
    assert len(calls) == 1 and len(mailoutbox) == 20


@time_machine.travel(NOON_ROME, tick=False)
def test_a_block_that_needs_more_context_gets_it_from_dispatch(flows, buyer, order, mailoutbox):
    """needs_of: an NPS block asks dispatch for the recipient's eleven score links."""
    step = blocks_step(flows, designs={"en": design("How did we do?", block("nps", question="Rate us"))})
    status, _, (email,) = send_twice(step, buyer, order=order, mailoutbox=mailoutbox)
    assert status == MessageStatus.SENT
    html = html_of(email)
    assert_well_formed(html)
    text = visible_text(html)
    assert "Rate us" in text and "0 = not at all likely" in text
    assert len(re.findall(r'<a href="http[^"]+"[^>]*>(?:10|[0-9])</a>', html)) == 11

"""Sending a step to many recipients lays its design out (mrml) once; a change of brand, language or design lays
it out anew; and each recipient still gets their own values (the cache holds the template, never a recipient's
email). The plain-text part reads like the email: links as `label (url)`, cells apart, money unbroken."""

import re

import pytest

from apps.campaigns import rendering
from apps.campaigns.context import money
from apps.campaigns.design import compiler
from apps.campaigns.rendering import render_email

from .helpers import block, design_of, full_context, store

DESIGN = design_of(
    block("header"),
    block("heading", text='Thank you, {{ customer.first_name|default:"friend" }}!'),
    block(
        "text",
        html='<p>Order <strong>{{ order.number }}</strong> is in. <a href="https://northwind.example/faq">'
        "Questions?</a></p>",
    ),
    block("order_summary"),
    block("button", label="Track order {{ order.number }}", link="tracking"),
    block("products", title="You might also like", button_label="See it"),
    block("footer"),
)


@pytest.fixture
def mrml_calls(monkeypatch):
    """Every layout mrml does, counted (from a cold cache)."""
    calls = []
    real = compiler.mrml.to_html

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    compiler._compiled.cache_clear()
    rendering._DESIGNS.clear()  # the batch sender's per-design memo sits in front of the compiler's cache
    monkeypatch.setattr(compiler.mrml, "to_html", counted)
    yield calls
    compiler._compiled.cache_clear()
    rendering._DESIGNS.clear()


def recipient(index: int, **overrides) -> dict:
    context = full_context(**overrides)
    context["customer"] = {"first_name": f"Name{index:04d}x", "last_name": "", "email": f"r{index}@example.com"}
    context["order"] = {**context["order"], "number": f"#Order{index:04d}x"}
    context["links"] = {**context["links"], "tracking": f"https://northwind.example/t/tok{index:04d}x/"}
    return context


def send(context: dict, design=DESIGN):
    return render_email(
        subject="Thanks for order {{ order.number }}",
        preheader="It ships soon, {{ customer.first_name }}",
        body="",
        context=context,
        blocks=(),
        design=design,
    )


def test_five_hundred_recipients_compile_the_design_once_and_each_gets_their_own_values(mrml_calls):
    emails = [send(recipient(index)) for index in range(500)]
    assert len(mrml_calls) == 1
    own = re.compile(r"(?:Name|Order|tok)(\d{4})x")
    for index, email in enumerate(emails):
        for part in (email.html, email.text, email.subject):
            assert set(own.findall(part)) == {f"{index:04d}"}, (index, set(own.findall(part)))
        assert f"Thank you, Name{index:04d}x!" in email.text
        assert f"Track order #Order{index:04d}x (https://northwind.example/t/tok{index:04d}x/)" in email.text
        assert email.subject == f"Thanks for order #Order{index:04d}x"


def test_a_recipient_without_a_value_gets_the_fallback_not_the_previous_recipients_value(mrml_calls):
    first = send(recipient(1))
    nameless = recipient(2)
    nameless["customer"] = {}
    second = send(nameless)
    assert "Thank you, Name0001x!" in first.text
    assert "Thank you, friend!" in second.text and "Name0001x" not in second.html
    assert len(mrml_calls) == 1


def test_a_change_of_brand_colour_language_or_design_compiles_anew(mrml_calls):
    send(recipient(1))
    send(recipient(2))
    assert len(mrml_calls) == 1

    recoloured = send(recipient(3, store=store(accent_colour="#aa0000")))
    assert len(mrml_calls) == 2 and "#aa0000" in recoloured.html
    send(recipient(4, store=store(accent_colour="#aa0000")))
    assert len(mrml_calls) == 2

    fonted = send(recipient(5, store=store(font_family="Verdana, sans-serif")))
    assert len(mrml_calls) == 3 and "Verdana" in fonted.html

    italian = send(recipient(6, language="it"))
    assert len(mrml_calls) == 4 and 'lang="it"' in italian.html and "Il tuo ordine" in italian.text
    send(recipient(7, language="it"))
    assert len(mrml_calls) == 4

    edited = [*DESIGN[:1], block("heading", text="Welcome back"), *DESIGN[2:]]
    assert "Welcome back" in send(recipient(8), design=design_of(*edited)).text
    assert len(mrml_calls) == 5

    assert "#aa0000" not in send(recipient(9)).html  # the first brand again: still cached
    assert len(mrml_calls) == 5


def test_the_design_key_tells_apart_what_compiles_apart():
    brand = compiler.Brand.of(store())
    key = compiler.design_key(DESIGN, language="en", brand=brand)
    assert key == compiler.design_key(DESIGN, language="en", brand=compiler.Brand.of(store()))
    assert key != compiler.design_key(DESIGN, language="ru", brand=brand)
    assert key != compiler.design_key(DESIGN, language="en", brand=compiler.Brand.of(store(primary_colour="#000")))
    assert key != compiler.design_key(DESIGN[:-1], language="en", brand=brand)


# --- The plain-text part ---------------------------------------------------------------------------
def test_the_text_part_writes_links_as_label_and_address_and_keeps_table_cells_apart():
    email = send(recipient(3))
    text = email.text
    assert "Questions? (https://northwind.example/faq)" in text
    assert "Track order #Order0003x (https://northwind.example/t/tok0003x/)" in text
    assert "See it (https://northwind.example/p/huila)" in text
    assert "2 × Ethiopia Guji 250 g 39,00 €" in text  # the line's cells, not "…250 g39,00 €"
    assert "Total 44,00 €" in text and "Subtotal 39,00 €" in text
    assert "<" not in text and "{{" not in text and "{%" not in text


def test_the_text_part_keeps_the_non_breaking_spaces_of_money():
    total = money(39000, "RUB", "ru")
    assert total == "39\u00a0000\u00a0₽"
    context = full_context("ru")
    line = {"title": "Кофе", "quantity": 1, "price": total, "total": total, "image_url": ""}
    context["order"] = {**context["order"], "lines": [line], "total": total, "subtotal": "", "shipping": ""}
    text = send(context).text
    assert "Кофе 39\u00a0000\u00a0₽" in text
    assert f"\n{total}" not in text and "39 000" not in text  # never broken into ordinary spaces


def test_the_hidden_preheader_is_in_the_html_but_not_in_the_text_part():
    email = send(recipient(4))
    assert email.preheader == "It ships soon, Name0004x"
    assert "It ships soon" in email.html
    assert "It ships soon" not in email.text
    assert email.text.startswith("Northwind Coffee")

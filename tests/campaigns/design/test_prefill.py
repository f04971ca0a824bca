"""A batch fills what every recipient of a store shares once (design.prefill): each buyer's email is still exactly
the one a whole fill would give them, in HTML and text, for every default design and language, with hostile
values, and a store that changes its brand between two emails shows the new one."""

from datetime import UTC, datetime

import pytest
from django.template import Context
from django.template.base import VariableNode
from django.utils import timezone, translation

from apps.campaigns.copy import LANGUAGES
from apps.campaigns.design.compiler import ENGINE, Brand, compile_design, fill, fill_text
from apps.campaigns.design.defaults import default_design
from apps.campaigns.design.prefill import Filled, prefilled
from apps.campaigns.flows import definitions
from apps.campaigns.plaintext import normalise

from .helpers import bare_context, block, design_of, full_context, store

DEFAULT_STEPS = [(d.kind, s.key) for d in definitions().values() for s in d.steps]
HOSTILE = '<script>alert("x")</script> & {{ store.name }} {% now "Y" %} ’'


def whole_html(compiled, context: dict) -> str:
    return compiled.html.render(Context({**context, "addresses": compiled.addresses}, autoescape=True))


def whole_text(compiled, context: dict) -> str:
    return normalise(compiled.text.render(Context({**context, "addresses": compiled.addresses}, autoescape=False)))


def recipients(language: str) -> list[dict]:
    """Buyers of one store: everything filled, nothing filled, and values a hostile buyer or shop could hold."""
    full, bare = full_context(language), full_context(language)
    for name in ("coupon", "order", "shipment", "cart", "product", "reviews", "nps_links", "cart_reason_links"):
        bare.pop(name)
    bare.update(customer={}, links={}, recommendations=[], subject="Hi", preheader="")
    hostile = full_context(language, subject=HOSTILE, preheader=HOSTILE)
    hostile["customer"] = {"first_name": HOSTILE, "last_name": "", "email": "a@example.com"}
    hostile["coupon"] = {"code": "<b>X</b>", "description": HOSTILE, "expires": ""}
    hostile["links"] = {"preferences": 'https://a.example/p/"><script>', "unsubscribe": ""}
    return [full, bare, hostile]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "key"), DEFAULT_STEPS)
def test_every_default_email_is_the_same_prefilled_as_filled_whole(kind, key, language):
    design = default_design(kind, key, language)
    context = full_context(language)
    compiled = compile_design(design, language=language, brand=Brand.of(context["store"]), labels=context["labels"])
    for recipient in recipients(language):  # one after another, as a batch fills them
        assert fill(compiled, recipient) == whole_html(compiled, recipient)
        assert fill_text(compiled, recipient) == whole_text(compiled, recipient)


def test_the_store_is_filled_once_and_the_recipient_per_email():
    context = full_context("en")
    design = design_of(block("header"), block("heading", text="Hello {{ customer.first_name }}"), block("footer"))
    compiled = compile_design(design, language="en", brand=Brand.of(context["store"]), labels=context["labels"])
    ready = prefilled(compiled.html, {**context, "addresses": compiled.addresses}, autoescape=True)
    per_email = [node.filter_expression.token for node in ready.nodelist.get_nodes_by_type(VariableNode)]
    assert any(isinstance(node, Filled) and "Northwind Coffee" in node.text for node in ready.nodelist)
    assert per_email and not any(token.startswith("store.") for token in per_email)
    assert len(per_email) < len(compiled.html.nodelist.get_nodes_by_type(VariableNode))
    assert "Ana" in fill(compiled, context) and "Bea" in fill(compiled, {**context, "customer": {"first_name": "Bea"}})


def test_a_store_that_changes_its_brand_between_two_emails_shows_the_new_one():
    context = full_context("en")
    design = design_of(block("header"), block("text", html="<p>Hi</p>"), block("footer"))
    compiled = compile_design(design, language="en", brand=Brand.of(context["store"]), labels=context["labels"])
    assert "Northwind Coffee" in fill(compiled, context)
    renamed = {**context, "store": store(name="Southwind Tea", postal_address="2 Quay Road", social=[])}
    html, text = fill(compiled, renamed), fill_text(compiled, renamed)
    assert "Southwind Tea" in html and "Northwind" not in html and "2 Quay Road" in text
    assert html == whole_html(compiled, renamed)


@pytest.mark.parametrize(
    "source",
    [
        '{{ store.name }}{% now "Y" as year %}{{ year }}',  # a tag that binds a name: the template stays whole
        "{{ store.social|random }}",  # not a pure function of its input: stays per email
        "{% for link in store.social %}{{ link.name }}{{ customer.first_name }}{% endfor %}",
        "{% if store.name and customer.first_name %}{{ store.name }}{% else %}none{% endif %}",
        "{% with name=customer.first_name %}{{ store.name }} {{ name }}{% endwith %}",
        "{% with home=store.website_url %}{% if home %}{{ home }} {{ customer.first_name }}{% endif %}{% endwith %}",
        # decided ahead, the branch the store's values choose, each filled per email
        "{% if store.review_url %}{{ customer.first_name }} reviews{% elif store.name %}{{ customer.first_name }}"
        "{% else %}nothing{% endif %}",
        "{% if not store.review_url %}no {{ customer.first_name }}{% endif %}{% if store.missing.deeper %}x{% endif %}",
    ],
)
@pytest.mark.parametrize("shop", [store(), store(review_url="", website_url=""), store(name="", review_url="")])
def test_what_reads_the_recipient_or_is_not_pure_is_filled_per_email(source, shop):
    template = ENGINE.from_string(source)
    for first_name in ("Ana", "", "<Bea>"):
        context = {"store": shop, "customer": {"first_name": first_name}, "addresses": {}}
        ready = prefilled(template, context, autoescape=True)
        if "random" in source:
            assert not any(isinstance(node, Filled) for node in ready.nodelist)
        else:
            assert ready.render(Context(context)) == template.render(Context(context))


def test_a_template_with_a_tag_of_unknown_effect_is_left_whole():
    template = ENGINE.from_string('{{ store.name }}{% now "Y" as year %}{{ year }}')
    assert prefilled(template, {"store": store()}, autoescape=True) is template


def test_a_store_without_social_links_or_address_fills_the_same_as_whole():
    context = bare_context("ru")
    design = design_of(block("header"), block("footer"))
    compiled = compile_design(design, language="ru", brand=Brand.of(context["store"]), labels=context["labels"])
    assert fill(compiled, context) == whole_html(compiled, context)
    assert fill_text(compiled, context) == whole_text(compiled, context)


def test_a_store_value_is_written_in_the_language_and_time_zone_active_for_each_email():
    template = ENGINE.from_string("{{ store.rating }} · {{ store.opened }} · {{ customer.first_name }}")
    context = {"store": {"rating": 1234.5, "opened": datetime(2026, 1, 2, 23, 30, tzinfo=UTC)}, "customer": {}}
    for language, zone in (("it", "Europe/Rome"), ("en", "UTC"), ("it", "Asia/Seoul")):
        with translation.override(language), timezone.override(zone):
            ready = prefilled(template, context, autoescape=True).render(Context(context))
            assert ready == template.render(Context(context))
    with translation.override("it"), timezone.override("Asia/Seoul"):
        assert "1234,5" in ready and "03 Gennaio 2026 08:30" in ready  # Seoul is 9 hours ahead

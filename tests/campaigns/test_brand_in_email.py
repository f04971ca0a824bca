"""The store's brand goes into the email layout (a <style> block, then inlined) only as values that are
valid where they land. A hostile value already in the database renders as the safe fallback: it cannot
hide the footer (and its unsubscribe link), restyle the email or turn the logo or a link into script."""

import re

import pytest
import time_machine

from apps.campaigns.context import social_context
from apps.campaigns.dispatch import message_send
from apps.campaigns.models import FlowKind, FlowStep, MessageStatus, StepEditor
from apps.campaigns.preview import preview_step
from apps.campaigns.rendering import render_email
from apps.stores.models import Store
from tests.campaigns.test_dispatch import NOON_ROME, schedule
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db
HIDE_FOOTER = "Arial} .foot{display:none}"
DEFAULT_FONT = "-apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans KR', Arial, sans-serif"


def style_of(html: str, css_class: str) -> str:
    match = re.search(rf'<(?:div|body)[^>]*class="{css_class}"[^>]*?(?: style="([^"]*)")?>', html)
    assert match, css_class
    return match.group(1) or ""


def body_style(html: str) -> str:
    return re.search(r'<body style="([^"]*)"', html).group(1)


@time_machine.travel(NOON_ROME, tick=False)
def test_a_font_that_would_hide_the_footer_is_sent_as_the_default_font(flows, store, mailoutbox):
    # given the exact attack, already in the database (written past the form), in the HTML mode's layout
    # (the blocks' layout reads the font through the same check: design.compiler.Brand.of)
    Store.objects.filter(pk=store.pk).update(font_family=HIDE_FOOTER)
    FlowStep.objects.filter(store=store).update(editor=StepEditor.HTML)
    buyer = CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")
    message = schedule(flows, FlowKind.WIN_BACK, "values", customer=buyer, at=NOON_ROME)
    # when the marketing email is sent
    assert message_send(message_id=message.pk).status == MessageStatus.SENT
    html = mailoutbox[0].alternatives[0][0]
    # then the footer keeps its own style, visible, with its unsubscribe link
    foot = style_of(html, "foot")
    assert "display" not in foot and foot.startswith("max-width: 600px")
    assert re.search(r'<div class="foot".*?/unsubscribe/', html, re.S)
    # and the font is the default stack: nothing of the value reached the CSS
    assert f"font-family: {DEFAULT_FONT}" in body_style(html)
    assert "Arial}" not in html and ".foot{" not in html
    assert html.count("display: none") == 1  # the hidden preheader's own rule, nothing else


def test_the_brand_preview_of_a_stored_hostile_font_shows_the_footer(flows, store):
    Store.objects.filter(pk=store.pk).update(font_family=HIDE_FOOTER)
    FlowStep.objects.filter(store=store).update(editor=StepEditor.HTML)  # the HTML mode's layout
    step = flows[FlowKind.ORDER_CONFIRMATION].steps.get()
    step.store.refresh_from_db()
    html = preview_step(step=step, language="en").email.html
    assert "display" not in style_of(html, "foot")
    assert f"font-family: {DEFAULT_FONT}" in body_style(html)


def hostile_context(**store) -> dict:
    store.setdefault("social", social_context(store.get("social_links")))  # as store_context derives it
    return {
        "language": "en",
        "labels": {},
        "links": {"preferences": "https://shop.example/p/", "unsubscribe": "https://shop.example/u/"},
        "store": {
            "name": "Northwind",
            "primary_colour": "#112233",
            "accent_colour": "#2255ff",
            "background_colour": "#f5f5f5",
            "on_primary": "#ffffff",
            "on_accent": "#ffffff",
            **store,
        },
    }


def render(context: dict) -> str:
    return render_email(subject="Hi", preheader="", body="<p>Body</p>", context=context, blocks=()).html


def test_a_colour_that_adds_a_declaration_renders_as_the_default_colour():
    html = render(hostile_context(primary_colour="red;background:url(https://evil)", background_colour="red;x:y"))
    assert "evil" not in html and "red" not in html
    assert style_of(html, "head").startswith("background: #1f2937;")
    assert "background: #f8fafc" in body_style(html)


def test_a_javascript_logo_or_social_link_is_not_rendered():
    html = render(
        hostile_context(
            logo_url="javascript:alert(1)",
            social_links={"x": "javascript:alert(1)", "instagram": "https://instagram.com/northwind"},
        )
    )
    assert "javascript:" not in html
    assert "<img" not in html.split('class="head"')[1].split("</div>")[0]  # the store's name instead of the logo
    assert '<a href="https://instagram.com/northwind"' in html


@time_machine.travel(NOON_ROME, tick=False)
def test_a_stored_javascript_social_link_is_not_sent(flows, store, mailoutbox):
    Store.objects.filter(pk=store.pk).update(social_links={"x": "javascript:alert(1)"})
    buyer = CustomerFactory(store=store, email="ana@example.com", consenting=True, time_zone="Europe/Rome")
    message = schedule(flows, FlowKind.WIN_BACK, "values", customer=buyer, at=NOON_ROME)
    assert message_send(message_id=message.pk).status == MessageStatus.SENT
    assert "javascript:" not in mailoutbox[0].alternatives[0][0]


def test_a_brand_changed_on_the_same_store_object_shows_in_the_next_email(store):
    """The store's email context is worked out once per store object (a batch shares one), but a changed colour,
    name or social link on that object is what the next email carries, never the remembered one."""
    from apps.campaigns.context import store_context

    store.primary_colour, store.name, store.social_links = "#ffffff", "Bean & Leaf", {}
    first = store_context(store)
    assert first["on_primary"] != "#ffffff" and first["name"] == "Bean & Leaf" and first["social"] == []

    store.primary_colour, store.name = "#111111", "Bean, Leaf {and} Co"
    store.social_links = {"instagram": "https://instagram.com/beanleaf"}
    second = store_context(store)
    assert second["primary_colour"] == "#111111" and second["on_primary"] == "#ffffff"
    assert second["name"] == "Bean, Leaf {and} Co"
    assert [link["url"] for link in second["social"]] == ["https://instagram.com/beanleaf"]
    second["name"] = "changed by a caller"
    assert store_context(store)["name"] == "Bean, Leaf {and} Co"  # each caller gets its own dict

"""Merchant templates render in a restricted engine: no settings, no files, no scripts."""

import pytest

from apps.campaigns.plaintext import html_to_text
from apps.campaigns.rendering import TemplateError, render_email, render_merchant, sanitise


def test_variables_conditions_loops_and_safe_filters_work():
    out = render_merchant(
        "{% if customer.first_name %}Hi {{ customer.first_name|upper }}{% endif %}"
        "{% for line in order.lines %} {{ line.title }}{% endfor %}",
        {"customer": {"first_name": "ana"}, "order": {"lines": [{"title": "Mug"}, {"title": "Beans"}]}},
    )
    assert out == "Hi ANA Mug Beans"


@pytest.mark.parametrize(
    "source",
    [
        "{% load static %}",
        "{% include 'campaigns/email/base.html' %}",
        "{% extends 'base_dashboard.html' %}",
        "{% debug %}",
        "{% url 'dashboard:home' %}",
        "{% csrf_token %}",
        "{{ x|safe }}",
        "{% ssi '/etc/passwd' %}",
    ],
)
def test_tags_that_reach_files_settings_or_markup_safety_are_refused(source):
    with pytest.raises(TemplateError):
        render_merchant(source, {})


def test_a_template_cannot_reach_settings_or_private_attributes():
    assert render_merchant("{{ settings.SECRET_KEY }}{{ SECRET_KEY }}", {"store": {"name": "x"}}) == ""
    for private in ("{{ store._meta }}", "{{ store.__class__ }}"):
        with pytest.raises(TemplateError):
            render_merchant(private, {"store": {"name": "x"}})


def test_values_are_escaped_and_merchant_html_is_sanitised():
    out = render_merchant("<p>{{ name }}</p>", {"name": "<script>alert(1)</script>"})
    assert "<script>" not in out
    clean = sanitise('<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">x</a></p>')
    assert "onclick" not in clean and "<script" not in clean and "javascript:" not in clean


def test_a_huge_template_is_refused():
    with pytest.raises(TemplateError):
        render_merchant("x" * 60_000, {})


def test_the_email_has_inlined_css_and_a_readable_text_part():
    context = {
        "language": "en",
        "store": {
            "name": "Northwind",
            "primary_colour": "#112233",
            "accent_colour": "#2255ff",
            "background_colour": "#f5f5f5",
            "on_primary": "#ffffff",
            "on_accent": "#ffffff",
        },
        "labels": {"track": "Track your order"},
        "links": {"tracking": "https://shop.example/t/abc/"},
    }
    email = render_email(
        subject="Hello {{ store.name }}",
        preheader="Pre",
        body="<p>Body</p>",
        context=context,
        blocks=("tracking_button",),
    )
    assert email.subject == "Hello Northwind"
    assert 'style="' in email.html  # CSS was inlined for mail clients
    assert "<style" not in email.html.split("<body")[1]
    assert "Body" in email.text
    assert "Track your order (https://shop.example/t/abc/)" in email.text
    assert "Pre" not in email.text  # the hidden preheader is not part of the text version


def test_a_template_that_calls_a_mutating_method_changes_nobody_elses_email():
    # given labels shared by every email in a language, and a subject that empties what it reaches
    shared_labels = {"track": "Track your order"}
    context = {"language": "en", "store": {"name": "Northwind"}, "labels": shared_labels,
               "links": {"tracking": "https://shop.example/t/abc/"}}  # fmt: skip
    # when an email is rendered with it, twice
    for _ in range(2):
        subject = "{% if labels.clear or links.clear %}{% endif %}Hi"
        email = render_email(subject=subject, preheader="{{ labels.track }}", body="<p>Body</p>", context=context,
                             blocks=("tracking_button",))  # fmt: skip
        # then that email is the only one it touched: the caller's context and the shared labels are whole
        assert email.subject == "Hi" and email.preheader == ""
        assert shared_labels == {"track": "Track your order"} and context["links"]
        assert "Track your order (https://shop.example/t/abc/)" in email.text


def test_html_to_text_keeps_links_and_lists():
    assert html_to_text('<p>Hi <a href="https://x.example">there</a></p><ul><li>a</li><li>b</li></ul>') == (
        "Hi there (https://x.example)\n\n- a\n- b\n"
    )

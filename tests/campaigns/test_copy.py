"""Default email copy: every language has the English keys, variables, tags and markup, and renders."""

import re
from collections import Counter
from importlib import import_module
from string import Formatter

import pytest

from apps.campaigns.copy import LANGUAGES
from apps.campaigns.rendering import render_merchant

EN = import_module("apps.campaigns.copy.en")
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]
PARTS = ("subject", "preheader", "body")

SAMPLE = {
    "order": {"number": "#1001"},
    "customer": {"first_name": "Ana"},
    "shipment": {"carrier": "UPS", "estimated_delivery": "1 May"},
    "product": {"name": "Beans", "url": "https://x"},
    "store": {"support_email": "help@x"},
}

VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.S)
TAG = re.compile(r"\{%\s*(.*?)\s*%\}", re.S)
HTML_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)")
SCRIPT = {
    "ru": re.compile(r"[А-Яа-яЁё]"),
    "kk": re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІіА-Яа-яЁё]"),
    "ko": re.compile(r"[\uac00-\ud7a3]"),
    "it": re.compile(r"[A-Za-z]"),
}


def module(language):
    return import_module(f"apps.campaigns.copy.{language}")


def squash(text):
    return " ".join(text.split())


def variables(source):
    return Counter(squash(v) for v in VARIABLE.findall(source))


def tags(source):
    return Counter(squash(t) for t in TAG.findall(source))


def tag_names(source):
    return Counter(t.split()[0] for t in TAG.findall(source))


def html_tags(source):
    return Counter(f"{slash}{name.lower()}" for slash, name in HTML_TAG.findall(source))


def placeholders(label):
    return {field for _, field, _, _ in Formatter().parse(label) if field is not None}


def step_parts(language):
    """(step key, part name, source) for every part of every step."""
    for key, entry in module(language).STEPS.items():
        assert len(entry) == len(PARTS), f"{language} {key}: expected (subject, preheader, body)"
        for part, source in zip(PARTS, entry, strict=True):
            yield key, part, source


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_same_label_keys_as_english(language):
    assert set(module(language).LABELS) == set(EN.LABELS)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_same_step_keys_as_english(language):
    assert set(module(language).STEPS) == set(EN.STEPS)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_each_part_uses_the_english_variables_tags_and_markup(language):
    for key, part, source in step_parts(language):
        english = EN.STEPS[key][PARTS.index(part)]
        where = f"{language} {key} {part}"
        assert variables(source) == variables(english), where
        assert tag_names(source) == tag_names(english), where
        assert tags(source) == tags(english), where
        assert html_tags(source) == html_tags(english), where


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_part_renders_without_leftover_template_syntax(language):
    for key, part, source in step_parts(language):
        for context in (SAMPLE, {}):
            output = render_merchant(source, context)
            where = f"{language} {key} {part}"
            assert output.strip(), where
            assert "{{" not in output and "{%" not in output, where
            assert "}}" not in output and "%}" not in output, where


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_part_is_translated(language):
    script = SCRIPT[language]
    for key, part, source in step_parts(language):
        english = EN.STEPS[key][PARTS.index(part)]
        output = render_merchant(source, SAMPLE)
        where = f"{language} {key} {part}"
        assert output != render_merchant(english, SAMPLE), where
        assert script.search(output), where


@pytest.mark.parametrize("language", LANGUAGES)
def test_labels_format_with_a_value(language):
    for key, label in module(language).LABELS.items():
        assert label.strip(), f"{language} {key}"
        assert placeholders(label) == placeholders(EN.LABELS[key]), f"{language} {key}"
        formatted = label.format(value=10)
        assert "{" not in formatted and "}" not in formatted, f"{language} {key}"
        if placeholders(label):
            assert "10" in formatted, f"{language} {key}"

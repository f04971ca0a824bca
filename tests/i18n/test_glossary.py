"""One word per concept in what buyers read: locale/glossary.json names, per language, the word chosen for
each concept and the synonyms that must not appear (locale/GLOSSARY.md explains each choice). This fails
when the buyer catalogue or a default email uses a forbidden synonym."""

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from apps.campaigns.copy import copy_for

BASE = Path(settings.BASE_DIR)
GLOSSARY = json.loads((BASE / "locale" / "glossary.json").read_text())


def buyer_texts(language: str) -> list[str]:
    """Every translation in the buyer catalogue, and every string of the language's default emails."""
    with open(BASE / "locale" / language / "LC_MESSAGES" / "django.po", "rb") as po:
        texts = []
        for message in read_po(po, locale=language):
            if message.id:
                texts += list(message.string) if isinstance(message.string, tuple) else [message.string]
    copy = copy_for(language)
    texts += list(copy.LABELS.values())
    for parts in copy.STEPS.values():
        texts += list(parts)
    for words in getattr(copy, "DESIGNS", {}).values():  # the default emails' blocks
        texts += list(words.values())
    return texts


def forbidden_patterns(language: str) -> list[tuple[str, re.Pattern]]:
    return [
        (f"{entry['concept']}: {word!r} (use {entry['use']!r})", re.compile(rf"(?<!\w){re.escape(word)}", re.I))
        for entry in GLOSSARY.get(language, [])
        for word in entry.get("forbidden", [])
    ]


@pytest.mark.parametrize("language", sorted(GLOSSARY))
def test_buyer_copy_uses_the_glossarys_words(language):
    texts = buyer_texts(language)
    found = [
        f"{rule} in {text[:80]!r}"
        for rule, pattern in forbidden_patterns(language)
        for text in texts
        if pattern.search(text)
    ]
    assert found == []


def test_every_language_has_a_glossary():
    assert set(GLOSSARY) == {"ru", "it", "ko", "kk"}
    for language, entries in GLOSSARY.items():
        assert len(entries) >= 8, language
        assert all(entry["use"] and entry["concept"] for entry in entries), language

"""The buyer pages' message catalogs: complete, not fuzzy, compilable, and the committed .mo in step.

Update them as locale/MAKEMESSAGES.md says. These tests need only Python (Babel reads the .po);
where GNU msgfmt is installed (CI installs Debian's gettext), it checks the catalogs too.
"""

import gettext
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from apps.tracking.progress import STATUS_LABELS, STEP_LABELS

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
BUYER_LANGUAGES = ["ru", "it", "ko", "kk"]  # English is the source language
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog(language):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po, locale=language)


def messages(language):
    return [message for message in catalog(language) if message.id]


def test_every_buyer_language_of_settings_has_a_catalog():
    assert {code for code, _name in settings.LANGUAGES} - {"en"} == set(BUYER_LANGUAGES)
    for language in BUYER_LANGUAGES:
        assert (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").is_file()
        assert (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").is_file()


@pytest.mark.parametrize("language", BUYER_LANGUAGES)
def test_no_entry_is_untranslated_or_fuzzy(language):
    entries = messages(language)
    assert len(entries) > 150
    fuzzy = [m.id for m in entries if m.fuzzy]
    untranslated = [
        m.id for m in entries if (any(not s for s in m.string) if isinstance(m.string, tuple) else not m.string)
    ]
    assert fuzzy == []
    assert untranslated == []


@pytest.mark.parametrize("language", BUYER_LANGUAGES)
def test_translations_keep_every_placeholder(language):
    for message in messages(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == expected, (message.id, string)


@pytest.mark.parametrize("language", BUYER_LANGUAGES)
def test_the_catalog_compiles(language):
    po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    write_mo(io.BytesIO(), catalog(language))  # Babel: always available
    if shutil.which("msgfmt"):
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", BUYER_LANGUAGES)
def test_the_committed_mo_matches_the_po(language):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in messages(language):
        prefix = f"{message.context}\x04" if message.context else ""
        if isinstance(message.id, tuple):
            for index, string in enumerate(message.string):
                assert compiled._catalog[(prefix + message.id[0], index)] == string
        else:
            assert compiled._catalog[prefix + message.id] == message.string, message.id


@pytest.mark.parametrize("language", BUYER_LANGUAGES)
def test_status_and_step_words_are_translated_at_run_time(language):
    labels = [*STATUS_LABELS.values(), *STEP_LABELS]
    with translation.override("en"):
        english = [str(label) for label in labels]
    with translation.override(language):
        translated = [str(label) for label in labels]
    assert all(t != e for t, e in zip(translated, english, strict=True)), translated

"""Every message catalogue (the buyer pages' in locale/, the dashboard's in apps/dashboard/locale/): complete,
not fuzzy, placeholders kept, compilable, and the committed .mo in step with its .po.

Update them as locale/MAKEMESSAGES.md says. These tests need only Python (Babel reads the .po); where GNU
msgfmt is installed (CI installs Debian's gettext), it checks the catalogues too.
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

BASE = Path(settings.BASE_DIR)
CATALOG_DIRS = [BASE / "locale", BASE / "apps" / "dashboard" / "locale"]
LANGUAGES = ["ru", "it", "ko", "kk"]  # English is the source language
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CASES = [(d, language) for d in CATALOG_DIRS for language in LANGUAGES]


def case_id(case) -> str:
    return f"{case[0].relative_to(BASE)}:{case[1]}"


def po_path(directory: Path, language: str) -> Path:
    return directory / language / "LC_MESSAGES" / "django.po"


def messages(directory: Path, language: str):
    with open(po_path(directory, language), "rb") as po:
        return [message for message in read_po(po, locale=language) if message.id]


def test_every_language_of_settings_has_its_catalogues():
    assert {code for code, _name in settings.LANGUAGES} - {"en"} == set(LANGUAGES)
    for directory, language in CASES:
        assert po_path(directory, language).is_file()
        assert po_path(directory, language).with_suffix(".mo").is_file()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_entry_is_untranslated_or_fuzzy(case):
    entries = messages(*case)
    assert len(entries) > 150
    fuzzy = [m.id for m in entries if m.fuzzy]
    untranslated = [
        m.id for m in entries if (any(not s for s in m.string) if isinstance(m.string, tuple) else not m.string)
    ]
    assert fuzzy == []
    assert untranslated == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_translations_keep_every_placeholder(case):
    for message in messages(*case):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        found = set().union(*(PLACEHOLDER.findall(s) for s in strings))
        # A plural's singular may spell "one" out instead of printing the number.
        assert found <= expected and expected - found <= {"count", "counter"}, (message.id, strings)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_catalogue_compiles(case):
    po = po_path(*case)
    with open(po, "rb") as source:
        write_mo(io.BytesIO(), read_po(source, locale=case[1]))  # Babel: always available
    if shutil.which("msgfmt"):
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_committed_mo_matches_the_po(case):
    with open(po_path(*case).with_suffix(".mo"), "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in messages(*case):
        prefix = f"{message.context}\x04" if message.context else ""
        if isinstance(message.id, tuple):
            for index, string in enumerate(message.string):
                assert compiled._catalog[(prefix + message.id[0], index)] == string
        else:
            assert compiled._catalog[prefix + message.id] == message.string, message.id

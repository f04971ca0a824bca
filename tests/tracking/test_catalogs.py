"""The buyer pages' own words are translated at run time. Every catalogue's completeness, placeholders and
compiled form are checked by tests/i18n/test_catalogs.py."""

import pytest
from django.utils import translation

from apps.tracking.progress import STATUS_LABELS, STEP_LABELS

BUYER_LANGUAGES = ["ru", "it", "ko", "kk"]  # English is the source language


@pytest.mark.parametrize("language", BUYER_LANGUAGES)
def test_status_and_step_words_are_translated_at_run_time(language):
    labels = [*STATUS_LABELS.values(), *STEP_LABELS]
    with translation.override("en"):
        english = [str(label) for label in labels]
    with translation.override(language):
        translated = [str(label) for label in labels]
    assert all(t != e for t, e in zip(translated, english, strict=True)), translated

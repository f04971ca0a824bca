"""The marketing-break choices count their days with each language's plural forms."""

import pytest
from django.utils import translation
from django.utils.translation import ngettext

from apps.customers.services import MARKETING_PAUSE_CHOICES
from apps.feedback.forms import PreferencesForm


def pause_labels(language: str) -> list[str]:
    with translation.override(language):
        form = PreferencesForm(languages=[("en", "English")], paused=False)
        return [
            str(label) for value, label in form.fields["pause"].choices if value in map(str, MARKETING_PAUSE_CHOICES)
        ]


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        ("ru", 1, "Приостановить на 1 день"),
        ("ru", 3, "Приостановить на 3 дня"),
        ("ru", 21, "Приостановить на 21 день"),
        ("ru", 30, "Приостановить на 30 дней"),
        ("it", 1, "Sospendi per 1 giorno"),
        ("it", 30, "Sospendi per 30 giorni"),
        ("ko", 30, "30일 동안 멈추기"),
        ("kk", 1, "1 күнге тоқтату"),
        ("kk", 90, "90 күнге тоқтату"),
        ("en", 1, "Pause for 1 day"),
        ("en", 30, "Pause for 30 days"),
    ],
)
def test_the_pause_counts_its_days_in_the_languages_plural(language, days, expected):
    with translation.override(language):
        label = ngettext("Pause for %(days)s day", "Pause for %(days)s days", days) % {"days": days}
    assert label == expected


def test_the_form_offers_the_breaks_in_the_buyers_language():
    assert pause_labels("ru") == [f"Приостановить на {days} дней" for days in MARKETING_PAUSE_CHOICES]
    assert pause_labels("en") == [f"Pause for {days} days" for days in MARKETING_PAUSE_CHOICES]

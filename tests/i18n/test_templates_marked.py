"""Every word a merchant or a buyer reads in a template is marked for translation.

A template string left outside `{% translate %}`/`{% blocktranslate %}` is English in every language;
tests/i18n/untranslated.py says how the words are found. Emails' copy lives in apps/campaigns/copy and
the catalogues are checked by tests/i18n/test_catalogs.py."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.i18n.untranslated import template_problems, unmarked_words

BASE = Path(settings.BASE_DIR)
PEOPLE_READ = [
    *sorted((BASE / "apps").glob("*/templates/**/*.html")),
    *sorted((BASE / "templates").glob("**/*.html")),
]
# Templates that are not pages: an email's frame (its words come from the copy), the API docs' frame.
NOT_PAGES = {"templates/campaigns/email/base.html"}


@pytest.mark.parametrize(
    "path",
    [p for p in PEOPLE_READ if str(p.relative_to(BASE)) not in NOT_PAGES],
    ids=lambda p: str(p.relative_to(BASE)),
)
def test_every_word_people_read_is_marked_for_translation(path):
    assert unmarked_words(path.read_text()) == []


def test_the_finder_finds_what_it_should_and_nothing_else():
    assert unmarked_words('<p class="x">Hello {{ name }}</p>') == ["Hello"]
    assert unmarked_words('<input placeholder="Search orders" value="{{ q }}">') == ["Search", "orders"]
    assert unmarked_words('{% load i18n %}<p>{% translate "Hello" %}</p>') == []
    assert unmarked_words("{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}") == []
    assert unmarked_words('<a href="/x" {% if a %}class="current"{% endif %}>{{ label }}</a>') == []
    assert unmarked_words("<style>body { color: red }</style><script>let x = 1</script>") == []
    assert unmarked_words("<p>Shopify · 17TRACK · 42</p>") == []
    assert template_problems([]) == {}

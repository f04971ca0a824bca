"""Every default email, as chromium draws it on a phone (360 px) and at the email's full width (600 px): nothing
runs off the side (no horizontal scroll), in English and Korean, and the order confirmation in Russian. A
screenshot of each for people: test-artifacts/emails/screens/<language>/<kind>-<key>-<width>.png."""

from pathlib import Path

import pytest

from apps.campaigns.copy import LANGUAGES
from apps.campaigns.models import FlowStep
from apps.campaigns.services.flows import flows_install_defaults
from tests.campaigns.email_samples import render_default
from tests.stores.factories import StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "emails" / "screens"
WIDTHS = (360, 600)
CASES = [("en", None), ("ko", None), ("ru", ("order_confirmation", "confirmation"))]


@pytest.fixture
def store():
    store = StoreFactory(slug="northwind", default_language="en", languages=list(LANGUAGES))
    flows_install_defaults(store=store)
    return store


@pytest.fixture
def email_page(browser):
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 800})
    page = context.new_page()
    page.route("**/*", lambda route: route.abort())  # an email draws without fetching anything
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.mark.parametrize(("language", "only"), CASES, ids=[language for language, _ in CASES])
def test_default_emails_fit_a_phone_and_the_full_width(store, email_page, language, only):
    steps = FlowStep.objects.filter(flow__store=store).select_related("flow", "store").order_by("flow__kind", "key")
    if only:
        steps = steps.filter(flow__kind=only[0], key=only[1])
    folder = SCREENS / language
    folder.mkdir(parents=True, exist_ok=True)
    overflowing = []
    for step in steps:
        page_html = render_default(step, language).html
        for width in WIDTHS:
            email_page.set_viewport_size({"width": width, "height": 800})
            email_page.set_content(page_html)
            scroll_width = email_page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                overflowing.append(f"{step.flow.kind}-{step.key} at {width}px: {scroll_width}px wide")
            email_page.screenshot(path=str(folder / f"{step.flow.kind}-{step.key}-{width}.png"), full_page=True)
    assert steps.count() >= 1
    assert overflowing == []

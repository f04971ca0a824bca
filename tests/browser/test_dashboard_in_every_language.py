"""The dashboard in Russian and Korean, on a desktop and a phone: every page draws, nothing overflows the
screen, the menu opens, and axe finds no critical or serious accessibility problem. Screenshots for people."""

import pytest
from playwright.sync_api import expect

from apps.stores.models import UserPreference
from tests.browser.accessibility import axe_violations
from tests.browser.test_dashboard_flows import merchant  # noqa: F401  (the same signed-up owner)
from tests.browser.test_dashboard_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGES = {
    "overview": "/dashboard/",
    "flows": "/dashboard/flows/",
    "messages": "/dashboard/messages/",
    "critics": "/dashboard/critics/",
    "connections": "/dashboard/connections/",
}


def too_wide(page) -> list[str]:
    """The innermost elements that reach past the right edge of the screen, to name in a failure."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(el => !el.parentElement.closest('.table-scroll'))
            .slice(0, 5)
            .map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 40))"""
    )


@pytest.mark.parametrize("language", ["ru", "ko"])
def test_the_dashboard_in_russian_and_korean_on_desktop_and_phone(
    axe_page,
    live_server,
    merchant,  # noqa: F811
    screenshot,
    language,
):
    page = axe_page
    UserPreference.objects.create(user=merchant.user, language=language)
    sign_in(page, live_server)
    for name, path in PAGES.items():
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}{path}")
            assert page.locator("html").get_attribute("lang") == language
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} at {width}px is {overflow}px wider than the screen: {too_wide(page)}"
            assert axe_violations(page) == [], f"{name} in {language} at {width}px"
            screenshot(page, f"dashboard-{name}-{language}-{width}")
    # on a phone the sections sit behind a menu button that opens them
    page.goto(f"{live_server.url}/dashboard/orders/")
    menu = page.locator("details.nav-menu > summary")
    expect(menu).to_be_visible()
    menu.click()
    expect(page.locator("details.nav-menu nav a").first).to_be_visible()

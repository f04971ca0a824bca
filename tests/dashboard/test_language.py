"""The dashboard speaks the merchant's language: their own choice, else their browser's, else the store's."""

import pytest
from django.urls import reverse
from django.utils import translation

from apps.stores.models import UserPreference
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def lang_of(response) -> str:
    return response.headers.get("Content-Language", "")


def test_the_sign_in_page_follows_the_browser(client):
    response = client.get(reverse("login"), headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    assert lang_of(response) == "ko" and '<html lang="ko"' in response.content.decode()


def test_a_browser_language_we_do_not_speak_falls_back_to_english(client):
    assert lang_of(client.get(reverse("login"), headers={"Accept-Language": "fr-FR,fr;q=0.9"})) == "en"


def test_without_a_choice_or_a_browser_language_the_store_decides(client):
    member = MembershipFactory(role="owner", store__default_language="kk", store__languages=["kk", "ru"])
    client.force_login(member.user)
    assert lang_of(client.get(reverse("dashboard:order_list"))) == "kk"


def test_the_persons_choice_beats_the_browser_and_follows_them_to_every_store(client):
    member = MembershipFactory(role="owner", store__default_language="ru", store__languages=["ru"])
    client.force_login(member.user)

    response = client.post(reverse("language_switch"), {"language": "it", "next": reverse("dashboard:order_list")})
    response_again = client.post(reverse("language_switch"), {"language": "it", "next": "/dashboard/orders/"})

    assert response.status_code == 302 and response["Location"] == reverse("dashboard:order_list")
    assert response_again.status_code == 302
    assert UserPreference.objects.get(user=member.user).language == "it"
    page = client.get(reverse("dashboard:order_list"), headers={"Accept-Language": "ko"})
    assert lang_of(page) == "it"
    other = MembershipFactory(user=member.user, role="manager", store__default_language="ko")
    client.post(reverse("dashboard:store_switch"), {"store_id": other.store_id})
    assert lang_of(client.get(reverse("dashboard:order_list"))) == "it"


def test_the_switcher_never_sends_anyone_off_site_and_ignores_unknown_languages(client):
    member = MembershipFactory(role="owner")
    client.force_login(member.user)

    response = client.post(reverse("language_switch"), {"language": "xx", "next": "https://evil.example/"})

    assert response["Location"] == reverse("dashboard:home")
    assert UserPreference.objects.get(user=member.user).language == ""


def test_before_sign_in_the_choice_is_kept_in_a_cookie(client):
    client.post(reverse("language_switch"), {"language": "ru", "next": reverse("login")})
    assert lang_of(client.get(reverse("login"), headers={"Accept-Language": "en"})) == "ru"


def test_buyer_pages_keep_choosing_the_buyers_language(client):
    from tests.orders.factories import OrderFactory

    member = MembershipFactory(role="owner", store__default_language="en", store__languages=["en", "ko"])
    client.force_login(member.user)
    client.post(reverse("language_switch"), {"language": "ru", "next": "/dashboard/"})
    order = OrderFactory(store=member.store, customer__locale="", locale="")  # the browser decides, not a locale

    page = client.get(order.get_tracking_url(), headers={"Accept-Language": "ko"})

    assert page.status_code == 200 and '<html lang="ru"' not in page.content.decode()


def test_the_switcher_is_on_the_sign_in_page_and_in_the_sidebar_with_the_current_language_chosen(client):
    page = client.get(reverse("login"), headers={"Accept-Language": "it"}).content.decode()
    assert 'action="/accounts/language/"' in page and '<option value="it" lang="it" selected>' in page

    member = MembershipFactory(role="owner")
    client.force_login(member.user)
    client.post(reverse("language_switch"), {"language": "kk", "next": "/dashboard/"})
    page = client.get(reverse("dashboard:order_list")).content.decode()
    assert '<option value="kk" lang="kk" selected>' in page


def test_default_flow_names_read_in_the_merchants_language_and_custom_names_stay(client):
    from apps.campaigns.models import Flow, FlowKind

    member = MembershipFactory(role="owner")
    client.force_login(member.user)
    Flow.objects.filter(store=member.store, kind=FlowKind.WIN_BACK).update(name="Come back, friend")
    client.post(reverse("language_switch"), {"language": "ru", "next": "/dashboard/"})

    page = client.get(reverse("dashboard:flow_list")).content.decode()

    assert "Abandoned cart" not in page and "Come back, friend" in page
    with translation.override("ru"):
        assert str(FlowKind.ABANDONED_CART.label) in page

"""The brand page refuses values that would break out of where they land (the email's <style>, its From
header, a link), with a form error, and its previews stay safe for a hostile value already stored."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.stores.models import Store
from apps.stores.services import store_update_brand
from tests.dashboard.test_brand import brand_data
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db
HIDE_FOOTER = "Arial} .foot{display:none}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("font_family", HIDE_FOOTER),
        ("font_family", 'Georgia"; } body { display:none } </style>'),
        ("primary_colour", "red;background:url(https://evil)"),
        ("accent_colour", "#fff;x:y"),
        ("sender_name", "Northwind\r\nBcc: everyone@example.com"),
        ("social_instagram", "ftp://files.example/northwind"),
        ("social_x", "javascript:alert(1)"),
    ],
)
def test_a_value_that_breaks_out_of_its_place_is_a_form_error_and_nothing_is_saved(client, manager, field, value):
    store = manager.store
    before = Store.objects.values().get(pk=store.pk)
    response = client.post(reverse("dashboard:brand"), brand_data(store, **{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert "Nothing was saved" in response.content.decode()
    assert Store.objects.values().get(pk=store.pk) == before


def test_the_font_error_says_what_a_font_list_looks_like(client, manager):
    response = client.post(reverse("dashboard:brand"), brand_data(manager.store, font_family=HIDE_FOOTER))
    assert "Use font names separated by commas" in " ".join(response.context["form"].errors["font_family"])


def test_a_font_list_with_quoted_names_is_saved(client, manager):
    font = 'Georgia, "Times New Roman", serif'
    response = client.post(reverse("dashboard:brand"), brand_data(manager.store, font_family=font))
    assert response.status_code == 302
    assert Store.objects.get(pk=manager.store.pk).font_family == font


@pytest.mark.parametrize(
    ("fields", "problem_field"),
    [
        ({"logo": "javascript:alert(1)"}, "logo"),
        ({"logo": "https://evil.example/logo.png"}, "logo"),
        ({"font_family": HIDE_FOOTER}, "font_family"),
        ({"social_links": {"instagram": "javascript:alert(1)"}}, "social_links"),
        ({"name": "Northwind\nBcc: x@example.com"}, "name"),
    ],
)
def test_the_brand_service_refuses_what_the_form_would(manager, fields, problem_field):
    with pytest.raises(ValidationError) as refused:
        store_update_brand(store=manager.store, **fields)
    assert problem_field in refused.value.message_dict


def test_the_brand_previews_of_a_stored_hostile_font_keep_the_footer_visible(client, manager):
    # given the attack already in the database, written past the form
    Store.objects.filter(pk=manager.store.pk).update(font_family=HIDE_FOOTER)
    OrderFactory(store=manager.store)
    # the email preview: the footer keeps its own style
    email = client.get(reverse("dashboard:brand_email_preview")).content.decode()
    foot = re.search(r'<div class="(?:ag-)?foot" style="([^"]*)"', email).group(1)  # blocks or HTML layout
    assert "display" not in foot and "Arial}" not in email
    # the tracking page preview: the brand <style> holds only the :root custom properties
    page = client.get(reverse("dashboard:brand_tracking_preview")).content.decode()
    (brand_style,) = re.findall(r"<style nonce=[^>]*>(.*?)</style>", page, re.S)
    assert brand_style.count("{") == 1 and brand_style.count("}") == 1 and ".foot" not in brand_style

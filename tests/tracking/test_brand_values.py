"""A hostile brand value already in the database cannot restyle the buyer's tracking page."""

import re

import pytest

from apps.stores.models import Store
from tests.orders.factories import OrderFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_a_stored_font_that_would_hide_the_footer_adds_no_rule_to_the_tracking_page(client):
    store = StoreFactory()
    Store.objects.filter(pk=store.pk).update(
        font_family="Arial} .site-footer{display:none}", primary_colour="red;}<s", logo="javascript:x"
    )
    order = OrderFactory(store=store)
    page = client.get(order.get_tracking_url()).content.decode()
    (brand_style,) = re.findall(r"<style nonce=[^>]*>(.*?)</style>", page, re.S)
    assert brand_style.count("{") == 1 and brand_style.count("}") == 1  # only `:root { … }`
    assert "display:" not in brand_style and ";" not in brand_style.split("--font:")[1].rstrip("; }")
    assert "--brand: #1f2937;" in brand_style
    assert '<footer class="site-footer">' in page and "<script>" not in page.split("</head>")[0]
    assert 'src="javascript:' not in page

"""Charts draw in every language: SVG coordinates are machine values, never written with a decimal comma
or a thousands separator, whatever the merchant's browser asks for."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
SVG_NUMBERS = re.compile(r"<svg\b.*?</svg>", re.S)
ATTRIBUTES = re.compile(r'\b(x|y|width|height|x1|x2|y1|y2|cx|cy|r)="([^"]*)"')


@pytest.mark.parametrize("language", ["en", "ru", "it", "ko", "kk"])
def test_every_chart_on_the_overview_has_plain_numeric_coordinates(client, manager, language):
    store = manager.store
    now = timezone.now()
    for days in range(0, 20, 3):  # orders with fractional chart positions on several days
        OrderFactory(store=store, placed_at=now - timedelta(days=days), total=Decimal("1234.56"))
    ShipmentFactory(store=store, order__store=store)
    page = client.get("/dashboard/", headers={"Accept-Language": language}).content.decode()
    svgs = SVG_NUMBERS.findall(page)
    assert len(svgs) >= 3
    values = [value for svg in svgs for _name, value in ATTRIBUTES.findall(svg)]
    assert values and all(NUMERIC.match(value) for value in values), [v for v in values if not NUMERIC.match(v)]

"""The Overview's "need attention now" figure and its shipments-by-status chart count the same shipments:
those of the period, by their status now, with the ones the delivery watch flagged as stuck shown as their
own segment. The figure is the sum of the chart's attention segments; older trouble is counted apart."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.shipments.models import Shipment, ShipmentStatus
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db

TROUBLED = {ShipmentStatus.EXCEPTION, ShipmentStatus.ATTEMPT_FAILED, ShipmentStatus.RETURNED}


@pytest.fixture
def owner(client):
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    return membership


def shipments_in_every_status(store):
    """One shipment in each normalised status, two of them stuck (flagged by the delivery watch while in
    transit and pending), one stuck *and* in exception, and one in exception from before the period."""
    now = timezone.now()
    for status in ShipmentStatus.values:
        ShipmentFactory(store=store, status=status)
    for status in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.PENDING):
        ShipmentFactory(store=store, status=status, delay_flagged_at=now - timedelta(days=1))
    ShipmentFactory(store=store, status=ShipmentStatus.EXCEPTION, delay_flagged_at=now - timedelta(hours=2))
    old = ShipmentFactory(store=store, status=ShipmentStatus.EXCEPTION)
    Shipment.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=45))


def attention_segments(overview) -> dict[str, int]:
    return {s.key: s.value for s in overview.shipment_segments if s.key in overview.attention_keys}


def test_the_attention_figure_is_the_sum_of_the_charts_attention_segments(client, owner):
    # given shipments in every status, some stuck, one troubled from before the 30-day period
    shipments_in_every_status(owner.store)
    # when the owner opens the overview
    response = client.get(reverse("dashboard:home"))
    home = response.context["home"]
    overview = home.overview
    # then the chart shows the period's 14 shipments, each once
    assert overview.shipments == len(ShipmentStatus.values) + 3
    assert sum(s.value for s in overview.shipment_segments) == overview.shipments
    # and its attention segments are the troubled statuses and the stuck ones in other statuses
    segments = attention_segments(overview)
    assert segments == {
        ShipmentStatus.EXCEPTION: 2,  # one of them also flagged: counted once, as an exception
        ShipmentStatus.ATTEMPT_FAILED: 1,
        ShipmentStatus.RETURNED: 1,
        "stuck": 2,
    }
    # and the figure is their sum, with the same breakdown the page spells out
    assert overview.needing_attention == home.attention["total"] == sum(segments.values()) == 6
    assert (home.attention["troubled"], home.attention["stuck"]) == (4, 2)
    # and the exception from before the period is counted apart, not in the figure
    assert home.attention["older"] == 1
    page = response.content.decode()
    assert "<strong>6</strong> of these need attention now" in page
    assert "4 exception, failed attempt or returned; 2 stuck" in page
    assert "1 more from before this period" in page
    assert page.count('data-attention="1"') == 4
    # and the list behind "see them" holds exactly those, the older one included
    listed = client.get(reverse("dashboard:shipment_list"), {"attention": "1"}).context["page"].items
    assert len(listed) == home.attention["total"] + home.attention["older"]


def test_a_shorter_period_counts_the_same_set_in_the_figure_and_the_chart(client, owner):
    # given a stuck parcel and an exception created ten days ago, and a returned one today
    now = timezone.now()
    stuck = ShipmentFactory(store=owner.store, status=ShipmentStatus.IN_TRANSIT, delay_flagged_at=now)
    troubled = ShipmentFactory(store=owner.store, status=ShipmentStatus.EXCEPTION)
    Shipment.objects.filter(pk__in=[stuck.pk, troubled.pk]).update(created_at=now - timedelta(days=10))
    ShipmentFactory(store=owner.store, status=ShipmentStatus.RETURNED)
    # when the owner looks at the last 7 days, then both the chart and the figure see only today's
    home = client.get(reverse("dashboard:home"), {"days": 7}).context["home"]
    assert attention_segments(home.overview) == {ShipmentStatus.RETURNED: 1}
    assert (home.overview.needing_attention, home.attention["older"]) == (1, 2)
    # and over 30 days both see all three
    home = client.get(reverse("dashboard:home"), {"days": 30}).context["home"]
    assert attention_segments(home.overview) == {ShipmentStatus.EXCEPTION: 1, ShipmentStatus.RETURNED: 1, "stuck": 1}
    assert (home.overview.needing_attention, home.attention["older"]) == (3, 0)


def test_without_trouble_the_figure_is_nought_and_no_segment_is_marked(client, owner):
    ShipmentFactory(store=owner.store, status=ShipmentStatus.DELIVERED)
    response = client.get(reverse("dashboard:home"))
    home = response.context["home"]
    assert attention_segments(home.overview) == {}
    assert home.attention == {"troubled": 0, "stuck": 0, "total": 0, "older": 0}
    assert 'data-attention="1"' not in response.content.decode()

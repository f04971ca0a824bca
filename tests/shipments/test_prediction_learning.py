"""The nightly relearning and the predictions it feeds: stored per store, idempotent, set-based, and used when a
shipment is created or moves on without a carrier estimate."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.schedules import SCHEDULES
from apps.shipments import tasks
from apps.shipments.inputs import EventIn, ShipmentIn
from apps.shipments.learning import prediction_fields, shipments_predict, transit_relearn
from apps.shipments.models import Shipment, ShipmentStatus, TransitAccuracy, TransitStatistic
from apps.shipments.services import shipment_record_events, shipment_upsert
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory
from tests.shipments.prediction_data import NOW, known_transit_history
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db

SPREAD_BOUND_DAYS = 0.75  # as in test_prediction.py: 5 ± 1 days has a median error of 2/3 of a day


@pytest.fixture
def store():
    store = StoreFactory(time_zone="Europe/Rome")
    known_transit_history(store, parcels=60)
    return store


def statistics_of(store) -> list[tuple]:
    return list(
        TransitStatistic.objects.filter(store=store)
        .order_by("pk")
        .values_list(
            "pk",
            "carrier",
            "level",
            "origin_country",
            "destination_country",
            "destination_region",
            "samples",
            "days",
            "typical_days",
            "within_a_day",
            "delivery_weekdays",
        )
    )


def open_shipment(store, *, shipped_at, carrier="dhl", **fields):
    """A parcel on its way to Milan (postcodes 20…), with no carrier estimate unless `fields` give one."""
    order = OrderFactory(store=store, customer=None, shipping_country="IT", shipping_postcode="20144")
    fields = {"estimated_delivery": None, "last_event_at": None, **fields}
    return ShipmentFactory(order=order, carrier=carrier, in_transit=True, shipped_at=shipped_at, **fields)


def test_relearning_stores_each_carriers_transit_time_and_its_accuracy_on_held_out_parcels(store):
    # given another store with parcels of its own
    other = StoreFactory()
    known_transit_history(other, parcels=25)
    # when the first store relearns
    result = transit_relearn(store=store, now=NOW)
    # then DHL Germany → Milan is 3 days, every time; UPS 5 days, within a day every time
    dhl = TransitStatistic.objects.get(store=store, carrier="dhl", level="route")
    ups = TransitStatistic.objects.get(store=store, carrier="ups", level="route")
    assert (dhl.origin_country, dhl.destination_country, dhl.destination_region) == ("DE", "IT", "20")
    assert (dhl.typical_days, dhl.within_a_day, dhl.samples) == (3, 1.0, 60)  # the other store's are not in
    assert (ups.typical_days, ups.within_a_day) == (5, 1.0)
    # and on the parcels it had not learned from, DHL was exact and UPS within the stated bound
    accuracy = {row.carrier: row for row in TransitAccuracy.objects.filter(store=store)}
    assert set(accuracy) == {"", "dhl", "ups"}
    assert accuracy["dhl"].mean_error_days == 0
    assert accuracy["ups"].mean_error_days <= SPREAD_BOUND_DAYS
    assert accuracy[""].tested == accuracy[""].predicted == 24 and accuracy[""].deliveries == 120
    assert accuracy["dhl"].carrier_error_days == 1.0  # DHL's own estimates were a day early
    assert result.deliveries == 120
    # and nothing of the other store was learned or touched
    assert not TransitStatistic.objects.filter(store=other).exists()


def test_a_new_shipment_without_a_carrier_estimate_gets_our_date_and_one_with_an_estimate_does_not(store):
    transit_relearn(store=store, now=NOW)
    with time_machine.travel(NOW, tick=False):
        order = OrderFactory(store=store, customer=None, shipping_country="IT", shipping_postcode="20144")
        ours, _ = shipment_upsert(order=order, data=ShipmentIn(tracking_number="JD0001", carrier="dhl", shipped_at=NOW))
        theirs, _ = shipment_upsert(
            order=order,
            data=ShipmentIn(
                tracking_number="JD0002", carrier="dhl", shipped_at=NOW, estimated_delivery=NOW.date() + timedelta(9)
            ),
        )
        history = OrderFactory(store=store, customer=None, is_history=True)
        past, _ = shipment_upsert(order=history, data=ShipmentIn(tracking_number="JD0003", carrier="dhl"))
    ours.refresh_from_db()
    # the parcel has no scan yet: it counts as leaving from Germany, where DHL's parcels start
    assert (ours.predicted_delivery, ours.prediction_basis, ours.prediction_confidence) == (
        NOW.date() + timedelta(days=3),
        "route",
        1.0,
    )
    assert Shipment.objects.get(pk=theirs.pk).predicted_delivery is None
    assert Shipment.objects.get(pk=past.pk).predicted_delivery is None


def test_a_status_change_predicts_again_for_one_query_and_only_without_a_carrier_estimate(store):
    transit_relearn(store=store, now=NOW)
    shipped = NOW - timedelta(days=1)
    without = open_shipment(store, shipped_at=shipped, status=ShipmentStatus.INFO_RECEIVED)
    with_estimate = open_shipment(
        store, shipped_at=shipped, status=ShipmentStatus.INFO_RECEIVED, estimated_delivery=NOW.date()
    )
    scan = EventIn(
        occurred_at=NOW - timedelta(hours=1),
        status=ShipmentStatus.IN_TRANSIT,
        raw_status="InTransit",
        source="aftership",
        country="DE",
        external_id="scan-1",
    )
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as predicted:
            shipment_record_events(shipment=without, incoming=[scan])
        with CaptureQueriesContext(connection) as not_predicted:
            shipment_record_events(shipment=with_estimate, incoming=[scan])
        # the same batch again changes no status: no prediction, no query for it
        with CaptureQueriesContext(connection) as replayed:
            shipment_record_events(shipment=without, incoming=[scan])
    assert len(predicted) == len(not_predicted) + 1
    assert len(replayed) < len(predicted)
    without.refresh_from_db()
    assert without.predicted_delivery == shipped.date() + timedelta(days=3)
    assert Shipment.objects.get(pk=with_estimate.pk).predicted_delivery is None


def test_a_prediction_reads_its_route_in_one_query(store, django_assert_num_queries):
    transit_relearn(store=store, now=NOW)
    shipment = open_shipment(store, shipped_at=NOW)
    route = {"store_id": store.pk, "order_id": shipment.order_id, "shipped_at": NOW, "now": NOW}
    with django_assert_num_queries(1):
        fields = prediction_fields(carrier="dhl", **route)
    assert fields["predicted_delivery"] == NOW.date() + timedelta(days=3)
    with django_assert_num_queries(0):  # no carrier: nothing to read
        fields = prediction_fields(carrier="", **route)
    assert fields["predicted_delivery"] is None


def test_the_relearning_task_run_twice_leaves_the_same_rows_and_predictions(store):
    fresh = open_shipment(store, shipped_at=NOW - timedelta(hours=20))
    with time_machine.travel(NOW, tick=False):
        tasks.transit_relearn_task(store.pk)
        first_rows = statistics_of(store)
        first_accuracy = list(TransitAccuracy.objects.filter(store=store).values_list("pk", "carrier", "tested"))
        first_prediction = Shipment.objects.get(pk=fresh.pk).predicted_delivery
        tasks.transit_relearn_task(store.pk)
        again = transit_relearn(store=store)
    assert first_rows and statistics_of(store) == first_rows  # same rows, same ids: upserted, not duplicated
    assert list(TransitAccuracy.objects.filter(store=store).values_list("pk", "carrier", "tested")) == first_accuracy
    assert first_prediction == NOW.date() - timedelta(days=1) + timedelta(days=3)
    assert Shipment.objects.get(pk=fresh.pk).predicted_delivery == first_prediction
    assert again.predictions_changed == 0


def test_a_relearning_forgets_what_the_last_year_no_longer_shows(store):
    transit_relearn(store=store, now=NOW)
    result = transit_relearn(store=store, now=NOW + timedelta(days=400))
    assert result.deliveries == 0
    assert not TransitStatistic.objects.filter(store=store).exists()
    assert list(TransitAccuracy.objects.filter(store=store).values_list("carrier", "deliveries")) == [("", 0)]


def test_the_nightly_refresh_moves_a_late_parcel_on_and_drops_a_date_it_cannot_stand_behind(store):
    transit_relearn(store=store, now=NOW)
    # a UPS parcel 5 days on its way: like the 5- and 6-day parcels, it comes today; a DHL one: no parcel was
    # ever that slow
    slow_ups = open_shipment(store, carrier="ups", shipped_at=NOW - timedelta(days=5))
    late_dhl = open_shipment(store, shipped_at=NOW - timedelta(days=5))
    Shipment.objects.filter(pk=late_dhl.pk).update(predicted_delivery=NOW.date() - timedelta(days=2))
    changed = shipments_predict(store=store, now=NOW)
    assert changed == 2
    assert Shipment.objects.get(pk=slow_ups.pk).predicted_delivery == NOW.date()
    assert Shipment.objects.get(pk=late_dhl.pk).predicted_delivery is None
    assert shipments_predict(store=store, now=NOW) == 0


def test_relearning_costs_the_same_queries_for_twice_the_deliveries():
    small, large = StoreFactory(), StoreFactory()
    known_transit_history(small, parcels=30)
    known_transit_history(large, parcels=60)
    with CaptureQueriesContext(connection) as for_small:
        transit_relearn(store=small, now=NOW)
    with CaptureQueriesContext(connection) as for_large:
        transit_relearn(store=large, now=NOW)
    assert len(for_small) == len(for_large) <= 12


def test_every_store_relearns_nightly_in_a_task_of_its_own(store, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.transit_relearn_task, "delay", queued.append)
    other = StoreFactory()
    assert any(s.task == "apps.shipments.tasks.transit_relearn_all_task" and s.crontab for s in SCHEDULES)
    assert tasks.transit_relearn_all_task() == len(queued)
    assert {store.pk, other.pk} <= set(queued)
    assert tasks.transit_relearn_task(10**9) == 0  # a store deleted since: nothing to do

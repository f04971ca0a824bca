"""Two relearnings of one store at once (a retried task beside beat's): the same rows, no error, no deadlock."""

import threading

import pytest
from django.db import connection

from apps.shipments.learning import transit_relearn
from apps.shipments.models import TransitAccuracy, TransitStatistic
from tests.shipments.prediction_data import NOW, known_transit_history
from tests.stores.factories import StoreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def rows(model, store, *fields):
    return sorted(model.objects.filter(store=store).values_list(*fields))


def test_two_relearnings_at_once_leave_what_one_leaves():
    # given a store with known transit times, relearned once alone
    store = StoreFactory()
    known_transit_history(store, parcels=60)
    transit_relearn(store=store, now=NOW)
    alone = rows(TransitStatistic, store, "carrier", "level", "destination_region", "samples", "typical_days")
    accuracy = rows(TransitAccuracy, store, "carrier", "tested", "predicted", "mean_error_days")

    # when two workers relearn it at the same moment
    start, errors = threading.Barrier(2), []

    def relearn():
        try:
            start.wait(10)
            transit_relearn(store=store, now=NOW)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=relearn) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # then neither failed and the rows are those of one run: none doubled, none lost
    assert errors == []
    assert rows(TransitStatistic, store, "carrier", "level", "destination_region", "samples", "typical_days") == alone
    assert rows(TransitAccuracy, store, "carrier", "tested", "predicted", "mean_error_days") == accuracy

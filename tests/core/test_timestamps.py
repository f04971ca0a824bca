"""Timestamps come back from PostgreSQL as Django's own loader gave them (aware, in datetime.UTC, to the
microsecond), read by psycopg's loader (apps/core/timestamps.py)."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Max

from apps.core.timestamps import PSYCOPG_LOADER, TIMESTAMPTZ_OID, UtcTimestamptzLoader
from apps.customers.models import Customer
from tests.customers.factories import CustomerFactory
from tests.stores.factories import StoreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

MOMENTS = [
    datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Rome")),  # the night clocks change
    datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Seoul")),
    datetime(1999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=UTC),
]


def test_saved_moments_come_back_the_same_instant_in_utc():
    store = StoreFactory()
    # given customers whose last order is stored from aware datetimes in several zones
    for index, moment in enumerate(MOMENTS):
        CustomerFactory(store=store, email=f"t{index}@example.com", last_order_at=moment)
    # when they are read back, through the ORM and through an aggregate
    loaded = list(Customer.objects.filter(store=store).order_by("email").values_list("last_order_at", flat=True))
    newest = Customer.objects.filter(store=store).aggregate(newest=Max("last_order_at"))["newest"]
    # then each is the same instant, in datetime.UTC, to the microsecond
    assert loaded == MOMENTS
    assert all(value.tzinfo is UTC for value in [*loaded, newest])
    assert newest == max(MOMENTS)
    assert [value.microsecond for value in loaded] == [moment.microsecond for moment in MOMENTS]


def test_the_connection_reads_timestamps_with_psycopgs_loader_and_django_keeps_it():
    # given a connection Django opened
    connection.ensure_connection()
    # then its timestamptz loader is the one registered here, and each cursor gets psycopg's loader from it
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader.format) is (
        UtcTimestamptzLoader
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)])
        (value,) = cursor.fetchone()
        loader = cursor.cursor._tx.get_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader.format)
    assert value == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC) and value.tzinfo is UTC
    assert type(loader) is PSYCOPG_LOADER

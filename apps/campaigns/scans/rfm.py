"""Nightly RFM scoring of each store's customers (the SQL lives with the customers it scores)."""

from datetime import datetime

from apps.customers.models import Customer
from apps.customers.rfm import rfm_score_store
from apps.stores.models import Store

from .base import Scan, ScanResult, register


def scan(store: Store, now: datetime) -> ScanResult:
    rfm_score_store(store=store, now=now)
    return ScanResult(candidates=Customer.objects.filter(store=store, orders_count__gt=0).count())


register(Scan("rfm", scan, daily=True, local_hour=2))

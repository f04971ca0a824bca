"""Keeping each store's daily figures current, incrementally.

Each run (beat, every REFRESH_EVERY_MINUTES) recounts, per store, the days from the one its watermark falls
in through today, plus every older day of the window that a row modified since the watermark belongs to
(`days_touched`). The watermark trails the run's start by WATERMARK_OVERLAP, longer than any transaction of
ours lasts, so a row written by a transaction that commits after the run read is still caught next time.

Once a day (FULL_EVERY) a store's whole window is recounted. That repairs what no watermark sees: a row
deleted, or an NPS answer given again (it moves to today; the day it left keeps counting it until then).
A store that changes its time zone is recounted at once (its days are different days)."""

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.customers.selectors import customer_counts
from apps.shipments.selectors import attention_counts
from apps.stores.models import Store

from .figures import days_count, days_touched
from .models import RollupState, StoreDay

logger = logging.getLogger(__name__)

REFRESH_EVERY_MINUTES = 5
WINDOW_DAYS = 91  # the longest period the home offers (90 days back) and today
FULL_EVERY = timedelta(hours=24)
WATERMARK_OVERLAP = timedelta(minutes=15)


def window_first_day(*, store: Store, now: datetime) -> date:
    return timezone.localtime(now, store.tz).date() - timedelta(days=WINDOW_DAYS - 1)


def store_rollups_refresh(*, store: Store, now: datetime | None = None, full: bool = False) -> int:
    """Recount the store's days that may have changed; returns how many days were counted."""
    now = now or timezone.now()
    today = timezone.localtime(now, store.tz).date()
    first = window_first_day(store=store, now=now)
    state = RollupState.objects.filter(store=store).first()
    full = full or state is None or state.time_zone != store.time_zone or state.full_at <= now - FULL_EVERY
    if full:
        days = {first + timedelta(days=n) for n in range(WINDOW_DAYS)}
    else:
        since = timezone.localtime(state.watermark, store.tz).date()
        days = {max(since, first) + timedelta(days=n) for n in range((today - max(since, first)).days + 1)}
        days |= {day for day in days_touched(store=store, since=state.watermark) if first <= day <= today}
    counted = days_count(store=store, days=days)
    current = {"customers": customer_counts(store=store), "attention": attention_counts(store=store)}
    with transaction.atomic():
        StoreDay.objects.bulk_create(
            [StoreDay(store=store, day=day, figures=figures, computed_at=now) for day, figures in counted.items()],
            update_conflicts=True,
            unique_fields=["store", "day"],
            update_fields=["figures", "computed_at"],
        )
        StoreDay.objects.filter(store=store, day__lt=first).delete()
        RollupState.objects.update_or_create(
            store=store,
            defaults={
                "watermark": now - WATERMARK_OVERLAP,
                "computed_at": now,
                "time_zone": store.time_zone,
                "current": current,
                **({"full_at": now} if full else {}),
            },
            create_defaults={
                "watermark": now - WATERMARK_OVERLAP,
                "computed_at": now,
                "full_at": now,
                "time_zone": store.time_zone,
                "current": current,
            },
        )
    return len(days)


def rollups_refresh_all(*, now: datetime | None = None) -> int:
    """Refresh every store's figures, one store at a time (a store that fails is logged, the others go on);
    returns how many stores were refreshed."""
    refreshed = 0
    for store in Store.objects.order_by("pk").iterator(chunk_size=200):
        try:
            store_rollups_refresh(store=store, now=now)
        except Exception:
            logger.exception("rollups: store %s not refreshed", store.pk)
            continue
        refreshed += 1
    return refreshed

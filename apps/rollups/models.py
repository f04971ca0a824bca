"""Per-store, per-day figures the dashboard home reads instead of aggregating millions of rows per view.

They are derived data: `refresh.py` rebuilds any of them from the source rows at any time, so losing or
deleting them loses nothing."""

from django.db import models


class StoreDay(models.Model):
    """One local day (in the store's time zone) of one store: orders, shipments, emails, carts, NPS answers
    and buyer-page events of that day, as `figures.py` counts them."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="rollup_store_day_unique")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"


class RollupState(models.Model):
    """How far a store's days are rolled up: rows modified after `watermark` may not be counted yet."""

    store = models.OneToOneField("stores.Store", on_delete=models.CASCADE, primary_key=True, related_name="+")
    watermark = models.DateTimeField()
    computed_at = models.DateTimeField()  # when the figures were last refreshed: the "as of" the home shows
    full_at = models.DateTimeField()  # last rebuild of the whole window
    time_zone = models.CharField(max_length=64)  # the days' zone: a store that changes it is rebuilt
    # Figures about now rather than a day (customers, shipments needing attention), taken with the days so the
    # home's figures agree with each other.
    current = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.store_id} @ {self.computed_at:%Y-%m-%d %H:%M}"

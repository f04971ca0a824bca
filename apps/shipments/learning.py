"""Writes and reads around the delivery-date predictor (apps/shipments/prediction.py does the calculation).

- `transit_relearn`: the nightly relearning of a store: its deliveries of the last year are learned into
  TransitStatistic rows, the accuracy test into TransitAccuracy rows, then the prediction of every parcel
  still travelling without a carrier estimate is brought up to date. Running it twice, or twice at once,
  leaves the same rows.
- `prediction_fields`: a parcel's prediction when it is created or changes status, in one query.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from apps.core.events import announce_after_commit
from apps.orders.events import orders_changed_in_bulk
from apps.orders.models import Order
from apps.stores.models import Store

from .models import Shipment, ShipmentStatus, TrackingEvent, TransitAccuracy, TransitStatistic
from .prediction import (
    CARRIER,
    Accuracy,
    Delivery,
    Prediction,
    Route,
    TransitModel,
    backtest,
    learn,
    postal_region,
    usable,
)

LEARNING_WINDOW = timedelta(days=365)  # carriers change their networks: last year's parcels say most
# Parcels that get (and keep) a predicted day: on their way, with no carrier estimate. A parcel with a problem
# or waiting at a pickup point shows no delivery day at all (apps/tracking/templates/tracking/_shipment.html).
PREDICTED_STATUSES = (
    ShipmentStatus.PENDING,
    ShipmentStatus.INFO_RECEIVED,
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.OUT_FOR_DELIVERY,
)
REFRESH_SINCE = timedelta(days=90)  # older parcels still "travelling" are stuck: no use predicting them
BATCH = 2000
NO_PREDICTION = {"predicted_delivery": None, "prediction_confidence": None, "prediction_basis": ""}


def _first_scan_country() -> Subquery:
    """The country of a shipment's earliest scan that names one: where the parcel set off."""
    return Subquery(
        TrackingEvent.objects.filter(shipment=OuterRef("pk"))
        .exclude(country="")
        .order_by("occurred_at")
        .values("country")[:1]
    )


def store_deliveries(*, store: Store, now: datetime) -> list[Delivery]:
    """The store's parcels delivered in the last year that can teach a transit time."""
    zone = store.tz
    rows = (
        Shipment.objects.filter(
            store=store,
            status=ShipmentStatus.DELIVERED,
            delivered_at__gt=now - LEARNING_WINDOW,
            delivered_at__lte=now,
            shipped_at__isnull=False,
        )
        .exclude(carrier="")
        .annotate(origin=_first_scan_country())
        .values_list(
            "carrier",
            "origin",
            "order__shipping_country",
            "order__shipping_postcode",
            "shipped_at",
            "delivered_at",
            "estimated_delivery",
        )
        .order_by()
    )
    deliveries = []
    for carrier, origin, country, postcode, shipped_at, delivered_at, estimate in rows.iterator(chunk_size=BATCH):
        if shipped_at is None or delivered_at is None:  # excluded by the query; the types cannot know
            continue
        delivery = Delivery(
            route=Route(carrier, origin or "", country, postal_region(country, postcode)),
            shipped_at=shipped_at,
            delivered_at=delivered_at,
            shipped_on=shipped_at.astimezone(zone).date(),
            delivered_on=delivered_at.astimezone(zone).date(),
            carrier_estimate=estimate,
        )
        if usable(delivery):
            deliveries.append(delivery)
    return deliveries


@dataclass(frozen=True)
class Relearned:
    deliveries: int
    statistics: int
    accuracy: dict[str, Accuracy]
    predictions_changed: int


def transit_relearn(*, store: Store, now: datetime | None = None) -> Relearned:
    now = now or timezone.now()
    deliveries = store_deliveries(store=store, now=now)
    model = learn(deliveries)
    statistics = model.statistics()
    accuracy = backtest(deliveries)
    _store_learned(store, statistics, accuracy)
    changed = shipments_predict(store=store, model=model, now=now)
    return Relearned(len(deliveries), len(statistics), accuracy, changed)


@transaction.atomic
def _store_learned(store: Store, statistics: list[dict], accuracy: dict[str, Accuracy]) -> None:
    """Upsert what was learned and drop what no longer holds. Rows go in key order, so two runs at once take
    their row locks in the same order and never deadlock; the second leaves what the first wrote."""
    started = timezone.now()
    TransitStatistic.objects.bulk_create(
        [TransitStatistic(store=store, **row) for row in statistics],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["store", "carrier", "level", "origin_country", "destination_country", "destination_region"],
        update_fields=["samples", "days", "typical_days", "within_a_day", "delivery_weekdays", "modified_at"],
    )
    TransitStatistic.objects.filter(store=store, modified_at__lt=started).delete()
    TransitAccuracy.objects.bulk_create(
        [
            TransitAccuracy(
                store=store,
                carrier=result.carrier,
                deliveries=result.deliveries,
                learned_from=result.learned_from,
                tested=result.tested,
                predicted=result.predicted,
                mean_error_days=result.mean_error_days,
                within_a_day=result.within_a_day_share,
                carrier_estimates=result.carrier_estimates,
                carrier_error_days=result.carrier_mean_error_days,
                held_out_since=result.held_out_since,
            )
            for _, result in sorted(accuracy.items())
        ],
        update_conflicts=True,
        unique_fields=["store", "carrier"],
        update_fields=[
            "deliveries",
            "learned_from",
            "tested",
            "predicted",
            "mean_error_days",
            "within_a_day",
            "carrier_estimates",
            "carrier_error_days",
            "held_out_since",
            "modified_at",
        ],
    )
    TransitAccuracy.objects.filter(store=store, modified_at__lt=started).delete()


def _as_fields(prediction: Prediction | None) -> dict:
    if prediction is None:
        return dict(NO_PREDICTION)
    return {
        "predicted_delivery": prediction.day,
        "prediction_confidence": prediction.confidence,
        "prediction_basis": prediction.basis,
    }


def shipments_predict(*, store: Store, model: TransitModel | None = None, now: datetime | None = None) -> int:
    """Bring the prediction of the store's travelling parcels without a carrier estimate up to date (a day
    later, a parcel still on its way is predicted from the slower past parcels). Returns how many changed."""
    now = now or timezone.now()
    if model is None:
        model = TransitModel.from_statistics(TransitStatistic.objects.filter(store=store))
    zone = store.tz
    today = now.astimezone(zone).date()
    open_shipments = (
        Shipment.objects.filter(
            store=store,
            status__in=PREDICTED_STATUSES,
            estimated_delivery__isnull=True,
            is_history=False,
            shipped_at__gt=now - REFRESH_SINCE,
        )
        .exclude(carrier="")
        .annotate(origin=_first_scan_country())
        .values_list(
            "pk",
            "carrier",
            "origin",
            "order__shipping_country",
            "order__shipping_postcode",
            "shipped_at",
            "predicted_delivery",
            "prediction_confidence",
            "prediction_basis",
        )
        .order_by()
    )
    changed = []
    for pk, carrier, origin, country, postcode, shipped_at, *before in open_shipments.iterator(chunk_size=BATCH):
        if shipped_at is None:  # excluded by the query; the types cannot know
            continue
        route = Route(carrier, origin or "", country, postal_region(country, postcode))
        fields = _as_fields(model.predict(route, shipped_at.astimezone(zone).date(), today=today))
        if list(fields.values()) != before:
            changed.append(Shipment(pk=pk, **fields))
    # Only the prediction columns: a carrier event recorded meanwhile keeps its status and times.
    Shipment.objects.bulk_update(changed, list(NO_PREDICTION), batch_size=BATCH)
    # The tracking pages show the predicted day, and bulk writes send no model signals.
    for start in range(0, len(changed), BATCH):
        ids = [shipment.pk for shipment in changed[start : start + BATCH]]
        order_ids = list(Shipment.objects.filter(pk__in=ids).values_list("order_id", flat=True))
        announce_after_commit(orders_changed_in_bulk, Shipment, order_ids=order_ids)
    return len(changed)


def prediction_fields(
    *, store_id: int, order_id: int, carrier: str, shipped_at: datetime | None, origin: str = "", now=None
) -> dict:
    """The prediction columns of a shipment the carrier gives no delivery day for, in one query: the route's
    learned rows, with the order's address and the store's time zone read alongside."""
    if not carrier or shipped_at is None:
        return dict(NO_PREDICTION)
    order = Order.objects.filter(pk=order_id)
    rows = list(
        TransitStatistic.objects.filter(store_id=store_id, carrier=carrier)
        .filter(Q(level=CARRIER) | Q(destination_country=Subquery(order.values("shipping_country")[:1])))
        .annotate(
            to_country=Subquery(order.values("shipping_country")[:1]),
            to_postcode=Subquery(order.values("shipping_postcode")[:1]),
            time_zone=Subquery(Store.objects.filter(pk=store_id).values("time_zone")[:1]),
        )
    )
    if not rows:
        return dict(NO_PREDICTION)
    first = rows[0]
    zone = Store(time_zone=first.time_zone).tz
    route = Route(carrier, origin, first.to_country, postal_region(first.to_country, first.to_postcode))
    today = (now or timezone.now()).astimezone(zone).date()
    prediction = TransitModel.from_statistics(rows).predict(route, shipped_at.astimezone(zone).date(), today=today)
    return _as_fields(prediction)

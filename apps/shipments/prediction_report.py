"""What the merchant reads about the delivery-date predictor: its accuracy and the routes it knows (reads)."""

from dataclasses import dataclass

from apps.stores.models import Store

from .carriers import CARRIERS
from .models import TransitAccuracy, TransitLevel, TransitStatistic
from .prediction import ALL_WEEK, MIN_SAMPLES

ROUTES_SHOWN = 25


@dataclass(frozen=True)
class CarrierAccuracy:
    row: TransitAccuracy
    name: str
    predicts: bool  # has enough deliveries for at least its carrier-wide statistic
    needed: int  # deliveries a carrier-wide statistic needs

    @property
    def coverage(self) -> float | None:
        return self.row.predicted / self.row.tested if self.row.tested else None


@dataclass(frozen=True)
class PredictionReport:
    overall: TransitAccuracy | None  # None: never learned
    carriers: list[CarrierAccuracy]
    routes: list[TransitStatistic]
    routes_total: int


def carrier_label(code: str) -> str:
    carrier = CARRIERS.get(code)
    return carrier.name if carrier else code


def weekdays_label(weekdays: str, names) -> list[str]:
    """The delivery week as day names (`names`: Monday first); empty for every day of the week."""
    return [] if weekdays == ALL_WEEK else [str(names[int(day)]) for day in weekdays]


def prediction_report(*, store: Store) -> PredictionReport:
    """Three queries: the accuracy rows, the carriers that can predict, and the best-known routes."""
    accuracy = list(TransitAccuracy.objects.filter(store=store))
    overall = next((row for row in accuracy if row.carrier == ""), None)
    predicting = set(
        TransitStatistic.objects.filter(store=store, level=TransitLevel.CARRIER).values_list("carrier", flat=True)
    )
    carriers = sorted(
        (
            CarrierAccuracy(
                row, carrier_label(row.carrier), row.carrier in predicting, MIN_SAMPLES[TransitLevel.CARRIER]
            )
            for row in accuracy
            if row.carrier
        ),
        key=lambda item: (-item.row.deliveries, item.name),
    )
    routes = TransitStatistic.objects.filter(store=store).exclude(level=TransitLevel.CARRIER)
    shown = list(routes.order_by("-samples", "carrier", "destination_country", "destination_region")[:ROUTES_SHOWN])
    total = len(shown) if len(shown) < ROUTES_SHOWN else routes.count()
    return PredictionReport(overall, carriers, shown, total)

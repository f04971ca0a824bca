"""Delivery dates we predict, on the demo data: the nightly relearning of the demo store (wall time, SQL
statements), then each carrier's accuracy on its held-out parcels (the most recent fifth, predicted from the
parcels delivered before them) beside the carrier's own last estimate, and how many parcels got a date.

The relearning runs in a transaction that is rolled back, so every run starts from the same data. `now` is
the bench's fixed moment, so the learning window and the split are the same on every run over the same data.
"""

import time

from .report import Section, count, log, seconds


def _days(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _share(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def run(data) -> list[Section]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from apps.shipments.learning import transit_relearn
    from apps.shipments.models import TransitStatistic
    from apps.shipments.prediction import HOLDOUT_SHARE, MIN_SAMPLES
    from apps.shipments.prediction_report import carrier_label

    log("relearning the demo store's delivery times (rolled back afterwards)")
    with transaction.atomic():
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            result = transit_relearn(store=data.store, now=data.now)
        elapsed = time.perf_counter() - started
        levels = {
            level: TransitStatistic.objects.filter(store=data.store, level=level).count() for level in MIN_SAMPLES
        }
        transaction.set_rollback(True)

    overall = result.accuracy[""]
    learning = Section("8. Delivery dates we predict: relearning the demo store", ["figure"], align_left=True)
    learning.row("deliveries learned from (last 365 days)", count(result.deliveries))
    learning.row("relearning (learn, test, store, predict open parcels)", seconds(elapsed))
    learning.row("SQL statements", count(len(queries)))
    learning.row(
        "statistics stored (route / country / carrier)",
        f"{levels['route']:,} / {levels['country']:,} / {levels['carrier']:,}",
    )
    learning.row("travelling parcels whose predicted day changed", count(result.predictions_changed))
    if overall.held_out_since:
        learning.note(
            f"held-out test: the most recent {HOLDOUT_SHARE:.0%}, {overall.tested:,} parcels shipped since "
            f"{overall.held_out_since:%Y-%m-%d %H:%M} UTC,\npredicted from the {overall.learned_from:,} parcels "
            "delivered before that moment (the table below)."
        )

    accuracy = Section(
        "9. Delivery dates we predict: accuracy on held-out parcels (calendar days)",
        ["deliveries", "tested", "coverage", "our MAE", "within 1 day", "carrier MAE", "carrier n"],
    )
    carriers = sorted((r for code, r in result.accuracy.items() if code), key=lambda r: (-r.deliveries, r.carrier))
    for row in [*carriers, overall]:
        accuracy.row(
            carrier_label(row.carrier) if row.carrier else "all carriers",
            count(row.deliveries),
            count(row.tested),
            _share(row.coverage),
            _days(row.mean_error_days),
            _share(row.within_a_day_share),
            _days(row.carrier_mean_error_days),
            count(row.carrier_estimates),
        )
    accuracy.note(
        "coverage: held-out parcels that got a prediction; MAE: mean absolute error between the predicted and the "
        "actual delivery day.\ncarrier MAE: the carrier's last estimate for the same parcels (carriers revise "
        "theirs on the way)."
    )
    return [learning, accuracy]

"""The delivery-date predictor as the merchant sees it: how far off it was on recent parcels, per carrier."""

from django.shortcuts import render
from django.utils.dates import WEEKDAYS_ABBR

from apps.shipments.prediction import HOLDOUT_SHARE, MIN_SAMPLES
from apps.shipments.prediction_report import carrier_label, prediction_report, weekdays_label

from .access import member_required


@member_required("view_reports")
def delivery_estimates(request):
    report = prediction_report(store=request.store)
    routes = [
        {
            "statistic": statistic,
            "carrier": carrier_label(statistic.carrier),
            "weekdays": weekdays_label(statistic.delivery_weekdays, WEEKDAYS_ABBR),
        }
        for statistic in report.routes
    ]
    context = {
        "report": report,
        "routes": routes,
        "holdout_percent": round(HOLDOUT_SHARE * 100),
        "min_samples": MIN_SAMPLES,
    }
    return render(request, "dashboard/delivery_estimates.html", context)

"""SQL queries per page: the tracking page and every dashboard page that takes no argument, fetched
twice with Django's test Client as the demo owner (working in store `demo`); the second, warm request
is counted with `CaptureQueriesContext`. A page whose count grows with the data shows up here.
"""

import time

from .report import Section, count, log


def dashboard_paths() -> list[tuple[str, str]]:
    """(name, path) of each dashboard URL without parameters, in urls.py order."""
    from django.urls import reverse

    from apps.dashboard import urls

    found = []
    for pattern in urls.urlpatterns:
        if getattr(pattern.pattern, "converters", None) or not pattern.name:
            continue
        found.append((pattern.name, reverse(f"{urls.app_name}:{pattern.name}")))
    return found


def measure(client, path: str) -> tuple[int, int, int, float, float]:
    """(status, queries on the warm request, on the first, first seconds, warm seconds)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as first:
        client.get(path)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as warm:
        response = client.get(path)
    return response.status_code, len(warm), len(first), cold, time.perf_counter() - started


def run(data) -> Section:
    from django.db.models import Max
    from django.test import Client

    from apps.stores.tenancy import SESSION_KEY
    from apps.tracking.models import PageEvent

    from .http import tracking_token

    section = Section(
        "4. SQL queries per page (test Client as the demo owner; warm = second request)",
        ["status", "queries", "1st req queries", "1st req", "warm req"],
    )
    watermark = PageEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    buyer = Client(HTTP_HOST="127.0.0.1")
    merchant = Client(HTTP_HOST="127.0.0.1")
    merchant.force_login(data.owner)
    session = merchant.session
    session[SESSION_KEY] = data.store.pk
    session.save()
    pages = [("tracking page /t/<token>/", buyer, f"/t/{tracking_token(data.store)}/")]
    pages += [(path, merchant, path) for _name, path in dashboard_paths()]
    try:
        for label, client, path in pages:
            try:
                status, queries, first, cold, warm = measure(client, path)
            except Exception as exc:
                section.row(label, f"error: {type(exc).__name__}: {str(exc)[:80]}")
                continue
            log(f"GET {path}: {status}, {queries} queries, {cold:.2f} s then {warm:.2f} s")
            if status == 405:
                continue  # POST-only (e.g. the store switch): not a page
            section.row(label, status, count(queries), count(first), f"{cold * 1000:,.0f} ms", f"{warm * 1000:,.0f} ms")
    finally:
        PageEvent.objects.filter(pk__gt=watermark).delete()
    section.note("Times are single in-process requests (no network, no gunicorn), for orientation only.")
    return section

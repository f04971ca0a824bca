"""SQL queries per page: the tracking page and every dashboard page that takes no argument, fetched
twice with Django's test Client as the demo owner (working in store `demo`); the second, warm request
is counted with `CaptureQueriesContext`. A page whose count grows with the data shows up here.

The tracking page is served from the cache (apps/tracking/page_cache.py), so it gets rows of its own: the
token's first view, a miss (its order changed, e.g. a carrier scan: rendered again) on the page and on its
live part, and the warm hit every other view is.
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


def counted(client, path: str, **headers) -> tuple[int, int, float]:
    """(status, queries, seconds) of one GET."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    return response.status_code, len(queries), time.perf_counter() - started


def tracking_rows(section: Section, client, token: str) -> None:
    """The tracking page's first-view, miss and warm costs (and its live part's), one row each."""
    from django.urls import reverse

    from apps.orders.models import Order
    from apps.tracking.page_cache import forget_token, pages_changed

    order_id = Order.objects.filter(tracking_token=token).values_list("pk", flat=True).get()
    page, live = f"/t/{token}/", reverse("tracking:live", args=[token])
    forget_token(token)  # as if never seen: the first row is a token's first view
    rows = [
        ("tracking page: token's first view (recs as cached)", page),
        ("tracking page: miss (order changed)", page),
        ("tracking page: warm hit", page),
        ("tracking live part: miss (order changed)", live),
        ("tracking live part: warm hit", live),
    ]
    for label, path in rows:
        if "miss" in label:
            pages_changed(order_ids=[order_id])
        status, queries, took = counted(client, path)
        log(f"GET {path} ({label}): {status}, {queries} queries, {took * 1000:.0f} ms")
        section.row(label, status, count(queries), "", "", f"{took * 1000:,.1f} ms")
    etag = client.get(live).get("ETag", "")
    status, queries, took = counted(client, live, **{"If-None-Match": etag})
    section.row("tracking live part: poll, nothing new", status, count(queries), "", "", f"{took * 1000:,.1f} ms")


def run(data) -> Section:
    from django.test import Client
    from django.urls import reverse

    from apps.campaigns.models import Flow
    from apps.stores.tenancy import SESSION_KEY

    from .http import page_views_discard, page_views_watermarks, tracking_token

    section = Section(
        "4. SQL queries per page (test Client as the demo owner; warm = second request)",
        ["status", "queries", "1st req queries", "1st req", "warm req"],
    )
    watermarks = page_views_watermarks()
    buyer = Client(HTTP_HOST="127.0.0.1")
    merchant = Client(HTTP_HOST="127.0.0.1")
    merchant.force_login(data.owner)
    session = merchant.session
    session[SESSION_KEY] = data.store.pk
    session.save()
    pages = [(path, merchant, path) for _name, path in dashboard_paths()]
    # The flow simulator replays each flow over the last 30 days of a million-customer store.
    pages += [
        (f"flow simulator: {flow.kind}", merchant, reverse("dashboard:flow_simulate", args=[flow.pk]))
        for flow in Flow.objects.filter(store=data.store).order_by("kind")
    ]
    try:
        tracking_rows(section, buyer, tracking_token(data.store))
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
        page_views_discard(watermarks)
    section.note("Times are single in-process requests (no network, no gunicorn), for orientation only.")
    section.note("Tracking page target: at most 4 queries on a miss, whatever its parcels and scans; 0 when warm.")
    return section

"""Tracking page throughput: gunicorn (2 sync workers) on 127.0.0.1 and wrk, beside a bare Django view.

The bare view (`/bench/bare/`, only routed when BENCH_BARE_VIEW is on) goes through the same middleware
and the same server, so the ratio says how much of the page's cost is the page itself. The page is measured
warm, as buyers refreshing it meet it: rendered once into the cache before the run (apps/tracking/
page_cache.py), then served from it. Each view counts its blocks in Redis (apps/tracking/page_views.py);
the run's counts are flushed and the rows they made deleted afterwards.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from .report import Section, count, log, seconds

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "var" / "bench" / "gunicorn.log"
WORKERS = 2
WRK = ["wrk", "-t2", "-c16", "-d15s", "--latency"]
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass
class WrkResult:
    requests_per_second: float
    p50: float  # seconds
    p99: float
    requests: int
    non_2xx: int
    socket_errors: str


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _duration(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match:
            return match.group(1)
        if default is None:
            raise ValueError(f"wrk output without {pattern!r}:\n{output}")
        return default

    return WrkResult(
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50=_duration(find(r"^\s+50%\s+(\S+)")),
        p99=_duration(find(r"^\s+99%\s+(\S+)")),
        requests=int(find(r"^\s+(\d+) requests in")),
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        socket_errors=find(r"Socket errors: (.+)$", "none"),
    )


def run_wrk(url: str) -> WrkResult:
    log(f"$ {' '.join(WRK)} {url}")
    output = subprocess.run([*WRK, url], check=True, capture_output=True, text=True, timeout=120).stdout
    return parse_wrk(output)


def fetch(url: str) -> tuple[int, int]:
    """Status and body size of one GET (errors included)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def start_gunicorn(port: int) -> subprocess.Popen:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    options = {
        "--workers": str(WORKERS),
        "--worker-class": "sync",
        "--bind": f"127.0.0.1:{port}",
        "--log-level": "warning",
        "--error-logfile": str(LOG),
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    for option, value in options.items():
        command += [option, value]
    log("$ " + " ".join(command[2:]))
    with open(LOG.with_suffix(".out"), "wb") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=os.environ.copy(), stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )


def wait_ready(process: subprocess.Popen, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {LOG}")
        with suppress(OSError):
            if fetch(url)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s; see {LOG}")


def stop_gunicorn(process: subprocess.Popen) -> None:
    """SIGTERM to the master (it stops its workers), SIGKILL to whatever of ours is left after 20 s."""
    workers = _children(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for pid in workers:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    log("gunicorn stopped")


def tracking_token(store) -> str:
    """A real order's page with a parcel on the road (carrier events, lines, recommendations)."""
    from apps.shipments.models import Shipment, ShipmentStatus

    shipments = Shipment.objects.filter(store=store).order_by("pk")
    token = (
        shipments.filter(status=ShipmentStatus.IN_TRANSIT).values_list("order__tracking_token", flat=True).first()
        or shipments.values_list("order__tracking_token", flat=True).first()
    )
    if not token:
        raise RuntimeError("the demo store has no shipped order")
    return token


def page_views_watermarks() -> tuple[int, int]:
    from django.db.models import Max

    from apps.tracking.models import PageViewCount, PageViewFlush

    return (
        PageViewCount.objects.aggregate(m=Max("pk"))["m"] or 0,
        PageViewFlush.objects.aggregate(m=Max("pk"))["m"] or 0,
    )


def page_views_discard(watermarks: tuple[int, int]) -> int:
    """Flush what the run counted (every minute up to now), then delete the rows that made: a bench leaves the
    store's analytics as it found them. Returns the views the run counted."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.tracking.models import PageViewCount, PageViewFlush
    from apps.tracking.page_views import page_views_flush

    counted = page_views_flush(now=timezone.now() + timedelta(minutes=2))
    PageViewCount.objects.filter(pk__gt=watermarks[0]).delete()
    PageViewFlush.objects.filter(pk__gt=watermarks[1]).delete()
    return counted


def run(data) -> Section:

    section = Section(
        "3. Tracking page throughput (gunicorn 2 sync workers, wrk -t2 -c16 -d15s, 127.0.0.1)",
        ["req/s", "p50", "p99", "requests", "non-2xx", "page size"],
    )
    token = tracking_token(data.store)
    watermarks = page_views_watermarks()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    targets = [("tracking page /t/<token>/", f"{base}/t/{token}/"), ("bare Django view", f"{base}/bench/bare/")]
    process = start_gunicorn(port)
    results: dict[str, WrkResult] = {}
    sizes: dict[str, int] = {}
    try:
        wait_ready(process, targets[1][1])
        for label, url in targets:
            status, size = fetch(url)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}; see {LOG}")
            sizes[label] = size
            for _ in range(20):  # warm both workers (imports, templates, connections) and the page cache
                fetch(url)
        for label, url in targets:
            results[label] = run_wrk(url)
    finally:
        stop_gunicorn(process)
        log(f"discarded {page_views_discard(watermarks):,} block views the run counted")
    for label, result in results.items():
        section.row(
            label,
            f"{result.requests_per_second:,.1f}",
            seconds(result.p50),
            seconds(result.p99),
            count(result.requests),
            count(result.non_2xx),
            f"{sizes[label]:,} B",
        )
        if result.socket_errors != "none":
            section.note(f"{label}: socket errors {result.socket_errors}")
    page, bare = results[targets[0][0]], results[targets[1][0]]
    section.row(
        "ratio page / bare",
        f"{page.requests_per_second / bare.requests_per_second:.1%}",
        f"{page.p50 / bare.p50:.1f}×",
        f"{page.p99 / bare.p99:.1f}×",
    )
    section.note(
        f"DEBUG off, CONN_MAX_AGE default, Redis cache; wrk, gunicorn and PostgreSQL share the {os.cpu_count()} cores."
    )
    section.note(
        "Page served warm from the cache (0 SQL queries; see section 4 for a miss), views counted in Redis; "
        "target: at least 50% of the bare view's req/s."
    )
    return section

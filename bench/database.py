"""The benchmark database: created if missing, migrated, seeded with the demo store once, then reused.

`BENCH_DATABASE_URL` names it (default postgres://postgres@127.0.0.1:5432/afterglow_bench) and
`BENCH_SCALE` the number of demo customers it must hold (default 1,000,000). It is seeded with
`seed_demo --scale N --reset --force` only when the `demo` store has fewer customers than that; the
seed's time is kept in var/bench/seed.json so a later run that reuses the data can still show it.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import environ
import psycopg
from psycopg import sql

from .report import Section, count, log, seconds

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/afterglow_bench"
DEFAULT_SCALE = 1_000_000
SEED_RECORD = ROOT / "var" / "bench" / "seed.json"
# What the issue asks the benchmark data to hold.
TARGETS = {"customers": 1_000_000, "orders": 5_000_000, "carts": 2_000_000}


@dataclass
class BenchData:
    """What the later sections need from the seeded database."""

    store: object  # apps.stores.models.Store (imported after django.setup)
    owner: object  # the demo owner (User)
    now: datetime  # a fixed moment just after the seeded data's newest activity
    counts: dict[str, int]


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def scale() -> int:
    return int(os.environ.get("BENCH_SCALE", DEFAULT_SCALE))


def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it does not exist; True when it was created."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"BENCH_DATABASE_URL must name a PostgreSQL database, not {config['ENGINE']}")
    params = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or "postgres",
        "dbname": "postgres",
        "autocommit": True,
    }
    if config.get("PASSWORD"):
        params["password"] = config["PASSWORD"]
    with psycopg.connect(**params) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if exists:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
        return True


def manage(*args: str, quiet: bool = False) -> None:
    """Run a management command in a child process (same environment), its output on our stderr."""
    command = [sys.executable, "manage.py", *args]
    log("$ " + " ".join(command[1:]))
    subprocess.run(
        command,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL if quiet else sys.stderr,
        stderr=sys.stderr,
    )


def run_seed(wanted: int) -> tuple[float, list[str], list[float]]:
    """`seed_demo --scale N --reset --force` in a child process, its output echoed on our stderr.

    Returns its wall time, its phase lines (how long each took, and where the CPU went: the seed prints
    them), and the machine's load averages at the end, since a busy machine stretches the wall time.
    """
    command = [sys.executable, "manage.py", "seed_demo", "--scale", str(wanted), "--reset", "--force"]
    log("$ " + " ".join(command[1:]))
    started = time.monotonic()
    per_chunk: list[float] = []
    phases: list[str] = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stderr.write(line)
            if " · " not in line:
                continue
            what, took = line.strip().split(" · ", 1)
            if what.startswith("cpu: "):  # where the CPU went, whatever else the machine was doing
                phases.append(what)
            elif ": customers " in what:  # one line per chunk: summed below
                per_chunk.append(float(took.split(" s", 1)[0]))
            else:
                wall, _, rest = took.partition(" (at ")
                used = rest.partition("; ")[2].rstrip(")")  # this phase's CPU, here and in the database
                phases.append(f"{what}: {wall}" + (f" ({used})" if used else ""))
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    if per_chunk:
        phases.insert(0, f"{len(per_chunk)} chunks of customers built and copied: {sum(per_chunk):.1f} s")
    return time.monotonic() - started, phases, [round(value, 2) for value in os.getloadavg()]


def _load_text(load: list[float]) -> str:
    return f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) on {os.cpu_count()} cores"


def demo_counts(store) -> dict[str, int]:
    from apps.customers.models import Customer
    from apps.orders.models import Cart, Order, OrderLine
    from apps.shipments.models import Shipment

    models = {"customers": Customer, "orders": Order, "carts": Cart, "order lines": OrderLine, "shipments": Shipment}
    return {name: model.objects.filter(store=store).count() for name, model in models.items()}


def demo_store():
    from apps.stores.models import Store

    return Store.objects.filter(slug="demo").first()


def vacuum_analyze() -> None:
    """Bring the freshly loaded tables to a steady state (visibility map, statistics) before timing."""
    from django.db import connection
    from django.db.models import Model

    from apps.campaigns.models import Message
    from apps.demo.rows import BULK_MODELS

    tables: list[type[Model]] = [*BULK_MODELS, Message]  # the ledger's partitions with it
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def activity_moment(store) -> datetime:
    """The newest order, cart or carrier event of the store, rounded up to the next whole hour: the same
    moment on every run over the same data, close enough to it that every scan finds work."""
    from django.db.models import Max

    from apps.orders.models import Cart, Order
    from apps.shipments.models import Shipment

    newest = [
        Order.objects.filter(store=store).aggregate(m=Max("placed_at"))["m"],
        Cart.objects.filter(store=store).aggregate(m=Max("updated_at"))["m"],
        Shipment.objects.filter(store=store).aggregate(m=Max("last_event_at"))["m"],
    ]
    moment = max(value for value in newest if value is not None)
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def prepare() -> tuple[Section, BenchData]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    url = database_url()
    wanted = scale()
    section = Section("2. Database", align_left=True)
    config = environ.Env.db_url_config(url)
    created = ensure_database(url)
    log(f"database {config['NAME']}: {'created' if created else 'exists'}; migrating")
    started = time.monotonic()
    manage("migrate", "--noinput", quiet=True)
    section.row("database", f"{config['NAME']} on {config.get('HOST')}:{config.get('PORT') or 5432}")
    section.row("created now / migrated", f"{'yes' if created else 'no'} / {seconds(time.monotonic() - started)}")
    # DEBUG is off, so pages link hashed static names: collected into STATIC_ROOT (var/bench/static).
    manage("collectstatic", "--noinput", "-v", "0")

    store = demo_store()
    customers = demo_counts(store)["customers"] if store else 0
    if customers < wanted:
        log(f"demo store has {customers:,} customers, fewer than {wanted:,}: seeding (this takes a while)")
        seed_seconds, phases, load = run_seed(wanted)
        log("seeded; VACUUM ANALYZE of the bulk tables")
        started = time.monotonic()
        vacuum_analyze()
        vacuum_seconds = time.monotonic() - started
        SEED_RECORD.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "database": config["NAME"],
            "scale": wanted,
            "seed_seconds": round(seed_seconds, 1),
            "vacuum_seconds": round(vacuum_seconds, 1),
            "phases": phases,
            "load_average": load,
            "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        SEED_RECORD.write_text(json.dumps(record, indent=2))
        section.row("seed", f"ran now: seed_demo --scale {wanted:,} in {seconds(seed_seconds)}")
        section.row("machine load during the seed", _load_text(load))
        for phase in phases:
            section.note(f"seed · {phase}")
        section.row("VACUUM ANALYZE after seed", seconds(vacuum_seconds))
        store = demo_store()
    else:
        section.row("seed", f"reused (demo store has {customers:,} customers >= {wanted:,})")
        previous = json.loads(SEED_RECORD.read_text()) if SEED_RECORD.exists() else {}
        if previous.get("database") == config["NAME"]:
            section.row(
                "earlier seed of this data",
                f"--scale {previous['scale']:,} took {seconds(previous['seed_seconds'])} "
                f"(+ VACUUM {seconds(previous['vacuum_seconds'])}), {previous['finished_at']}",
            )
            if previous.get("load_average"):
                section.row("machine load during that seed", _load_text(previous["load_average"]))
            for phase in previous.get("phases", []):
                section.note(f"seed · {phase}")
    counts = demo_counts(store)
    for name, value in counts.items():
        target = TARGETS.get(name)
        if target and wanted >= TARGETS["customers"]:
            verdict = "meets the issue's target" if value >= target else f"SHORT of the issue's {target:,}"
            section.row(f"rows: {name}", f"{count(value)}  ({verdict})")
        else:
            section.row(f"rows: {name}", count(value))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        section.row("database size", cursor.fetchone()[0])
    now = activity_moment(store)
    section.row("fixed 'now' for scans", now.isoformat())
    # What beat's hourly task keeps in the cache in production: pages and emails read it from there.
    from apps.orders.tasks import best_sellers_refresh_task

    started = time.monotonic()
    best_sellers_refresh_task()
    section.row("best sellers cached (hourly task)", seconds(time.monotonic() - started))
    owner = get_user_model().objects.get(username="demo@example.com")
    return section, BenchData(store=store, owner=owner, now=now, counts=counts)

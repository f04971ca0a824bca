"""Dispatch: how fast Celery workers send marketing mail in batches into a local fake Postmark, and how long
an order confirmation waits while a large marketing batch sends.

A fake Postmark (bench.fake_postmark, its own process) answers `/email/batch` and `/email` like Postmark,
50 ms after each call. Workers are real Celery processes with ANYMAIL_ESP=postmark pointed at it.

1. Throughput: win-back rows are bulk-created for consenting buyers (committed, deleted afterwards), one
   `send_batch_task` per batch is queued on `marketing`, and the time from queueing until no row is left
   `scheduled` or `sending` is measured, with one worker process (`-c 1`), then with two.
2. Transactional latency under a batch: up to 100,000 win-back rows sending on two marketing workers while
   order confirmations are scheduled one after another on `transactional` (a worker of its own); the time
   from queueing each to its row reading `sent` gives p50 and p99.
Afterwards the workers are stopped, the Redis database flushed, the benchmark's rows deleted, and the flows
and messaging policy put back as they were.
"""

import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

from .report import Section, count, log, seconds

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "bench"
THROUGHPUT_MESSAGES = 20_000
MARKETING_MESSAGES = 100_000
ESP_LATENCY = 0.05  # seconds per call, as the issue asks
ESP_PORT = 18_625
SEND_TIMEOUT = 1_800.0  # a run that has not finished by then is reported as such
STALL_TIMEOUT = 120.0  # nor one in which no row moved for this long (a lost task, a stopped worker)
LATENCY_PROBES = 200  # order confirmations measured while the batch sends (p99 of these)
LATENCY_TIMEOUT = 60.0
MARKETING_STEP = ("win_back", "values")  # marketing, no coupon, no sunset side effect
SUBJECT_PREFIX = "bench:"  # every row the benchmark writes; how it finds them to delete


def _order_confirmation_step(store):
    from apps.campaigns.models import FlowKind, FlowStep

    return (
        FlowStep.objects.filter(store=store, flow__kind=FlowKind.ORDER_CONFIRMATION)
        .select_related("flow", "store")
        .order_by("position")
        .first()
    )


def _recent_orders(store, step, limit: int, exclude_ids=()):
    """The newest orders with an email, a customer who is not suppressed and no confirmation yet."""
    from django.db.models import Exists, OuterRef

    from apps.campaigns.models import Message
    from apps.orders.models import Order

    return list(
        Order.objects.filter(store=store, customer__suppressed_at__isnull=True)
        .exclude(email="")
        .exclude(pk__in=list(exclude_ids))
        .filter(~Exists(Message.objects.filter(step=step, order=OuterRef("pk"))))
        .order_by("-placed_at", "-pk")
        .values("pk", "email", "customer_id")[:limit]
    )


def _confirmations(step, orders, *, prefix: str = ""):
    from django.utils import timezone

    from apps.campaigns.services.messages import Planned

    due = timezone.now() - timedelta(minutes=1)
    return [
        Planned(
            step=step,
            subject_key=f"{prefix}order:{o['pk']}",
            email=o["email"],
            customer_id=o["customer_id"],
            order_id=o["pk"],
            scheduled_for=due,
            why="benchmark",
        )
        for o in orders
    ]


# --- 2. Celery workers, committed and cleaned up ---------------------------------------------------


def _redis():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=10)


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def worker_name(name: str) -> str:
    return f"bench-{name}-{os.getpid()}@{socket.gethostname()}"


def start_worker(name: str, queue: str, concurrency: int, env: dict) -> subprocess.Popen:
    options = {
        "--queues": queue,
        "--concurrency": str(concurrency),
        "--pool": "prefork",
        "--hostname": worker_name(name),
        "--loglevel": "warning",
        "--logfile": str(LOGS / f"celery-{name}.log"),
    }
    command = [sys.executable, "-m", "celery", "-A", "config.celery:app", "worker"]
    for option, value in options.items():
        command += [option, value]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    log("$ " + " ".join(command[2:]))
    with open(LOGS / f"celery-{name}.out", "wb") as banner:  # the start-up banner goes to stdout
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=banner,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen) -> None:
    """SIGTERM (warm shutdown: running tasks finish), SIGKILL to what of ours is left after 30 s."""
    pool = _children(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log(f"worker {process.pid} still running after SIGTERM: SIGKILL")
            process.kill()
            process.wait(timeout=10)
    for pid in pool:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for_workers(app, names: list[str], processes: list[subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a Celery worker exited with {process.returncode}; see {LOGS}/celery-*.log")
        replies = app.control.ping(destination=names, timeout=1.0) or []
        if set(names) <= {name for reply in replies for name in reply}:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the Celery workers did not answer a ping within {timeout:.0f} s")


def delete_bench_messages(store) -> int:
    """Rows the committed part wrote (subject key `bench:…`), with whatever points at them."""
    from django.db import connection, models

    from apps.campaigns.models import FlowStep, Message
    from apps.campaigns.partitions import KEYS

    quote = connection.ops.quote_name
    chosen = f"SELECT id FROM {quote(Message._meta.db_table)} WHERE store_id = %s AND subject_key LIKE %s"
    params = [store.pk, f"{SUBJECT_PREFIX}%"]
    with connection.cursor() as cursor:
        for relation in Message._meta.related_objects:
            table, column = quote(relation.related_model._meta.db_table), quote(relation.field.column)
            if relation.on_delete is models.CASCADE:
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({chosen})", params)
            else:  # SET_NULL and friends: let go of the message
                cursor.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IN ({chosen})", params)
        cursor.execute(f"DELETE FROM {quote(Message._meta.db_table)} WHERE id IN ({chosen})", params)
        deleted = cursor.rowcount
        if KEYS in connection.introspection.table_names(cursor):
            # A partitioned ledger keeps each (step, subject) claimed in its key table (campaigns.ledger): let
            # the benchmark's keys go too, or the next run could not schedule the same confirmations again.
            cursor.execute(
                f"DELETE FROM {quote(KEYS)} WHERE subject_key LIKE %s AND step_id IN "
                f"(SELECT id FROM {quote(FlowStep._meta.db_table)} WHERE store_id = %s)",
                [f"{SUBJECT_PREFIX}%", store.pk],
            )
        return deleted


def _status_counts(ids_query) -> Counter:
    from django.db.models import Count

    return Counter(dict(ids_query.values_list("status").annotate(n=Count("pk")).order_by()))


@contextmanager
def fake_postmark():
    """The fake Postmark in a process of its own (its JSON parsing must not share this process's GIL); yields
    the environment that points Anymail's Postmark backend at it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_postmark", str(ESP_PORT), str(ESP_LATENCY)], cwd=ROOT,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", ESP_PORT), timeout=0.5):
                break
            time.sleep(0.1)
        yield {
            "ANYMAIL_ESP": "postmark",
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "bench-server-token",
            "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{ESP_PORT}/",
        }
    finally:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def _audience(store, step, limit: int) -> list[tuple[int, str]]:
    """Consenting buyers a win-back may go to now: not suppressed or paused, and no marketing email in the
    store's pacing window (the frequency cap would hold theirs back, which is not what is measured)."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from apps.campaigns.models import Message, MessagingPolicy
    from apps.customers.models import Customer

    policy = MessagingPolicy.objects.filter(store=store).first()
    window = timedelta(hours=policy.frequency_cap_hours if policy else 24)
    recent = Message.objects.filter(
        customer=OuterRef("pk"), transactional=False, status__in=["sent", "sending", "unknown"],
        sent_at__gte=timezone.now() - window,
    )  # fmt: skip
    return list(
        Customer.objects.filter(
            store=store, marketing_consent=True, suppressed_at__isnull=True, wants_offers=True,
            marketing_paused_until__isnull=True,
        )
        .filter(~Exists(recent))
        .order_by("pk")
        .values_list("pk", "email")[:limit]
    )  # fmt: skip


def _create_batch(store, step, audience, tag: str) -> int:
    from django.utils import timezone

    from apps.campaigns.models import Message

    now = timezone.now()
    trace = [{"at": now.isoformat(), "action": "scheduled", "rule": "trigger", "reason": "benchmark"}]
    rows = [
        Message(store_id=store.pk, step=step, subject_key=f"{SUBJECT_PREFIX}{tag}:{pk}", email=email,
                customer_id=pk, scheduled_for=now, transactional=False, priority=step.flow.priority, trace=trace)
        for pk, email in audience
    ]  # fmt: skip
    return len(Message.objects.bulk_create(rows, batch_size=5_000))


def _queue_batches(rows: int) -> int:
    from apps.campaigns.sending.batch import batch_size
    from apps.campaigns.tasks import send_batch_task
    from config.celery import app

    tasks = -(-rows // batch_size())
    with app.producer_or_acquire() as producer:
        for _ in range(tasks):
            send_batch_task.apply_async(queue="marketing", producer=producer)
    return tasks


def _in_flight(queryset) -> int:
    """Rows still to send now (rows the rules deferred to later do not count)."""
    from django.db.models import Q
    from django.utils import timezone

    due = Q(status="scheduled", scheduled_for__lte=timezone.now()) | Q(status="sending")
    return queryset.filter(due).count()


def _wait_sent(queryset, *, started: float, timeout: float = SEND_TIMEOUT) -> float:
    """Seconds from `started` until nothing of `queryset` is left to send (deferred rows aside)."""
    from django.utils import timezone

    progress, moved_at = None, time.perf_counter()
    while time.perf_counter() - started < timeout:
        left = (
            queryset.filter(status="sending").count()
            + queryset.filter(status="scheduled", scheduled_for__lte=timezone.now()).count()
        )
        if not left:
            break
        if left != progress:
            progress, moved_at = left, time.perf_counter()
        elif time.perf_counter() - moved_at > STALL_TIMEOUT:
            log(f"nothing moved for {STALL_TIMEOUT:.0f} s with {left:,} rows left: giving up on this run")
            break
        time.sleep(0.1)
    return time.perf_counter() - started


@contextmanager
def _workers(app, specs: list[tuple[str, str, int]], env: dict):
    processes = [start_worker(name, queue, concurrency, env) for name, queue, concurrency in specs]
    try:
        wait_for_workers(app, [worker_name(name) for name, _, _ in specs], processes)
        yield processes
    finally:
        for process in processes:
            stop_worker(process)


def throughput(store, step, env: dict, section: Section, *, workers: int) -> None:
    from apps.campaigns.models import Message
    from config.celery import app

    tag = f"throughput{workers}"
    audience = _audience(store, step, THROUGHPUT_MESSAGES)
    created = _create_batch(store, step, audience, tag)
    rows = Message.objects.filter(store=store, subject_key__startswith=f"{SUBJECT_PREFIX}{tag}:")
    specs = [(f"marketing{n}", "marketing", 1) for n in range(workers)]
    with _workers(app, specs, env):
        log(f"{created:,} win-backs, {workers} worker process(es): queueing batches")
        started = time.perf_counter()
        _queue_batches(created)
        elapsed = _wait_sent(rows, started=started)
    statuses = _status_counts(rows)
    sent = statuses.get("sent", 0)
    section.row(
        f"batches into fake Postmark, {workers} worker{'s' if workers > 1 else ''}",
        f"{sent / elapsed:,.0f} emails/s",
        f"{sent / elapsed / workers:,.0f}/s per worker; {count(sent)} sent of {count(created)} in {seconds(elapsed)}",
    )
    others = {status: n for status, n in statuses.items() if status != "sent"}
    if others:
        section.row("  not sent (rules held them)", ", ".join(f"{s} {n:,}" for s, n in sorted(others.items())))
    delete_bench_messages(store)


def latency_under_batch(data, store, step, env: dict, section: Section) -> None:
    from apps.campaigns.models import Message
    from apps.campaigns.services.messages import messages_schedule
    from apps.campaigns.tasks import message_send_task
    from config.celery import app

    audience = _audience(store, step, MARKETING_MESSAGES)
    created = _create_batch(store, step, audience, "latency")
    marketing = Message.objects.filter(store=store, subject_key__startswith=f"{SUBJECT_PREFIX}latency:")
    confirmation = _order_confirmation_step(store)
    specs = [("marketing0", "marketing", 1), ("marketing1", "marketing", 1), ("transactional", "transactional", 1)]
    latencies: list[float] = []
    used: set[int] = set()
    with _workers(app, specs, env):
        log(f"{created:,} win-backs sending on two workers; order confirmations on their own queue meanwhile")
        started = time.perf_counter()
        _queue_batches(created)
        for _ in range(LATENCY_PROBES):
            if not _in_flight(marketing):
                break  # the batch is done: what comes after is no longer "while a batch sends"
            orders = _recent_orders(store, confirmation, 1, exclude_ids=used)
            if not orders:
                break
            used.add(orders[0]["pk"])
            scheduled = messages_schedule(_confirmations(confirmation, orders, prefix=SUBJECT_PREFIX))
            if not scheduled:  # that order's confirmation exists already (or its buyer is in the holdout)
                continue
            message = scheduled[0]
            queued = time.perf_counter()
            message_send_task.apply_async((message.pk,), queue="transactional")
            row = Message.objects.filter(pk=message.pk)
            while time.perf_counter() - queued < LATENCY_TIMEOUT:
                if row.values_list("status", flat=True).first() not in ("scheduled", "sending"):
                    break
                time.sleep(0.005)
            if row.values_list("status", flat=True).first() == "sent":
                latencies.append(time.perf_counter() - queued)
            time.sleep(0.2)
        elapsed = _wait_sent(marketing, started=started)
    statuses = _status_counts(marketing)
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        section.row(
            f"order confirmation queued → sent, while {count(created)} send",
            f"p50 {seconds(statistics.median(ordered))}, p99 {seconds(p99)}",
            f"{len(ordered)} confirmations, max {seconds(ordered[-1])}",
        )
    else:
        section.row("order confirmation queued → sent", f"none sent within {LATENCY_TIMEOUT:.0f} s")
    section.row(
        "  the batch meanwhile (2 workers)",
        f"{statuses.get('sent', 0) / elapsed:,.0f} emails/s",
        ", ".join(f"{status} {n:,}" for status, n in sorted(statuses.items())) + f" in {seconds(elapsed)}",
    )


def run(data) -> Section:
    from apps.campaigns.models import Flow, FlowStep, MessagingPolicy

    section = Section("6. Dispatch (batches into a fake Postmark, 50 ms a call)", ["rate", "detail"], align_left=True)
    store = data.store
    broker = _redis()
    broker.flushdb()
    removed = delete_bench_messages(store)
    if removed:
        log(f"removed {removed:,} rows left by an earlier interrupted run")
    flows_before = dict(Flow.objects.filter(store=store).values_list("pk", "enabled"))
    policy = MessagingPolicy.objects.filter(store=store).first()
    policy_before = (policy.quiet_hours_start, policy.quiet_hours_end) if policy else None
    try:
        Flow.objects.filter(store=store).update(enabled=True)
        # Quiet hours would defer (not send) marketing depending on the hour the benchmark runs.
        MessagingPolicy.objects.update_or_create(store=store, defaults={"quiet_hours_start": 0, "quiet_hours_end": 0})
        step = FlowStep.objects.select_related("flow").get(
            store=store, flow__kind=MARKETING_STEP[0], key=MARKETING_STEP[1]
        )
        with fake_postmark() as env:
            parts = [
                ("dispatch throughput, one worker process", lambda: throughput(store, step, env, section, workers=1)),
                ("dispatch throughput, two worker processes", lambda: throughput(store, step, env, section, workers=2)),
                ("transactional latency while a marketing batch sends",
                 lambda: latency_under_batch(data, store, step, env, section)),
            ]  # fmt: skip
            for title, part in parts:
                log(title)
                try:
                    part()
                except Exception as exc:  # one broken part still leaves the others' figures
                    logger.exception("dispatch benchmark part failed")
                    section.row(f"{title}: FAILED", f"{type(exc).__name__}: {exc}"[:200])
                    delete_bench_messages(store)
    finally:
        log("flushing the Redis database and deleting the benchmark's rows")
        broker.flushdb()
        broker.close()
        deleted = delete_bench_messages(store)
        for pk, enabled in flows_before.items():
            Flow.objects.filter(pk=pk).update(enabled=enabled)
        if policy_before is None:
            MessagingPolicy.objects.filter(store=store).delete()
        else:
            MessagingPolicy.objects.filter(store=store).update(
                quiet_hours_start=policy_before[0], quiet_hours_end=policy_before[1]
            )
        log(f"deleted {deleted:,} benchmark rows")
    section.note(
        "Each worker is one Celery process (-c 1) claiming batches of CAMPAIGNS_SEND_BATCH_SIZE (500) due rows,\n"
        "deciding, rendering each email for its recipient and posting them to /email/batch in one call; order\n"
        "confirmations go one by one on the transactional queue. Quiet hours were off for the run (put back);\n"
        "buyers paced by an email in the last frequency-cap window were left out of the audience."
    )
    return section

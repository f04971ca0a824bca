"""Dispatch: how fast one process renders ledger rows and hands them to Anymail's test backend, and how
long an order confirmation waits while real Celery workers chew through a large marketing batch.

1. Throughput, in one rolled-back transaction: order confirmations for existing orders are scheduled
   and `message_send` is timed over them.
2. Transactional latency under a marketing batch (committed, cleaned up afterwards): marketing rows are
   bulk-created and queued on `marketing` in a Redis database of their own; one worker serves
   `-Q marketing -c 2`, another `-Q transactional -c 1`; an order confirmation is scheduled and queued
   on `transactional` a few times, and the time until its row reads `sent` is measured. Marketing runs
   for a bounded window only, and what it sent meanwhile is reported. Then the workers are stopped, the
   Redis database flushed, the benchmark's rows deleted and the flows and policy put back as they were.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from .report import Section, count, log, seconds

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "bench"
THROUGHPUT_MESSAGES = 2_000
MARKETING_MESSAGES = 100_000
MARKETING_WINDOW = 60.0  # seconds of marketing sending measured (the whole batch would take far longer)
LATENCY_ROUNDS = 5
LATENCY_TIMEOUT = 60.0
MARKETING_STEP = ("win_back", "values")  # marketing, no coupon, no sunset side effect
SUBJECT_PREFIX = "bench:"  # every row the committed part writes; how it finds them to delete


class Rollback(Exception):
    pass


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

    from apps.campaigns.services import Planned

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


# --- 1. One process, rolled back ------------------------------------------------------------------


def throughput(data, section: Section) -> None:
    from django.core import mail
    from django.db import transaction
    from django.test.utils import override_settings

    from apps.campaigns.dispatch import message_send
    from apps.campaigns.models import Flow
    from apps.campaigns.services import messages_schedule

    outcomes: Counter = Counter()
    try:
        with transaction.atomic(), override_settings(EMAIL_BACKEND="anymail.backends.test.EmailBackend"):
            Flow.objects.filter(store=data.store).update(enabled=True)
            step = _order_confirmation_step(data.store)
            planned = _confirmations(step, _recent_orders(data.store, step, THROUGHPUT_MESSAGES))
            started = time.perf_counter()
            messages = messages_schedule(planned)
            scheduling = time.perf_counter() - started
            mail.outbox = []
            log(f"message_send over {len(messages):,} order confirmations")
            started = time.perf_counter()
            for message in messages:
                outcomes[message_send(message_id=message.pk).status] += 1
            sending = time.perf_counter() - started
            handed = len(mail.outbox)
            mail.outbox = []
            raise Rollback
    except Rollback:
        pass
    section.row(
        "messages_schedule (bulk, one call)",
        f"{len(planned) / scheduling:,.0f} msg/s",
        f"{count(len(messages))} new of {count(len(planned))} planned in {seconds(scheduling)}",
    )
    section.row(
        "message_send, one process (render + Anymail test)",
        f"{outcomes['sent'] / sending:,.1f} msg/s",
        f"{count(outcomes['sent'])} sent in {seconds(sending)}, {sending / max(1, len(messages)) * 1000:.1f} ms each",
    )
    others = {status: n for status, n in outcomes.items() if status != "sent"}
    section.row(
        "  outcomes / handed to backend",
        ", ".join(f"{status} {n:,}" for status, n in sorted(outcomes.items())) or "-",
        f"{handed:,} in the test outbox" + (f" (not sent: {others})" if others else ""),
    )


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


def start_worker(name: str, queue: str, concurrency: int) -> subprocess.Popen:
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
            command, cwd=ROOT, env=os.environ.copy(), stdin=subprocess.DEVNULL, stdout=banner, stderr=subprocess.STDOUT
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

    from apps.campaigns.models import Message

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
        return cursor.rowcount


def _status_counts(ids_query) -> Counter:
    from django.db.models import Count

    return Counter(dict(ids_query.values_list("status").annotate(n=Count("pk")).order_by()))


def under_marketing_batch(data, section: Section) -> None:
    from django.utils import timezone

    from apps.campaigns.models import Flow, FlowStep, Message, MessagingPolicy
    from apps.campaigns.services import messages_schedule
    from apps.campaigns.tasks import message_send_task
    from apps.customers.models import Customer
    from config.celery import app

    store = data.store
    broker = _redis()
    broker.flushdb()
    removed = delete_bench_messages(store)
    if removed:
        log(f"removed {removed:,} rows left by an earlier interrupted run")
    flows_before = dict(Flow.objects.filter(store=store).values_list("pk", "enabled"))
    policy = MessagingPolicy.objects.filter(store=store).first()
    policy_before = (policy.quiet_hours_start, policy.quiet_hours_end) if policy else None
    workers: list[subprocess.Popen] = []
    try:
        Flow.objects.filter(store=store).update(enabled=True)
        # Quiet hours would defer (not send) marketing depending on the hour the benchmark runs.
        MessagingPolicy.objects.update_or_create(store=store, defaults={"quiet_hours_start": 0, "quiet_hours_end": 0})
        step = FlowStep.objects.select_related("flow").get(
            store=store, flow__kind=MARKETING_STEP[0], key=MARKETING_STEP[1]
        )
        audience = list(
            Customer.objects.filter(
                store=store,
                marketing_consent=True,
                suppressed_at__isnull=True,
                wants_offers=True,
                marketing_paused_until__isnull=True,
            )
            .order_by("pk")
            .values_list("pk", "email")[:MARKETING_MESSAGES]
        )
        now = timezone.now()
        trace = [{"at": now.isoformat(), "action": "scheduled", "rule": "trigger", "reason": "benchmark"}]
        rows = [
            Message(
                store_id=store.pk,
                step=step,
                subject_key=f"{SUBJECT_PREFIX}winback:{pk}",
                email=email,
                customer_id=pk,
                scheduled_for=now,
                transactional=False,
                priority=step.flow.priority,
                trace=trace,
            )
            for pk, email in audience
        ]
        started = time.perf_counter()
        created = Message.objects.bulk_create(rows, batch_size=5_000)
        creating = time.perf_counter() - started
        marketing = Message.objects.filter(store=store, step=step, subject_key__startswith=SUBJECT_PREFIX)
        log(f"queueing {len(created):,} message_send_task on 'marketing'")
        started = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for message in created:
                message_send_task.apply_async((message.pk,), queue="marketing", producer=producer)
        queueing = time.perf_counter() - started
        section.row(
            "marketing batch: bulk_create / queue",
            f"{count(len(created))} rows in {seconds(creating)}",
            f"queued in {seconds(queueing)} ({len(created) / queueing:,.0f}/s)",
        )

        workers = [start_worker("marketing", "marketing", 2), start_worker("transactional", "transactional", 1)]
        wait_for_workers(app, [worker_name("marketing"), worker_name("transactional")], workers)
        window_start = time.monotonic()
        sent_at_start = marketing.filter(status="sent").count()
        log("workers up; measuring transactional latency while marketing sends")

        confirmation = _order_confirmation_step(store)
        latencies: list[float] = []
        used: set[int] = set()
        spacing = MARKETING_WINDOW / (LATENCY_ROUNDS + 1)
        for round_number in range(LATENCY_ROUNDS):
            time.sleep(max(0.0, window_start + spacing * (round_number + 1) - time.monotonic()))
            orders = _recent_orders(store, confirmation, 1, exclude_ids=used)
            used.add(orders[0]["pk"])
            (message,) = messages_schedule(_confirmations(confirmation, orders, prefix=SUBJECT_PREFIX))
            started = time.perf_counter()
            message_send_task.apply_async((message.pk,), queue="transactional")
            row = Message.objects.filter(pk=message.pk)
            status = ""
            while time.perf_counter() - started < LATENCY_TIMEOUT:
                status = row.values_list("status", flat=True).first()
                if status not in ("scheduled", "sending"):
                    break
                time.sleep(0.005)
            elapsed = time.perf_counter() - started
            log(f"order confirmation {round_number + 1}: {status} after {elapsed * 1000:.0f} ms")
            if status == "sent":
                latencies.append(elapsed)
        time.sleep(max(0.0, window_start + MARKETING_WINDOW - time.monotonic()))
        window = time.monotonic() - window_start
        statuses = _status_counts(marketing)
        sent_in_window = statuses.get("sent", 0) - sent_at_start
        left = broker.llen("marketing")
    finally:
        for process in workers:
            stop_worker(process)
        log("workers stopped; flushing the Redis database and deleting the benchmark's rows")
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

    if latencies:
        section.row(
            f"order confirmation queued → sent ({len(latencies)}/{LATENCY_ROUNDS})",
            f"median {seconds(statistics.median(latencies))}",
            f"min {seconds(min(latencies))}, max {seconds(max(latencies))}",
        )
    else:
        section.row("order confirmation queued → sent", f"never sent within {LATENCY_TIMEOUT:.0f} s")
    section.row(
        f"marketing meanwhile (workers -c 2, {window:.0f} s window)",
        f"{sent_in_window / window:,.1f} msg/s",
        f"{count(sent_in_window)} of {count(len(created))} sent in the window; {count(left)} still queued",
    )
    section.row(
        "  marketing rows by status at the end",
        ", ".join(f"{status} {n:,}" for status, n in sorted(statuses.items())),
    )


def run(data) -> Section:
    section = Section("6. Dispatch (Anymail test backend)", ["rate", "detail"], align_left=True)
    log("dispatch throughput, one process, rolled back")
    throughput(data, section)
    log("transactional latency under a marketing batch (real workers)")
    under_marketing_batch(data, section)
    section.note(
        f"Quiet hours were switched off for the run (and put back) so marketing sends rather than defers; "
        f"the marketing batch is measured for {MARKETING_WINDOW:.0f} s, not sent to the end; its rows are deleted."
    )
    return section

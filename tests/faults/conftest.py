"""Real Celery worker processes against the test database (PostgreSQL) and a Redis database of their own."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.campaigns.conftest import flows, store  # noqa: F401  (the same store and flows as the campaign tests)

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("FAULT_REDIS_URL", "redis://127.0.0.1:6379/13")


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        return False


@pytest.fixture
def fault_env(tmp_path):
    if connection.vendor != "postgresql" or not redis_available():
        pytest.skip("needs PostgreSQL and Redis (CI has both)")
    redis.Redis.from_url(REDIS_URL).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "fault-tests-not-secret",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": REDIS_URL,
        "EMAIL_BACKEND": "tests.faults.esp.RecordingBackend",
        "FAULT_ESP_LOG": str(tmp_path / "sent.log"),
        "FAULT_ESP_MODE": str(tmp_path / "esp-mode"),
        "PYTHONPATH": str(ROOT),
    }
    (tmp_path / "sent.log").write_text("")
    yield env
    redis.Redis.from_url(REDIS_URL).flushdb()


class Workers:
    def __init__(self, env):
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, *, queues="transactional,marketing,default,integrations", concurrency=1, extra_env=None, name="w"):
        env = {**self.env, **(extra_env or {})}
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--queues={queues}",
            "--loglevel=WARNING",
            f"--hostname={name}-{len(self.processes)}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.processes.append(process)
        return process

    def start_beat(self, *, name: str, folder: Path) -> Path:
        """A celery beat on the DatabaseScheduler, as in production; returns the file it logs to."""
        log = folder / f"beat-{name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
            "--scheduler=django_celery_beat.schedulers:DatabaseScheduler", f"--pidfile={folder / f'beat-{name}.pid'}",
            f"--logfile={log}",
        ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        self.processes.append(process)
        return log

    def kill(self, process, sig=signal.SIGKILL):
        os.killpg(process.pid, sig)
        process.wait(10)

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def workers(fault_env):
    pool = Workers(fault_env)
    yield pool
    pool.stop_all()


def wait_until(predicate, timeout=30.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def enqueue(task: str, *args, queue: str = "default") -> None:
    """Put a task on the broker the workers read, as beat or a service would."""
    from celery import Celery

    producer = Celery(broker=REDIS_URL)
    producer.send_task(task, args=list(args), queue=queue)
    producer.close()


def sent_lines(env) -> list[str]:
    """Every address the ESP double took, once per email it took."""
    with open(env["FAULT_ESP_LOG"]) as log:
        return [line for line in log.read().splitlines() if line]


def zone_at_local_hour(hour: int) -> str:
    """A time zone in which it is now `hour` o'clock, so daily scans and quiet hours act the same
    whenever CI runs."""
    from datetime import UTC, datetime

    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}"  # POSIX-style names: Etc/GMT-3 is three hours ahead of UTC


def due_confirmations(in_store, flow_by_kind, count: int) -> list:
    """`count` order confirmations in the ledger, due now, for different buyers."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.campaigns.models import FlowKind
    from apps.campaigns.services.messages import Planned, messages_schedule
    from tests.customers.factories import CustomerFactory
    from tests.orders.factories import OrderFactory

    step = flow_by_kind[FlowKind.ORDER_CONFIRMATION].steps.get()
    planned = []
    for n in range(count):
        customer = CustomerFactory(store=in_store, email=f"buyer{n}@example.com")
        order = OrderFactory(store=in_store, customer=customer, email=customer.email)
        due = timezone.now() - timedelta(seconds=1)
        planned.append(Planned(step=step, subject_key=f"order:{order.pk}", email=customer.email, order_id=order.pk,
                               customer_id=customer.pk, scheduled_for=due))  # fmt: skip
    return messages_schedule(planned)

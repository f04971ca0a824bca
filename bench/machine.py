"""What the figures were measured on: CPU, cores, memory, OS, and the versions of the moving parts."""

import os
import platform
import statistics
import sys
import time
from pathlib import Path

from .report import Section


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _os() -> str:
    name = platform.system()
    try:
        fields = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
        name = fields.get("PRETTY_NAME", name).strip('"')
    except OSError:
        pass
    return f"{name}, kernel {platform.release()} ({platform.machine()})"


def _postgres() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
    return f"{version} (shared_buffers {buffers}, work_mem {work_mem})"


def _redis() -> str:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()


def _python_speed() -> str:
    """A fixed piece of pure-Python work (the kind rendering and seeding do: dicts, strings, small objects), timed
    five times: the same machine type can be far slower from one day to the next (a shared host), and this says
    how fast this one was, so two runs' figures can be compared."""

    def work() -> float:
        started = time.perf_counter()
        rows: dict[str, int] = {}
        for n in range(200_000):
            key = f"customer:{n % 5_000}"
            rows[key] = rows.get(key, 0) + len(key.split(":")[0]) * n
        return time.perf_counter() - started

    runs = [work() for _ in range(5)]
    return f"{200_000 / statistics.median(runs) / 1e6:.2f} M steps/s (median of 5; spread {min(runs) / max(runs):.0%})"


def _postgres_speed() -> str:
    """The same for the database server: one backend summing ten million generated rows."""
    from django.db import connection

    runs = []
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute("SELECT sum(n) FROM generate_series(1, 10000000) AS n")
            cursor.fetchone()
            runs.append(time.perf_counter() - started)
    return f"{10 / statistics.median(runs):.1f} M rows/s (sum over generate_series, median of 3)"


def collect() -> Section:
    import django

    section = Section("1. Machine", align_left=True)
    section.row("CPU", _cpu_model())
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    section.row("cores", f"{os.cpu_count()} logical ({usable} usable by this process)")
    section.row("RAM", _memory())
    section.row("OS", _os())
    section.row("Python", f"{platform.python_version()} ({sys.implementation.name})")
    section.row("Django", django.get_version())
    section.row("PostgreSQL server", _postgres())
    section.row("Redis server", _redis())
    section.row("Python speed", _python_speed())
    section.row("PostgreSQL speed", _postgres_speed())
    return section

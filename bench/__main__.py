"""`python -m bench [SECTION ...]` (what `make bench` runs): every benchmark, printed as one table.

Sections: machine, database (always), http, queries, scans, dispatch, design, prediction; none named means all.
The table goes to stdout and to var/bench/latest.txt; progress goes to stderr.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/afterglow_bench),
BENCH_SCALE (demo customers, default 1,000,000), BENCH_REDIS_URL (default redis://127.0.0.1:6379/14,
a Redis database the benchmark flushes). Everything runs on this machine against 127.0.0.1 only.

The process runs with production settings (DEBUG off, a dummy SECRET_KEY, no TLS redirect), and the
children it starts (migrate, seed_demo, gunicorn, Celery workers) inherit the same environment.
"""

import os
import sys
import traceback
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "var" / "bench" / "latest.txt"
SECTIONS = ("machine", "database", "http", "queries", "scans", "dispatch", "design", "prediction")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def configure_environment() -> None:
    from bench.database import database_url

    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "false",
            "SECRET_KEY": "bench-dummy-secret-key-not-for-any-real-deployment",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "BENCH_BARE_VIEW": "true",
            # DEBUG off means hashed static names: collected into var/bench/static before serving.
            "STATIC_ROOT": str(ROOT / "var" / "bench" / "static"),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "ANYMAIL_ESP": "",
            "EMAIL_BACKEND": "anymail.backends.test.EmailBackend",
            "SITE_URL": "http://127.0.0.1:8000",
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
    )


def main(argv: list[str]) -> int:
    wanted = [name for name in argv if name in SECTIONS] or list(SECTIONS)
    unknown = [name for name in argv if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    configure_environment()

    import django

    django.setup()

    from bench import database, design, dispatch, http, machine, prediction, queries, scans
    from bench.report import Section, log, render

    sections: list[Section] = []
    failed = False

    def attempt(title: str, run) -> object:
        nonlocal failed
        try:
            return run()
        except Exception as exc:  # one broken benchmark still leaves the others' figures
            failed = True
            traceback.print_exc()
            broken = Section(title, align_left=True)
            broken.row("FAILED", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            sections.append(broken)
            return None

    database.ensure_database(database.database_url())  # the machine section asks its server's version
    if "machine" in wanted:
        log("machine details")
        result = attempt("1. Machine", machine.collect)
        if result:
            sections.append(result)
    log("benchmark database")
    prepared = attempt("2. Database", database.prepare)
    if prepared:
        section, data = prepared
        sections.append(section)
        steps = [
            ("http", "3. Tracking page throughput (gunicorn + wrk)", http.run),
            ("queries", "4. SQL queries per page (test Client, warm second request)", queries.run),
            ("scans", "5. Scans at scale", scans.run),
            ("dispatch", "6. Dispatch", dispatch.run),
            ("design", "7. Email design", design.run),
            ("prediction", "8. Delivery dates we predict", prediction.run),
        ]
        for name, title, run in steps:
            if name in wanted:
                log(f"section: {title}")
                result = attempt(title, lambda run=run: run(data))
                if result:
                    sections.extend(result if isinstance(result, list) else [result])

    heading = f"Afterglow benchmarks · {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · sections: {', '.join(wanted)}"
    table = render(sections, heading)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(table)
    sys.stdout.write(table)
    sys.stdout.flush()
    log(f"table written to {OUTPUT.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

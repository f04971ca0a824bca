from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from apps.campaigns.scans import SCANS, run_scan
from apps.stores.selectors import store_by_slug


class Command(BaseCommand):
    help = "Run a periodic scan by hand (it plans nothing twice). NAME: " + ", ".join(sorted(SCANS))

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(SCANS))
        parser.add_argument("--store", help="Only this store's slug (default: every store).")
        parser.add_argument("--now", help="Pretend it is this moment (ISO 8601 with offset), e.g. for a backfill.")

    def handle(self, name, store=None, now=None, **options):
        only = None
        if store:
            only = store_by_slug(slug=store)
            if only is None:
                raise CommandError(f"No store with slug {store!r}.")
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None or moment.tzinfo is None:
                raise CommandError("--now needs an ISO 8601 moment with its offset, e.g. 2026-06-01T09:00:00+02:00")
        runs = run_scan(name, store=only, now=moment)
        for run in runs:
            self.stdout.write(
                f"{name} · {run.store.slug if run.store else 'all'}: {run.candidates} candidates, "
                f"{run.messages_created} messages, {run.queries} queries, {run.duration_seconds:.2f} s"
            )

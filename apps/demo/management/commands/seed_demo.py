"""`manage.py seed_demo [--scale N] [--reset] [--force]`: the demo stores (DESIGN.md §5)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.demo.profiles import DEFAULT_SCALE, DEMO_PASSWORD, DEMO_SLUG, OWNER_EMAIL, TEA_SLUG
from apps.rollups.refresh import store_rollups_refresh
from apps.stores.models import Store


class Command(BaseCommand):
    help = (
        f"Build the demo store '{DEMO_SLUG}' with N customers and their orders, shipments and carts; "
        f"sign in as {OWNER_EMAIL} / {DEMO_PASSWORD}. Refused when DEBUG is off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=DEFAULT_SCALE, help=f"number of customers (default {DEFAULT_SCALE})"
        )
        parser.add_argument("--reset", action="store_true", help="delete the demo stores and build them again")
        parser.add_argument("--force", action="store_true", help="run even though DEBUG is off")

    def handle(self, *args, scale: int, reset: bool, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo writes demo stores, users and passwords: it runs only with DEBUG=true "
                "(or pass --force if you really mean it on this database)."
            )
        if scale < 1:
            raise CommandError("--scale is the number of customers: 1 or more.")
        # The seed needs the demo extra (factory-boy, Faker); production installs leave it out.
        try:
            from apps.demo.engagement import demo_engagement_seed
            from apps.demo.seed import demo_store_seed
        except ModuleNotFoundError as error:
            if error.name not in ("factory", "faker"):
                raise
            raise CommandError(
                f"seed_demo needs the demo extra ({error.name} is not installed): pip install '.[demo]'"
            ) from error

        login = f"{OWNER_EMAIL} / {DEMO_PASSWORD}"
        started = time.monotonic()
        result = demo_store_seed(scale=scale, reset=reset, stdout=self.stdout if options["verbosity"] else None)
        if result.get("already_seeded"):
            self.stdout.write(
                f"The demo store '{DEMO_SLUG}' is already seeded: log in as {login}. Use --reset to build it again."
            )
            return
        engagement_started = time.monotonic()
        result.update(demo_engagement_seed(store=Store.objects.get(slug=DEMO_SLUG)))
        if options["verbosity"]:
            self.stdout.write(f"email history and NPS answers · {time.monotonic() - engagement_started:.1f} s")
        counting_started = time.monotonic()
        # The dashboard home reads these: counted now, the merchant's first look at the demo is not the one waiting.
        for store in Store.objects.filter(slug__in=[DEMO_SLUG, TEA_SLUG]):
            store_rollups_refresh(store=store, full=True)
        if options["verbosity"]:
            self.stdout.write(f"the dashboard's daily figures · {time.monotonic() - counting_started:.1f} s")
        result.pop("seconds")
        seconds = time.monotonic() - started
        summary = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in result.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded the demo stores in {seconds:.1f} s: {summary}."))
        self.stdout.write(f"Log in as {login} (also manager@example.com and support@example.com, password demo).")

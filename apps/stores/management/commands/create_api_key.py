"""`manage.py create_api_key STORE_SLUG [--name NAME]`: a new key for the store's JSON API, printed once."""

from django.core.management.base import BaseCommand, CommandError

from apps.stores.selectors import store_by_slug
from apps.stores.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a store and print it once. Only its SHA-256 digest is stored."

    def add_arguments(self, parser):
        parser.add_argument("store_slug", help="The store's slug.")
        parser.add_argument("--name", default="Command line", help="What the key is for, e.g. 'ERP sync'.")

    def handle(self, *args, store_slug: str, name: str, **options):
        store = store_by_slug(slug=store_slug)
        if store is None:
            raise CommandError(f"No store with the slug {store_slug!r}.")
        api_key, key = api_key_create(store=store, name=name)
        # The key alone on stdout, so a script can capture it; the explanation goes to stderr.
        self.stderr.write(
            f"API key {api_key.name!r} ({api_key.prefix}…) for {store.name}. "
            "Copy it now: it is not stored and cannot be shown again."
        )
        self.stdout.write(key)

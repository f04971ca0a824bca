"""`manage.py create_store SLUG --name NAME --owner EMAIL [--password PW] [--language en] [--languages en,ru]
[--time-zone Europe/Rome] [--currency EUR] [--sender-name X] [--sender-email Y]`

A new store and its owner, through the same service as the dashboard's "Create a store". The owner's account
is created when missing: with --password, or with a generated password printed once. An existing account keeps
its password. A slug that is taken is refused.
"""

import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.stores.auth import user_for_sign_in
from apps.stores.selectors import store_by_slug
from apps.stores.services import store_create_for_owner, user_get_or_create


def _languages(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


class Command(BaseCommand):
    help = "Create a store with an owner (created if missing). Refuses a slug that is taken."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The store's short name, e.g. harbour-goods.")
        parser.add_argument("--name", required=True, help="The store's name, as buyers see it.")
        parser.add_argument("--owner", required=True, help="The owner's email; their account is created if missing.")
        parser.add_argument("--password", default="", help="A new owner's password (default: generate one).")
        parser.add_argument("--language", default="en", help="The default language (default: en).")
        parser.add_argument("--languages", default="", help="Languages offered, comma-separated (default: --language).")
        parser.add_argument("--time-zone", default="UTC", help="e.g. Europe/Rome (default: UTC).")
        parser.add_argument("--currency", default="EUR", help="ISO 4217 code (default: EUR).")
        parser.add_argument("--sender-name", default="", help="Who the store's emails are from (default: its name).")
        parser.add_argument("--sender-email", default="", help="The address the store's emails are from.")

    def handle(self, *args, slug: str, owner: str, password: str, **options):
        if store_by_slug(slug=slug) is not None:
            raise CommandError(f"A store with the slug {slug!r} exists already.")
        generated = ""
        try:
            with transaction.atomic():  # no owner account is left behind when the store is refused
                user = user_for_sign_in(owner)
                created_user = user is None
                if created_user:
                    generated = "" if password else secrets.token_urlsafe(12)
                    user = user_get_or_create(email=owner, password=password or generated)
                store = store_create_for_owner(
                    owner=user,
                    name=options["name"],
                    slug=slug,
                    languages=_languages(options["languages"]) or [options["language"]],
                    default_language=options["language"],
                    time_zone=options["time_zone"],
                    currency=options["currency"].strip().upper(),
                    sender_name=options["sender_name"],
                    sender_email=options["sender_email"],
                )
        except ValidationError as exc:
            problems = (
                [f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise CommandError("The store was not created. " + " ".join(problems)) from exc

        self.stdout.write(f"Created store {store.name!r} ({store.slug}), owned by {user.email or user.get_username()}.")
        if not created_user:
            self.stdout.write("The owner's account existed already and keeps its password.")
        elif generated:
            self.stdout.write(f"Their password, shown only this once: {generated}")
            self.stdout.write(f"They can change it later: manage.py changepassword {user.get_username()}")

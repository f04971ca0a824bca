"""After putting a new key first in FIELD_ENCRYPTION_KEYS (or a new SECRET_KEY with the old one in
SECRET_KEY_FALLBACKS): re-save every connection so its secrets are encrypted with the new key. Then the old
key can be dropped."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.integrations.models import Connection

ENCRYPTED = ("secret", "previous_secret", "api_key", "api_token")


class Command(BaseCommand):
    help = "Re-encrypt every stored shop token and webhook secret with the current first key."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update().order_by("pk"):
                connection.save(update_fields=[*ENCRYPTED, "modified_at"])
                count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the secrets of {count} connection(s)."))

"""Shop tokens and webhook secrets are encrypted at rest, and survive a key rotation."""

import io

import pytest
from django.core.management import call_command
from django.db import connection as db

from apps.integrations.models import Connection
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db
ENCRYPTED = ("secret", "previous_secret", "api_key", "api_token")


def raw(pk: int, column: str) -> str | None:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM integrations_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def keys(settings):
    """Switch the encryption keys; the fields cache the keys they derived, so forget those too."""

    def use(*salts: str) -> None:
        settings.SALT_KEY = list(salts)
        for field in Connection._meta.fields:
            field.__dict__.pop("keys", None)
            field.__dict__.pop("f", None)

    yield use
    for field in Connection._meta.fields:
        field.__dict__.pop("keys", None)
        field.__dict__.pop("f", None)


def test_the_database_never_holds_a_secret_in_clear(keys):
    keys("first-key")
    saved = Connection.objects.create(
        store=StoreFactory(), source="woocommerce", secret="whsec_1", api_key="ck_2", api_token="cs_3"
    )

    for column, value in zip(ENCRYPTED, ("whsec_1", None, "ck_2", "cs_3"), strict=True):
        stored = raw(saved.pk, column)
        assert (stored is None) if value is None else (value not in stored and stored.startswith("gAAAA"))
    assert Connection.objects.get(pk=saved.pk).api_token == "cs_3"


def test_a_new_key_reads_old_secrets_and_reencrypting_moves_them_to_it(keys):
    keys("old-key")
    saved = Connection.objects.create(store=StoreFactory(), source="shopify", secret="whsec_old", api_token="shpat_1")
    before = raw(saved.pk, "api_token")

    keys("new-key", "old-key")
    assert Connection.objects.get(pk=saved.pk).api_token == "shpat_1"
    call_command("reencrypt_secrets", stdout=io.StringIO())
    call_command("reencrypt_secrets", stdout=io.StringIO())
    assert raw(saved.pk, "api_token") != before

    keys("new-key")  # the old key dropped: still readable
    again = Connection.objects.get(pk=saved.pk)
    assert (again.api_token, again.secret) == ("shpat_1", "whsec_old")

"""API keys: shown once, stored as a digest, found by it, revocable, and touched at most once a minute."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.stores.models import ApiKey
from apps.stores.selectors import api_key_for_token, api_keys_for_store
from apps.stores.services import api_key_create, api_key_revoke, api_key_touch
from tests.stores.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_key_is_returned_once_and_only_its_digest_is_stored():
    store = StoreFactory()
    # when a key is created
    api_key, key = api_key_create(store=store, name="ERP sync")
    # then the plain key is long, random and marked as ours
    assert key.startswith("ag_") and len(key) >= 40
    # and the row holds its SHA-256 and a short prefix, never the key itself
    row = ApiKey.objects.values().get(pk=api_key.pk)
    assert row["hashed_key"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == key[:11]
    assert not any(key in str(value) for value in row.values())
    assert (api_key.store, api_key.name, api_key.last_used_at, api_key.revoked_at) == (store, "ERP sync", None, None)


def test_two_keys_differ_and_each_finds_its_own_row():
    store = StoreFactory()
    first, first_key = api_key_create(store=store, name="one")
    second, second_key = api_key_create(store=store, name="two")
    assert first_key != second_key
    assert api_key_for_token(token=first_key) == first
    assert api_key_for_token(token=second_key) == second
    assert list(api_keys_for_store(store=store)) == [second, first]


@pytest.mark.parametrize("token", ["", "ag_", "ag_not-a-key", "not-ours", "ag_" + "x" * 300])
def test_an_unknown_token_finds_nothing(token):
    api_key_create(store=StoreFactory(), name="real")
    assert api_key_for_token(token=token) is None


def test_a_key_differing_in_one_character_finds_nothing():
    _, key = api_key_create(store=StoreFactory(), name="real")
    almost = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert api_key_for_token(token=almost) is None


def test_revoking_keeps_the_row_and_the_first_revocation_time():
    api_key, key = api_key_create(store=StoreFactory(), name="old")
    with time_machine.travel("2025-03-01T10:00:00Z", tick=False):
        api_key_revoke(api_key=api_key)
    with time_machine.travel("2025-03-02T10:00:00Z", tick=False):
        api_key_revoke(api_key=api_key)
    found = api_key_for_token(token=key)
    assert found is not None and not found.is_active
    assert found.revoked_at.isoformat() == "2025-03-01T10:00:00+00:00"


def test_last_used_is_written_at_most_once_a_minute():
    api_key, _ = api_key_create(store=StoreFactory(), name="busy")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api_key_touch(api_key=api_key)
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        api_key_touch(api_key=ApiKey.objects.get(pk=api_key.pk))
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api_key_touch(api_key=ApiKey.objects.get(pk=api_key.pk))
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start + timedelta(seconds=61)


def test_create_api_key_refuses_an_unknown_store():
    with pytest.raises(CommandError, match="No store with the slug 'nowhere'"):
        call_command("create_api_key", "nowhere")
    assert not ApiKey.objects.exists()


def test_create_api_key_takes_a_name(capsys):
    store = StoreFactory(slug="harbour")
    call_command("create_api_key", "harbour", "--name", "Warehouse")
    key = capsys.readouterr().out.strip()
    assert ApiKey.objects.get(store=store).name == "Warehouse"
    assert api_key_for_token(token=key).store == store


def test_the_admin_lists_keys_and_shows_the_digest_read_only(client):
    api_key, key = api_key_create(store=StoreFactory(), name="shown")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/stores/apikey/")
    page = client.get(f"/admin/stores/apikey/{api_key.pk}/change/")
    assert listing.status_code == 200 and api_key.prefix in listing.content.decode()
    html = page.content.decode()
    assert page.status_code == 200
    assert api_key.hashed_key in html and 'name="hashed_key"' not in html
    assert key not in html
    assert client.get("/admin/stores/apikey/add/").status_code == 403

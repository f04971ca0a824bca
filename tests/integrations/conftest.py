import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.urls import reverse

from apps.integrations.models import Connection
from tests.stores.factories import StoreFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture_bytes(relative: str) -> bytes:
    """A real published payload from tests/fixtures (see its SOURCES.md), byte for byte: signatures are over these."""
    return (FIXTURES / relative).read_bytes()


def fixture_json(relative: str):
    return json.loads(fixture_bytes(relative))


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def store():
    return StoreFactory(slug="northwind")


@pytest.fixture
def connect(store):
    """Give the store a connection to a source with a known secret."""

    def make(source: str, secret: str = "test-webhook-secret", **extra) -> Connection:
        return Connection.objects.create(store=store, source=source, secret=secret, **extra)

    return make


@pytest.fixture
def post_webhook(client, store):
    """POST raw bytes to /webhooks/<source>/<store>/ with the given headers (HTTP_ names handled)."""

    def post(
        source: str,
        body: bytes,
        headers: dict[str, str],
        *,
        store_slug: str | None = None,
        content_type="application/json",
    ):
        url = reverse("integrations:webhook", kwargs={"source": source, "store_slug": store_slug or store.slug})
        return client.post(url, data=body, content_type=content_type, headers=headers)

    return post


@pytest.fixture
def waits(monkeypatch):
    """The outbound client's pauses between attempts, recorded instead of slept."""
    from apps.integrations import calls

    slept: list[float] = []
    monkeypatch.setattr(calls, "pause", slept.append)
    return slept

from datetime import UTC, datetime

import pytest

from apps.campaigns.models import Flow, MessagingPolicy
from apps.campaigns.services.flows import flows_install_defaults
from tests.campaigns import esp
from tests.campaigns.batch_esp import TOKEN, FakePostmark
from tests.stores.factories import StoreFactory


@pytest.fixture
def store():
    return StoreFactory(
        slug="northwind", default_language="en", languages=["en", "ru", "it", "ko", "kk"], time_zone="Europe/Rome"
    )


LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def flows(store):
    """The default flows, switched on long ago, in a store that takes anything reported late as present:
    tests build the past in an instant (a parcel "delivered 11 days ago" is created now). The rules
    about history have tests of their own (test_present.py)."""
    flows_install_defaults(store=store)
    Flow.objects.filter(store=store).update(enabled=True, live_since=LONG_AGO)
    MessagingPolicy.objects.update_or_create(store=store, defaults={"history_max_age_hours": 32767})
    return {flow.kind: flow for flow in Flow.objects.filter(store=store)}


@pytest.fixture
def scripted_esp(settings):
    settings.EMAIL_BACKEND = "tests.campaigns.esp.ScriptedBackend"
    esp.SCRIPT.clear()
    yield esp.SCRIPT
    esp.SCRIPT.clear()


@pytest.fixture
def postmark(settings, httpserver):
    """Anymail's Postmark backend pointed at a fake /email/batch (tests.campaigns.batch_esp)."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": httpserver.url_for("/")}
    fake = FakePostmark()
    httpserver.expect_request("/email/batch", method="POST").respond_with_handler(fake)
    return fake

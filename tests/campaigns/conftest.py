import pytest

from apps.campaigns.models import Flow
from apps.campaigns.services import flows_install_defaults
from tests.campaigns import esp
from tests.stores.factories import StoreFactory


@pytest.fixture
def store():
    return StoreFactory(
        slug="northwind", default_language="en", languages=["en", "ru", "it", "ko", "kk"], time_zone="Europe/Rome"
    )


@pytest.fixture
def flows(store):
    """The default flows, switched on."""
    flows_install_defaults(store=store)
    Flow.objects.filter(store=store).update(enabled=True)
    return {flow.kind: flow for flow in Flow.objects.filter(store=store)}


@pytest.fixture
def scripted_esp(settings):
    settings.EMAIL_BACKEND = "tests.campaigns.esp.ScriptedBackend"
    esp.SCRIPT.clear()
    yield esp.SCRIPT
    esp.SCRIPT.clear()

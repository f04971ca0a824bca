"""Schemathesis generates requests from /api/v1/openapi.json: whatever it sends, the API never answers 5xx."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from apps.stores.services import api_key_create
from tests.stores.factories import StoreFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def api_key(db):
    _, key = api_key_create(store=StoreFactory(slug="fuzz"), name="fuzz")
    return key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, api_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=[not_a_server_error])

"""Schemathesis generates requests from /api/v1/openapi.json: whatever it sends, the API never answers 5xx, and
always answers JSON."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from apps.stores.services import api_key_create
from tests.stores.factories import StoreFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection_open():
    """Calling the WSGI app directly fires request_finished, whose handler would close the database
    connection the test's transaction lives on; Django's own test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db):
    _, key = api_key_create(store=StoreFactory(slug="fuzz"), name="fuzz")
    return key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, api_key):
    # derandomized: CI runs the same examples each time (the hand-written fuzzer beside the API's tests,
    # tests/integrations/test_api_fuzz_writes.py, bends valid bodies with hostile values)
    response = case.call(headers={"Authorization": f"Bearer {api_key}"})
    case.validate_response(response, checks=[not_a_server_error])
    assert response.headers["content-type"][0].startswith("application/json"), response.content

"""The optional read replica (config/db_router.py): dashboard reports and buyer pages read from it; whatever
must see its own writes reads the primary. The "replica" alias here is a second connection to the test
database (as TEST MIRROR makes it when DATABASE_REPLICA_URL is set), so each query's alias is observable."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from apps.orders.models import Order
from apps.rollups.refresh import store_rollups_refresh
from config.db_router import REPLICA, STICKY_COOKIE, ReplicaRouter, replica_reads
from tests.stores.factories import MembershipFactory

# Transactional: under a test-wide transaction every read would stay on the primary.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """A "replica" alias on the test database, as settings make it for DATABASE_REPLICA_URL (TEST MIRROR)."""
    connections.settings[REPLICA] = {**connections.settings["default"], "TEST": {"MIRROR": "default"}}
    yield
    with django_db_blocker.unblock():
        connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica(settings):
    settings.DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
    return connections[REPLICA]


@pytest.fixture
def owner(client, replica):
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    store_rollups_refresh(store=membership.store)
    return membership


def tables(queries) -> str:
    return " ".join(query["sql"].split(" WHERE ")[0] for query in queries.captured_queries)


def test_the_dashboard_home_reads_its_figures_from_the_replica(client, owner, replica):
    with CaptureQueriesContext(connection) as primary, CaptureQueriesContext(replica) as replicated:
        response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    # the figures came from the replica...
    assert "rollups_storeday" in tables(replicated) and "rollups_rollupstate" in tables(replicated)
    # ...and who is signed in from the primary: a session is never read stale
    assert "django_session" in tables(primary) and "django_session" not in tables(replicated)
    assert "rollups_storeday" not in tables(primary)
    assert STICKY_COOKIE not in response.cookies  # it wrote nothing


def test_other_pages_read_the_primary(client, owner, replica):
    with CaptureQueriesContext(replica) as replicated:
        assert client.get(reverse("dashboard:order_list")).status_code == 200
    assert len(replicated) == 0


def test_after_a_post_the_same_browser_reads_the_primary_for_a_while(client, owner, replica, settings):
    # given an owner who just changed something (any write: here the session, switching store)
    response = client.post(reverse("dashboard:store_switch"), {"store_id": owner.store.pk})
    assert response.status_code == 302
    assert response.cookies[STICKY_COOKIE]["max-age"] == settings.REPLICA_STICKY_SECONDS
    # when they open the home in the sticky window, then nothing is read from the replica
    with CaptureQueriesContext(replica) as replicated, CaptureQueriesContext(connection) as primary:
        assert client.get(reverse("dashboard:home")).status_code == 200
    assert len(replicated) == 0 and "rollups_storeday" in tables(primary)
    # and once the window has passed, the home reads the replica again
    client.cookies[STICKY_COOKIE] = "0"
    with CaptureQueriesContext(replica) as replicated:
        client.get(reverse("dashboard:home"))
    assert "rollups_storeday" in tables(replicated)


def test_reads_after_a_write_in_the_same_request_go_to_the_primary(client, replica):
    # given a store whose figures were never counted: the home counts them (writes) on its first view
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    with CaptureQueriesContext(replica) as replicated, CaptureQueriesContext(connection) as primary:
        response = client.get(reverse("dashboard:home"))
    # then the state was looked for on the replica, written on the primary, and read back from the primary
    assert "rollups_rollupstate" in tables(replicated)
    written = [i for i, q in enumerate(primary.captured_queries) if q["sql"].startswith("INSERT")]
    reread = [i for i, q in enumerate(primary.captured_queries) if q["sql"].startswith('SELECT "rollups_storeday"')]
    assert written and reread and reread[-1] > written[0]
    assert "rollups_storeday" not in tables(replicated)
    # and the browser reads the primary for a while after
    assert STICKY_COOKIE in response.cookies


def test_the_router_keeps_transactions_and_writes_on_the_primary(replica):
    router = ReplicaRouter()
    # outside a request that allows it (a task, a command), reads go to the primary
    assert router.db_for_read(Order) is None
    with replica_reads():
        assert router.db_for_read(Order) == REPLICA
        assert router.db_for_read(Session) is None  # who is signed in: always the primary
        with transaction.atomic():
            assert router.db_for_read(Order) is None  # a read in a transaction may decide a write
        assert router.db_for_write(Order) == "default"
        assert router.db_for_read(Order) is None  # after a write, its own write must be visible
    with replica_reads():
        assert router.db_for_read(Order) == REPLICA  # the next unit of work starts afresh
    assert router.allow_migrate(REPLICA, "orders") is False


def test_reports_are_the_views_that_may_read_the_replica_and_the_tracking_page_is_not(settings):
    from config.db_router import _view_allowed

    # The tracking page caches what a miss reads under the newest version: a lagging replica would cache an
    # old page as the new one, so its misses read the primary (a warm page reads no database at all).
    assert not _view_allowed(resolve("/t/sometoken/"))
    assert _view_allowed(resolve(reverse("dashboard:home")))
    assert not _view_allowed(resolve(reverse("dashboard:order_list")))
    assert not _view_allowed(None)

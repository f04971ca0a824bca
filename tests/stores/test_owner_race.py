"""Two owners removing or demoting each other at the same moment leave the store with one owner, not
none. Needs PostgreSQL: each side runs in its own thread and connection, and only row locks make the
second wait for the first."""

import threading
import time

import pytest
from django.db import connection, transaction

from apps.stores.models import Membership, Role
from apps.stores.services import MembershipError, membership_change_role, membership_remove
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ACTIONS = {
    "remove": lambda membership: membership_remove(membership=membership),
    "demote": lambda membership: membership_change_role(membership=membership, role=Role.MANAGER),
}


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.01)


def is_waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:  # pg_blocking_pids is live, not a per-transaction snapshot
        cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid])
        return cursor.fetchone()[0]


@pytest.fixture
def two_owners():
    store = StoreFactory()
    return MembershipFactory(store=store, role=Role.OWNER), MembershipFactory(store=store, role=Role.OWNER)


@pytest.mark.parametrize(("first", "second"), [("remove", "remove"), ("demote", "demote"), ("remove", "demote")])
def test_owners_acting_on_each_other_while_the_first_is_uncommitted_keep_one_owner(two_owners, first, second):
    # given two owners; A acts on B and holds its transaction open until B's action on A has either
    # finished or is waiting for A's lock (a deterministic overlap, no sleeps to tune)
    a, b = two_owners
    first_done, second_pid, second_done = threading.Event(), [], threading.Event()
    outcomes, errors = {}, []

    def owner_a():
        try:
            with transaction.atomic():
                ACTIONS[first](b)
                first_done.set()
                wait_until(lambda: second_pid)
                wait_until(lambda: second_done.is_set() or is_waiting_for_a_lock(second_pid[0]))
            outcomes["a"] = "done"
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            first_done.set()
            connection.close()

    def owner_b():
        try:
            first_done.wait(10)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            try:
                ACTIONS[second](a)
                outcomes["b"] = "done"
            except MembershipError as exc:
                outcomes["b"] = str(exc)
        except Exception as exc:
            errors.append(exc)
        finally:
            second_done.set()
            connection.close()

    # when both run
    threads = [threading.Thread(target=owner_a), threading.Thread(target=owner_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # then the first change stands, the second is refused, and the store keeps exactly one owner
    assert errors == []
    assert outcomes["a"] == "done"
    assert "owner" in outcomes["b"]
    assert list(Membership.objects.filter(store=a.store, role=Role.OWNER).values_list("pk", flat=True)) == [a.pk]


@pytest.mark.parametrize("action", ["remove", "demote"])
def test_two_owners_acting_on_each_other_at_once_keep_one_owner(two_owners, action):
    # given two owners who press the button at the same moment, each on the other
    a, b = two_owners
    start = threading.Barrier(2)
    refused, errors = [], []

    def act(target):
        try:
            start.wait(10)
            ACTIONS[action](target)
        except MembershipError as exc:
            refused.append(str(exc))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(b,)), threading.Thread(target=act, args=(a,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # then exactly one of them went through and one owner is left
    assert errors == []
    assert len(refused) == 1
    assert Membership.objects.filter(store=a.store, role=Role.OWNER).count() == 1

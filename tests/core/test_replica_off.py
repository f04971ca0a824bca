"""Without DATABASE_REPLICA_URL (the default) the replica router and middleware change nothing."""

import pytest
from django.db import connections
from django.urls import reverse

from apps.orders.models import Order
from config.db_router import REPLICA, STICKY_COOKIE, ReplicaRouter, replica_reads
from tests.stores.factories import MembershipFactory


@pytest.mark.django_db
def test_without_a_replica_nothing_changes(client):
    # given no DATABASE_REPLICA_URL (the default): the router has nowhere else to send a read
    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    assert REPLICA not in connections.settings
    with replica_reads():
        assert ReplicaRouter().db_for_read(Order) is None
    # and a write sets no cookie
    response = client.post(reverse("dashboard:store_switch"), {"store_id": membership.store.pk})
    assert STICKY_COOKIE not in response.cookies

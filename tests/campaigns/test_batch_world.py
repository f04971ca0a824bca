"""A batch answers its decisions' questions from a few queries (sending.world.BatchWorld); the answers are
the ones the live database gives one message at a time (flows.world.LiveWorld)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns.flows.world import LiveWorld
from apps.campaigns.models import FlowKind, Message
from apps.campaigns.sending.batch import load
from apps.campaigns.sending.claim import claim_due
from apps.campaigns.sending.world import BatchWorld
from apps.campaigns.services.messages import Planned, messages_schedule
from apps.orders.models import OrderStatus
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def test_a_batch_world_answers_as_the_live_world_does(store, flows, django_assert_max_num_queries):
    now = timezone.now()
    buyers = [CustomerFactory(store=store, email=f"b{n}@example.com", consenting=True) for n in range(5)]
    OrderFactory(store=store, customer=buyers[0], email=buyers[0].email, placed_at=now - timedelta(days=3))
    OrderFactory(store=store, customer=buyers[1], email=buyers[1].email, placed_at=now - timedelta(days=3),
                 status=OrderStatus.CANCELLED)  # fmt: skip
    OrderFactory(store=store, customer=None, email=buyers[2].email, placed_at=now - timedelta(days=40))  # a guest
    for buyer, trait in ((buyers[3], "exception"), (buyers[4], "in_transit")):
        order = OrderFactory(store=store, customer=buyer, email=buyer.email, placed_at=now - timedelta(days=90))
        ShipmentFactory(store=store, order=order, **{trait: True})
    steps = list(flows[FlowKind.WIN_BACK].steps.order_by("position"))
    planned = [
        Planned(step=step, subject_key=f"customer:{buyer.pk}", email=buyer.email, customer_id=buyer.pk,
                scheduled_for=now - timedelta(minutes=1))
        for buyer in buyers for step in steps[:2]
    ]  # fmt: skip
    scheduled = messages_schedule(planned)
    messages = load(claim_due(transactional=False, limit=100))
    assert len(messages) == len(scheduled) == 10

    # buyer 0 got a marketing email an hour ago, buyer 1 three days ago, buyer 2 one whose fate is unknown
    for buyer, ago, status in ((buyers[0], 1, "sent"), (buyers[1], 72, "sent"), (buyers[2], 2, "unknown")):
        earlier = MessageFactory(store=store, step=steps[2], customer=buyer, email=buyer.email, transactional=False)
        Message.objects.filter(pk=earlier.pk).update(
            status=status, sent_at=now - timedelta(hours=ago), claimed_at=now - timedelta(hours=ago)
        )
    with django_assert_max_num_queries(6):  # a fixed number, whatever the batch's size
        world = BatchWorld(messages, now=now)
    live = LiveWorld()
    for message in messages:
        buyer = {"store_id": message.store_id, "email": message.email, "customer_id": message.customer_id}
        for start in (now - timedelta(days=7), now - timedelta(days=60)):
            asked = {**buyer, "start": start, "end": now}
            assert world.ordered_between(**asked) == live.ordered_between(**asked)
        assert world.buyer_has_troubled_parcel(**buyer, at=now) == live.buyer_has_troubled_parcel(**buyer, at=now)
        assert world.previous_step(message) == live.previous_step(message)
        for window in (timedelta(hours=24), timedelta(days=7)):
            assert world.paced_sends(message, now - window) == live.paced_sends(message, now - window)
    answers = [world.buyer_has_troubled_parcel(**{"store_id": store.pk, "email": b.email, "customer_id": b.pk},
                                               at=now) for b in buyers]  # fmt: skip
    assert answers == [False, False, False, True, False]
    paced = {message.customer_id: len(world.paced_sends(message, now - timedelta(hours=24))) for message in messages}
    # each buyer's other claimed email counts (being sent), plus buyer 0's of an hour ago and buyer 2's unknown one
    assert [paced[buyer.pk] for buyer in buyers] == [2, 1, 2, 1, 1]

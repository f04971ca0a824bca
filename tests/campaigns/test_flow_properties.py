"""Over generated timelines of carts (left at any hour, reported late or as history, bought or not, with
or without consent) and of outages, the abandoned-cart flow as beat and the dispatcher run it and as the
simulator replays it agree on who gets which email, and no email ever goes outside its window, before
its moment, or closer to the previous one of its series than their delays say."""

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from apps.campaigns.dispatch import message_send, messages_due
from apps.campaigns.models import Flow, FlowKind, Message, MessageStatus, MessagingPolicy
from apps.campaigns.scans import run_scan
from apps.campaigns.services.flows import flow_toggle
from apps.campaigns.simulator import GOES_OUT, simulate
from apps.customers.inputs import CustomerIn
from apps.orders.inputs import CartIn, LineIn
from apps.orders.models import Cart
from apps.orders.services import cart_upsert
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
TICK = timedelta(hours=1)  # each email's moment falls on a tick, so beat and the replay judge the same instant
DAYS = 7
EXAMPLES = int(os.environ.get("FLOW_PROPERTY_EXAMPLES", 12))  # 40 and more pass too; CI keeps to 12


@dataclass(frozen=True)
class CartStory:
    left_after_hours: int  # after the flow went live
    reported_late_hours: int  # 0: reported as it happened
    as_history: bool
    consenting: bool
    bought_after_hours: int | None


stories = st.builds(
    CartStory,
    left_after_hours=st.integers(min_value=-30, max_value=60),
    reported_late_hours=st.sampled_from([0, 0, 0, 2, 30]),
    as_history=st.sampled_from([False, False, True]),
    consenting=st.booleans(),
    bought_after_hours=st.none() | st.integers(min_value=0, max_value=100),
)


def happenings(store, carts: list[CartStory]) -> list[tuple[datetime, object]]:
    """What happens to the store, in time order: each cart reported when its story says, each purchase
    when it is made. Rows are written at that moment, as webhooks write them, never ahead of time."""
    events = []
    for n, story in enumerate(carts):
        left = START + timedelta(hours=story.left_after_hours)
        customer = CustomerFactory(store=store, email=f"c{n}@example.com", marketing_consent=story.consenting)

        def report(left=left, customer=customer, n=n, story=story):
            return cart_upsert(
                store=store,
                data=CartIn(
                    external_id=f"c{n}",
                    updated_at=left,
                    currency="EUR",
                    email=customer.email,
                    customer=CustomerIn(email=customer.email),
                    lines=[LineIn(title="Beans")],
                    historical=story.as_history,
                ),
            )[0]

        events.append((left + timedelta(hours=story.reported_late_hours), report))
        if story.bought_after_hours is not None:
            bought = left + timedelta(hours=story.bought_after_hours)

            def buy(bought=bought, customer=customer):
                return OrderFactory(store=store, customer=customer, email=customer.email, placed_at=bought)

            events.append((bought, buy))
    return sorted(events, key=lambda event: event[0])


@settings(
    max_examples=EXAMPLES,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    carts=st.lists(stories, min_size=1, max_size=4),
    outage=st.none() | st.tuples(st.integers(0, 80), st.integers(1, 40)),
)
def test_beat_dispatch_and_the_simulator_agree_and_no_email_leaves_its_window(carts, outage):
    store = StoreFactory(time_zone="Europe/Rome")
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    # pacing has its own tests; here it would only make the live run and the replay wait differently
    MessagingPolicy.objects.update_or_create(
        store=store, defaults={"frequency_cap_count": 0, "quiet_hours_start": 0, "quiet_hours_end": 0}
    )
    with time_machine.travel(START):
        flow_toggle(flow=flow, enabled=True)
    pending = happenings(store, carts)
    built = {}
    # beat every hour for a week, except during the outage (no scan, no send)
    now = START - timedelta(days=2)
    while now < START + timedelta(days=DAYS):
        while pending and pending[0][0] <= now:
            at, happen = pending.pop(0)
            with time_machine.travel(at, tick=False):
                row = happen()
            if isinstance(row, Cart):
                built[row.external_id] = row
        hours = (now - START).total_seconds() / 3600
        down = hours < 0 or (outage is not None and outage[0] <= hours < outage[0] + outage[1])
        if not down:
            with time_machine.travel(now, tick=False):
                run_scan("abandoned_carts", store=store, now=now)
                for message_id, _transactional in messages_due(now=now):
                    message_send(message_id=message_id, now=now)
        now += TICK
    sent = list(Message.objects.filter(store=store, status=MessageStatus.SENT).select_related("step", "cart"))

    # no email outside its window, before its moment, or too close to the previous one of its cart
    for message in sent:
        moment = message.cart.updated_at + timedelta(minutes=message.step.delay_minutes)
        assert moment <= message.sent_at <= message.latest_at, message.step.key
    by_cart = {}
    for message in sorted(sent, key=lambda m: m.step.position):
        previous = by_cart.get(message.cart_id)
        if previous is not None:
            gap = timedelta(minutes=message.step.delay_minutes - previous.step.delay_minutes)
            assert message.sent_at - previous.sent_at >= gap
        by_cart[message.cart_id] = message
    # nothing for history, nothing for a cart before the flow was on or reported a day late, nothing to a
    # buyer without consent, nothing after they bought
    for n, story in enumerate(carts):
        cart = built.get(f"c{n}")
        for message in (m for m in sent if cart is not None and m.cart_id == cart.pk):
            assert not story.as_history and story.consenting
            assert story.left_after_hours >= 0 and story.reported_late_hours < 24
            if story.bought_after_hours is not None:
                assert message.sent_at <= cart.updated_at + timedelta(hours=story.bought_after_hours)

    # without an outage, the simulator replaying the week says exactly who got which email
    if outage is None:
        end = START + timedelta(days=DAYS)
        replay = simulate(flow=flow, now=end, window=end - START)
        replayed = {
            (e.trigger.subject_key, e.step.key) for e in replay.emails if e.outcome in GOES_OUT and e.send_at < end
        }
        live = {(m.subject_key, m.step.key) for m in sent}
        assert live == replayed

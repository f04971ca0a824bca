"""Shared helpers for dashboard tests: every URL of the namespace, and one object of each kind a URL
with an id points at, so tenancy and role tests cover every page."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from apps.campaigns.models import Flow, FlowKind
from apps.campaigns.services.coupons import coupon_pool_create
from apps.campaigns.services.variants import variant_add
from apps.dashboard.access import action_of
from apps.feedback.services.nps import nps_record
from apps.integrations.models import HistorySync
from apps.stores.services import api_key_create, invitation_create
from tests.campaigns.factories import MessageFactory
from tests.customers.factories import CustomerFactory
from tests.integrations.factories import ConnectionFactory, ImportJobFactory, InboundEventFactory, ProductFeedFactory
from tests.orders.factories import OrderFactory
from tests.reviews.factories import ReviewFactory
from tests.shipments.factories import ShipmentFactory
from tests.stores.factories import MembershipFactory, StoreFactory


def dashboard_url_patterns() -> list[URLPattern]:
    """Every URL of the dashboard namespace, as the URL resolver serves it."""
    (dashboard,) = [p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "dashboard"]
    for pattern in dashboard.url_patterns:
        assert isinstance(pattern, URLPattern)
    return dashboard.url_patterns


def dashboard_patterns() -> list[tuple[str, list[str]]]:
    """Every URL name of the dashboard namespace, with the names of its path arguments."""
    return [(pattern.name, list(pattern.pattern.converters)) for pattern in dashboard_url_patterns()]


def dashboard_url_actions() -> dict[str, str | None]:
    """Each dashboard URL name with the action its view declared (`member_required(action)`, or PUBLIC for
    `membership_not_required`), read from the view the resolver calls; None where the view declared none."""
    return {pattern.name: action_of(pattern.callback) for pattern in dashboard_url_patterns()}


def kind_of(name: str) -> str:
    """order_detail -> order, api_key_revoke -> api: which object a URL with an id is about."""
    return URL_OBJECT_KINDS.get(name, name.split("_")[0])


# URLs whose name does not start with the kind of object their id belongs to.
URL_OBJECT_KINDS = {"variant_add": "step"}


def objects_for(store, *, invited_by=None) -> dict:
    """One object of every kind a dashboard URL takes an id of, all in `store`."""
    customer = CustomerFactory(store=store)
    order = OrderFactory(store=store, customer=customer)
    shipment = ShipmentFactory(order=order)
    flow = Flow.objects.get(store=store, kind=FlowKind.ABANDONED_CART)
    step = flow.steps.order_by("position").first()
    variant = variant_add(step=step, subject={"en": "Still thinking it over?"})
    case = nps_record(order=order, score=2).case
    api_key, _key = api_key_create(store=store, name="ERP")
    invitation, token = invitation_create(
        store=store, email=f"new-{store.slug}@example.com", role="support", invited_by=invited_by
    )
    connection = ConnectionFactory(store=store, source="shopify", state="connected")
    HistorySync.objects.create(store=store, connection=connection, since=timezone.now(), status="done")
    return {
        "order": order,
        "shipment": shipment,
        "customer": customer,
        "inbound": InboundEventFactory(store=store),
        "import": ImportJobFactory(store=store),
        "feed": ProductFeedFactory(store=store),
        "message": MessageFactory(store=store, sent=True),
        "flow": flow,
        "step": step,
        "variant": variant,
        "critic": case,
        "member": MembershipFactory(store=store, role="support"),
        "invitation": invitation,
        "api": api_key,
        "coupon": coupon_pool_create(store=store, name="Shop codes"),
        "token": token,
        "connection": connection,
        "review": ReviewFactory(store=store, line__order=order),
    }


def kwargs_for(name: str, arguments: list[str], objects: dict) -> dict:
    if arguments == ["token"]:
        return {"token": objects["token"]}
    if arguments == ["source"]:
        return {"source": objects["connection"].source}
    return {argument: objects[kind_of(name)].pk for argument in arguments}


@pytest.fixture
def store_a_objects():
    return objects_for(StoreFactory(slug="store-a"))

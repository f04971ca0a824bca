"""Writes from buyer pages: block clicks and the newsletter signup (views are counted in page_views.py)."""

from django.db import transaction

from apps.customers.models import ConsentSource, Customer
from apps.customers.services import customer_get_or_create, customer_set_marketing_consent
from apps.orders.models import Order

from .models import PageBlock, PageEvent, PageEventKind

TARGET_MAX = PageEvent._meta.get_field("target").max_length


def page_event_record(*, store_id: int, order_id: int | None, block: PageBlock, kind: PageEventKind, target=""):
    return PageEvent.objects.create(
        store_id=store_id, order_id=order_id, block=block, kind=kind, target=(target or "")[:TARGET_MAX]
    )


@transaction.atomic
def newsletter_signup(*, order: Order) -> Customer | None:
    """The buyer asked for marketing email from the tracking page: consent, with its source, and a click.

    A guest order's email becomes a customer of the store. A suppressed address is not signed up.
    """
    customer = order.customer
    if customer is None:
        if not order.email:
            return None
        customer, _created = customer_get_or_create(store=order.store, email=order.email)
    if customer.is_suppressed:
        return None
    customer = customer_set_marketing_consent(
        customer=customer, granted=True, source=ConsentSource.TRACKING_PAGE, note=f"order {order.number}"
    )
    page_event_record(
        store_id=order.store_id,
        order_id=order.pk,
        block=PageBlock.NEWSLETTER,
        kind=PageEventKind.CLICK,
        target="signup",
    )
    return customer

"""Every default email in every language, rendered as a buyer gets it (from its default blocks), kept in
test-artifacts/emails/ for a person to read; and in each, money and dates as the buyer's language writes them
and, in Korean marketing mail, the (광고) mark."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from apps.campaigns.dispatch import build_email
from apps.campaigns.models import FlowStep, StepEditor
from apps.campaigns.services.messages import Planned, messages_schedule
from tests.customers.factories import CustomerFactory
from tests.orders.factories import OrderFactory, OrderLineFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "emails"
CURRENCY = {"en": "USD", "ru": "RUB", "it": "EUR", "ko": "KRW", "kk": "KZT"}
TOTAL = {"en": "$39,000.00", "ru": "39 000 ₽", "it": "39.000,00 €", "ko": "39,000원", "kk": "39 000 ₸"}


@pytest.mark.parametrize("language", ["en", "ru", "it", "ko", "kk"])
def test_every_default_email_renders_in_the_buyers_language(flows, store, language):
    store.currency = CURRENCY[language]
    store.save(update_fields=["currency"])
    buyer = CustomerFactory(store=store, locale=language, consenting=True, first_name="Ana")
    order = OrderFactory(
        store=store, customer=buyer, email=buyer.email, total=Decimal("39000"), currency=store.currency
    )
    OrderLineFactory(order=order)
    shipment = ShipmentFactory(order=order, estimated_delivery=timezone.localdate() + timezone.timedelta(days=3))
    steps = FlowStep.objects.filter(flow__store=store).select_related("flow")
    planned = [
        Planned(step=step, subject_key=f"render:{language}:{step.pk}", email=buyer.email, scheduled_for=timezone.now(),
                customer_id=buyer.pk, order_id=order.pk, shipment_id=shipment.pk)
        for step in steps
    ]  # fmt: skip
    folder = ARTIFACTS / language
    folder.mkdir(parents=True, exist_ok=True)
    rendered = {}
    for message in messages_schedule(planned):  # rendered as dispatch renders it, whatever the pacing rules say
        _email, parts = build_email(message)
        rendered[(message.step.flow.kind, message.step.key)] = parts
        (folder / f"{message.step.flow.kind}-{message.step.key}.html").write_text(parts["html"])
        assert message.step.editor == StepEditor.BLOCKS
        # One call to action: a primary button, or the NPS scale (a cart's or a product's button needs a cart or
        # a product, which these messages have not: it is hidden).
        unlinked = message.step.flow.kind in ("nps_survey", "abandoned_cart", "replenishment")
        assert parts["html"].count('class="ag-primary"') == (not unlinked), message.step.key
        # Marketing mail, and an order or shipping email carrying a coupon (the delay apology's), is advertising.
        korean_ad = language == "ko" and (not message.transactional or hasattr(message, "coupon"))
        assert parts["subject"].startswith("(광고) ") == korean_ad, parts["subject"]
        assert parts["language"] == language
    assert len(rendered) == steps.count() >= 15
    confirmation = rendered[("order_confirmation", "confirmation")]["html"]
    assert TOTAL[language] in confirmation.replace("\xa0", " ").replace("&nbsp;", " ")

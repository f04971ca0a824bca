"""The setup checklist on the dashboard home: six steps, each done or not from what the database holds,
shown until every one is done."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from apps.campaigns.models import Flow, FlowKind
from apps.campaigns.services.flows import flow_toggle
from apps.dashboard.setup import setup_checklist
from apps.integrations.models import ImportStatus
from apps.stores import sender_domain
from apps.stores.services import api_key_create, api_key_revoke, store_create_for_owner
from tests.integrations.factories import ConnectionFactory, ImportJobFactory
from tests.stores.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

STEPS = ["shop", "tracking", "brand", "sender_domain", "test_email", "flows"]
PUBLISHED = {
    "new.example": ["v=spf1 include:spf.esp.example ~all"],
    "s1._domainkey.new.example": ["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1"],
    "_dmarc.new.example": ["v=DMARC1; p=none; rua=mailto:hello@new.example"],
}


@pytest.fixture
def owner(client):
    """The owner of a store just created in the dashboard: default brand, flows off, nothing connected."""
    user = UserFactory()
    store = store_create_for_owner(owner=user, name="New Shop", slug="new-shop", sender_email="hello@new.example")
    client.force_login(user)
    return store


def done(store) -> dict[str, bool]:
    return {step.key: step.done for step in setup_checklist(store)}


def home(client) -> str:
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_store_sees_six_steps_none_done_in_order(client, owner):
    # given a store just created, when its owner opens the dashboard
    page = home(client)
    # then the checklist is there, with six steps, none done, each with a way to do it
    assert "Set up your store" in page
    assert "0 of 6 done" in page
    assert [step.key for step in setup_checklist(owner)] == STEPS
    assert not any(done(owner).values())
    assert page.count("Do this: ") == 5  # five links, and one button that sends the test email
    assert f'action="{reverse("dashboard:setup_test_send")}"' in page
    assert f'href="{reverse("dashboard:brand")}"' in page and f'href="{reverse("dashboard:flow_list")}"' in page
    assert f'href="{reverse("dashboard:sender_domain")}"' in page


def test_the_shop_step_counts_a_working_connection_an_api_key_or_a_finished_import(owner):
    # a connection that does not work yet is not enough
    connection = ConnectionFactory(store=owner, source="shopify", state="pending")
    assert not done(owner)["shop"]
    connection.state = "connected"
    connection.save()
    assert done(owner)["shop"]
    connection.enabled = False
    connection.save()
    assert not done(owner)["shop"]
    # an API key in use counts, a revoked one does not
    api_key, _key = api_key_create(store=owner, name="ERP")
    assert done(owner)["shop"]
    api_key_revoke(api_key=api_key)
    assert not done(owner)["shop"]
    # a CSV import counts once it is done
    job = ImportJobFactory(store=owner, status=ImportStatus.RUNNING)
    assert not done(owner)["shop"]
    job.status = ImportStatus.DONE
    job.save()
    assert done(owner)["shop"]


def test_the_tracking_step_counts_a_working_carrier_connection_only(owner):
    ConnectionFactory(store=owner, source="shopify", state="connected")
    assert not done(owner)["tracking"]
    ConnectionFactory(store=owner, source="17track", state="connected")
    assert done(owner)["tracking"]


def test_the_brand_step_counts_a_colour_changed_or_a_logo(owner):
    owner.accent_colour = "#c2410c"
    assert done(owner)["brand"]
    owner.accent_colour = "#2563eb"  # back to the default
    assert not done(owner)["brand"]
    owner.logo.save("logo.png", ContentFile(b"png"), save=False)
    assert done(owner)["brand"]


def test_the_test_email_button_sends_it_and_ticks_the_step(client, owner, mailoutbox):
    response = client.post(reverse("dashboard:setup_test_send"))
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("[TEST]")
    assert mailoutbox[0].to == [owner.memberships.get().user.email]
    owner.refresh_from_db()
    assert done(owner)["test_email"]
    assert "Test sent to" in home(client)


def test_the_checklist_disappears_once_every_step_is_done(client, owner, monkeypatch, settings):
    # given every step done, one by one, through the pages and services a merchant uses
    ConnectionFactory(store=owner, source="woocommerce", state="connected")
    ConnectionFactory(store=owner, source="aftership", state="connected")
    owner.primary_colour = "#0f766e"
    owner.save()
    settings.SENDER_SPF_INCLUDE = "spf.esp.example"
    monkeypatch.setattr(sender_domain, "resolve_txt", lambda name: PUBLISHED.get(name, []))
    client.post(reverse("dashboard:sender_domain"), {"dkim_selector": "s1"})
    assert "4 of 6 done" in home(client)
    client.post(reverse("dashboard:setup_test_send"))
    assert "5 of 6 done" in home(client)
    flow_toggle(flow=Flow.objects.get(store=owner, kind=FlowKind.ORDER_CONFIRMATION), enabled=True)
    owner.refresh_from_db()
    # then every step is done and the home shows no checklist
    assert all(done(owner).values())
    page = home(client)
    assert "Set up your store" not in page
    assert "Setup steps" not in page


def test_support_never_sees_the_checklist(client, owner):
    support = MembershipFactory(store=owner, role="support")
    client.force_login(support.user)
    response = client.get(reverse("dashboard:home"), follow=True)
    assert "Set up your store" not in response.content.decode()

"""Every registry a lower app offers is filled, at start-up, by the higher apps that own what it stands for
(docs/architecture.md, "Layers"): a hook left empty would quietly show no block, make no link or purge nothing."""

from dataclasses import fields

from apps.campaigns import block_content, coupon_shop, links
from apps.core.retention import PURGES
from apps.customers.privacy import PARTS
from apps.integrations.tasks import coupon_push_task
from apps.tracking import blocks


def test_emails_know_how_to_link_to_every_buyer_page():
    assert all(getattr(links.MAKERS, field.name) is not None for field in fields(links.Makers))


def test_the_tracking_page_has_its_coupon_and_nps_blocks():
    owners = {field.name: getattr(blocks.HOOKS, field.name).__module__ for field in fields(blocks.Hooks)}
    assert owners == {
        "coupon_for_order": "apps.campaigns.page_blocks",
        "nps_score": "apps.feedback.selectors",
        "nps_scale": "apps.feedback.links",
        "preferences_path": "apps.feedback.links",
    }


def test_the_email_engine_asks_the_shop_for_codes_through_the_integrations_task():
    assert coupon_shop.coupon_push_task.task is coupon_push_task
    assert "reviews" in block_content.PROVIDERS


def test_the_retention_purge_and_the_gdpr_erasure_reach_every_app_that_keeps_data():
    assert set(PURGES) == {"inbound_payloads", "message_bodies", "outbound_calls"}
    assert set(PARTS) == {"orders", "shipments", "integrations", "campaigns", "feedback", "reviews"}

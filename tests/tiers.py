"""Which tests the fast tier (`make test-fast`) leaves out: they are marked `slow` at collection
(tests/conftest.py) and the full suite (`make test`, CI) runs them.

Slow by folder: the browser journeys and the fault tests (real Celery workers, PostgreSQL). Slow by module:
those whose tests cost on average about 0.1 s of CPU or more each on SQLite (most build a store with its
flows and open pages), the fuzzing and property suites among them. Measured on 2 December 2026, per-test
CPU time over the SQLite suite: 416 s for 2,520 tests; the fast tier keeps about 1,400 of them, about 105 s
with start-up. Move a module here when it grows slow: the fast tier should stay under two minutes on an
idle two-core machine.
"""

from pathlib import Path

TESTS = Path(__file__).resolve().parent

SLOW_FOLDERS = frozenset({"browser", "faults"})

SLOW_MODULES = frozenset(
    {
        "campaigns/design/test_compile_once.py",
        "campaigns/design/test_dispatch_design.py",
        "campaigns/test_batch_sending.py",
        "campaigns/test_batch_world.py",
        "campaigns/test_bounce_policy.py",
        "campaigns/test_cart_reason_branches.py",
        "campaigns/test_coupon_in_shop.py",
        "campaigns/test_coupons_ab_attribution.py",
        "campaigns/test_default_designs.py",
        "campaigns/test_dispatch.py",
        "campaigns/test_esp_feedback.py",
        "campaigns/test_flow_properties.py",
        "campaigns/test_holdout.py",
        "campaigns/test_ledger.py",
        "campaigns/test_present.py",
        "campaigns/test_preview.py",
        "campaigns/test_rendered_defaults.py",
        "campaigns/test_scans.py",
        "campaigns/test_sender_header.py",
        "campaigns/test_transactional.py",
        "core/test_healthz.py",
        "core/test_replica_routing.py",
        "core/test_retention.py",
        "core/test_schedules.py",
        "dashboard/test_brand.py",
        "dashboard/test_brand_values.py",
        "dashboard/test_cart_reasons.py",
        "dashboard/test_charts_in_every_language.py",
        "dashboard/test_connections.py",
        "dashboard/test_critics.py",
        "dashboard/test_critics_desk.py",
        "dashboard/test_customers.py",
        "dashboard/test_email_designer.py",
        "dashboard/test_flows.py",
        "dashboard/test_holdout_lift.py",
        "dashboard/test_home.py",
        "dashboard/test_home_attention.py",
        "dashboard/test_home_rollups.py",
        "dashboard/test_inbound_log.py",
        "dashboard/test_last_owner.py",
        "dashboard/test_login.py",
        "dashboard/test_login_lockout.py",
        "dashboard/test_message_log.py",
        "dashboard/test_onboarding.py",
        "dashboard/test_pages.py",
        "dashboard/test_roles.py",
        "dashboard/test_scan_runs_start.py",
        "dashboard/test_sending_rules.py",
        "dashboard/test_setup_checklist.py",
        "dashboard/test_step_pool.py",
        "dashboard/test_team.py",
        "dashboard/test_tenancy.py",
        "demo/test_demo_engagement.py",
        "demo/test_seed_demo.py",
        "demo/test_seed_shipments.py",
        "feedback/test_cart_reason_page.py",
        "feedback/test_desk_inbound.py",
        "feedback/test_desk_privacy.py",
        "feedback/test_desk_resurvey_reasons.py",
        "feedback/test_handoff.py",
        "feedback/test_human_answers.py",
        "feedback/test_insights.py",
        "integrations/test_api.py",
        "integrations/test_api_fuzz_writes.py",
        "integrations/test_calls.py",
        "integrations/test_carrier_words.py",
        "integrations/test_csv_import.py",
        "integrations/test_feed_fetch_guard.py",
        "integrations/test_feeds.py",
        "integrations/test_history_sync.py",
        "integrations/test_hostile_input.py",
        "integrations/test_import_errors_in_words.py",
        "integrations/test_secret_encryption.py",
        "integrations/test_shopify_buyers.py",
        "integrations/test_shopify_history_resume.py",
        "integrations/test_shopify_oauth.py",
        "integrations/test_shopify_remote.py",
        "integrations/test_test_events.py",
        "integrations/test_tracking_registration.py",
        "integrations/test_tracking_registration_remotes.py",
        "integrations/test_webhook_fuzz.py",
        "orders/test_models.py",
        "reviews/test_moderation.py",
        "security/test_api_fuzz.py",
        "security/test_pages_policy.py",
        "shipments/test_prediction_learning.py",
        "shipments/test_prediction_pages.py",
        "tracking/test_lookup_throttle.py",
        "tracking/test_newsletter.py",
        "tracking/test_nps_prompt_landing.py",
        "tracking/test_page_cache.py",
    }
)


def is_slow(path: Path) -> bool:
    """Whether the test module at `path` belongs to the slow tier."""
    path = Path(path).resolve()
    if not path.is_relative_to(TESTS):
        return False
    relative = path.relative_to(TESTS)
    return relative.parts[0] in SLOW_FOLDERS or relative.as_posix() in SLOW_MODULES

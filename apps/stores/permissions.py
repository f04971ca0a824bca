"""What each role may do. Views ask `can(membership, action)`; the server enforces it, never the UI alone.

Owner: everything, including members and API keys. Manager: flows, content (brand), reports and imports.
Support: the critics queue, and read-only customers, orders, shipments and the message log.
"""

from .models import Membership, Role

ALL_ROLES = frozenset(Role)
OWNER_AND_MANAGER = frozenset({Role.OWNER, Role.MANAGER})
OWNER_ONLY = frozenset({Role.OWNER})

ACTIONS: dict[str, frozenset[Role]] = {
    "view_dashboard": ALL_ROLES,
    "view_orders": ALL_ROLES,
    "view_customers": ALL_ROLES,
    "view_shipments": ALL_ROLES,
    "view_messages": ALL_ROLES,
    "work_critics": ALL_ROLES,
    "edit_flows": OWNER_AND_MANAGER,
    "edit_brand": OWNER_AND_MANAGER,
    "view_reports": OWNER_AND_MANAGER,
    "view_inbound": OWNER_AND_MANAGER,
    "import_data": OWNER_AND_MANAGER,
    # Connecting a shop or tracking service: its credentials, webhooks and history import.
    "manage_connections": OWNER_AND_MANAGER,
    "replay_inbound": OWNER_AND_MANAGER,
    "manage_members": OWNER_ONLY,
    "manage_api_keys": OWNER_ONLY,
    # GDPR: exporting everything held about a buyer, and erasing it.
    "manage_privacy": OWNER_ONLY,
    # Starting a periodic scan by hand, outside its schedule: it may plan emails to many buyers at once.
    "run_scans": OWNER_ONLY,
}

# Pages anyone may open, signed in or not (an invitation link is opened before the person has an account).
PUBLIC = "public"

# Which action each dashboard page needs. The role-by-URL test checks every URL of the `dashboard`
# namespace against it for every role, and fails for a URL missing here: a new page cannot skip it.
DASHBOARD_URL_ACTIONS: dict[str, str] = {
    "home": "view_dashboard",  # support is sent on to the critics queue (reports are for owners and managers)
    "store_switch": "view_dashboard",
    "scan_run_list": "view_reports",
    "scan_run_start": "run_scans",
    "order_list": "view_orders",
    "order_detail": "view_orders",
    "shipment_list": "view_shipments",
    "shipment_detail": "view_shipments",
    "customer_list": "view_customers",
    "customer_detail": "view_customers",
    "customer_export": "manage_privacy",
    "customer_erase": "manage_privacy",
    "import_list": "import_data",
    "import_detail": "import_data",
    "import_progress": "import_data",
    "import_errors": "import_data",
    "feed_list": "import_data",
    "feed_refresh": "import_data",
    "message_list": "view_messages",
    "message_detail": "view_messages",
    "message_body": "view_messages",
    # Cancelling a planned email is a decision about the flows' mail: whoever edits flows.
    "message_cancel": "edit_flows",
    "inbound_list": "view_inbound",
    "inbound_detail": "view_inbound",
    "inbound_replay": "replay_inbound",
    "outbound_list": "view_inbound",  # the calls-out log: the same people as the inbound log
    # Coupon pools feed flow steps' incentives: whoever edits flows reads and fills them.
    "coupon_pool_list": "edit_flows",
    "coupon_pool_detail": "edit_flows",
    "flow_list": "edit_flows",
    "flow_toggle": "edit_flows",
    "flow_detail": "edit_flows",
    "flow_reorder": "edit_flows",
    "flow_simulate": "edit_flows",
    "step_edit": "edit_flows",
    "step_preview": "edit_flows",
    "step_preview_frame": "edit_flows",
    "step_test_send": "edit_flows",
    "variant_add": "edit_flows",
    "variant_remove": "edit_flows",
    "brand": "edit_brand",
    "brand_email_preview": "edit_brand",
    "brand_tracking_preview": "edit_brand",
    "sending_rules": "edit_flows",
    "tracking_report": "view_reports",
    "critic_list": "work_critics",
    "critic_detail": "work_critics",
    "critic_assign": "work_critics",
    "critic_start": "work_critics",
    "critic_resolve": "work_critics",
    "critic_resurvey": "work_critics",
    "critic_reply": "work_critics",
    "critic_note": "work_critics",
    "critic_handoff": "work_critics",
    "helpdesk_settings": "manage_api_keys",
    "saved_reply_list": "work_critics",
    "nps_insights": "work_critics",
    "nps_insights_csv": "work_critics",
    "member_list": "manage_members",
    "member_role": "manage_members",
    "member_remove": "manage_members",
    "invitation_revoke": "manage_members",
    "invitation_accept": PUBLIC,
    "api_key_list": "manage_api_keys",
    "api_key_revoke": "manage_api_keys",
    "connection_list": "manage_connections",
    "connection_detail": "manage_connections",
    "connection_rotate": "manage_connections",
    "connection_test_event": "manage_connections",
    "connection_disconnect": "manage_connections",
    "connection_progress": "manage_connections",
    "connection_history_retry": "manage_connections",
    # Anyone signed in may create a store (they become its owner), a member of none too: sign-in is the gate.
    "store_create": PUBLIC,
    "setup_test_send": "edit_flows",
    "sender_domain": "edit_brand",
}


def can(membership: Membership | None, action: str) -> bool:
    return membership is not None and membership.role in ACTIONS[action]

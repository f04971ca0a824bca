"""What each role may do. Views ask `can(membership, action)`; the server enforces it, never the UI alone.
Each dashboard view names its action once, in `@member_required(action)` (apps/dashboard/access.py).

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
    # Approving, rejecting and answering product reviews: the people who answer buyers.
    "moderate_reviews": ALL_ROLES,
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


def can(membership: Membership | None, action: str) -> bool:
    return membership is not None and membership.role in ACTIONS[action]

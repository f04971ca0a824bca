"""What each role may do. Views ask `can(membership, action)`; the server enforces it, never the UI alone."""

from .models import Membership, Role

ALL_ROLES = frozenset(Role)
ACTIONS: dict[str, frozenset[Role]] = {
    "view_dashboard": ALL_ROLES,
    "view_orders": ALL_ROLES,
    "view_customers": ALL_ROLES,
    "view_shipments": ALL_ROLES,
    "view_messages": ALL_ROLES,
    "work_critics": ALL_ROLES,
    "edit_flows": frozenset({Role.OWNER, Role.MANAGER}),
    "edit_brand": frozenset({Role.OWNER, Role.MANAGER}),
    "view_reports": frozenset({Role.OWNER, Role.MANAGER}),
    "view_inbound": frozenset({Role.OWNER, Role.MANAGER}),
    "import_data": frozenset({Role.OWNER, Role.MANAGER}),
    "replay_inbound": frozenset({Role.OWNER, Role.MANAGER}),
    "manage_members": frozenset({Role.OWNER}),
    "manage_api_keys": frozenset({Role.OWNER}),
}


def can(membership: Membership | None, action: str) -> bool:
    return membership is not None and membership.role in ACTIONS[action]

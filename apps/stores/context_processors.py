from .selectors import memberships_for_user
from .tenancy import current_membership


def current_store(request):
    """The store switcher's data, for dashboard pages only (buyer pages never see it)."""
    if not request.path.startswith("/dashboard/"):
        return {}
    membership = current_membership(request)
    if membership is None:
        return {}
    return {
        "current_membership": membership,
        "current_store": membership.store,
        "all_memberships": memberships_for_user(user=request.user),
    }

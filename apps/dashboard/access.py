"""The gate every dashboard view passes: signed in, a member of the current store, allowed the action.

Each view declares its action once, here, by its decorator; the decorator records it on the view
(`action_of(view)`), and the role-by-URL test reads it from the URL resolver for every dashboard URL,
so a page without a declared action fails that test instead of opening for everyone.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.stores.permissions import ACTIONS, can
from apps.stores.tenancy import current_membership

# The recorded action of a page that needs no membership of a store (an invitation link is opened before
# the person has an account; anyone signed in may create a store and become its owner).
PUBLIC = "public"

ACTION_ATTRIBUTE = "dashboard_action"


def action_of(view) -> str | None:
    """The action a dashboard view declared (an ACTIONS key, or PUBLIC), or None if it declared none.
    Decorators built with functools.wraps (require_POST, never_cache, ...) carry it outwards."""
    return getattr(view, ACTION_ATTRIBUTE, None)


def member_required(action: str = "view_dashboard"):
    if action not in ACTIONS:  # a misspelt action fails at import, not on the first request
        raise ImproperlyConfigured(f"member_required({action!r}): not an action of apps.stores.permissions")

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = current_membership(request)
            if membership is None:
                return render(request, "dashboard/no_store.html", status=403)
            if not can(membership, action):
                raise PermissionDenied(
                    _("Your role (%(role)s) cannot do this.") % {"role": membership.get_role_display()}
                )
            request.membership = membership
            request.store = membership.store
            return view(request, *args, **kwargs)

        setattr(wrapper, ACTION_ATTRIBUTE, action)
        return wrapper

    return decorator


def membership_not_required(view):
    """Declares a dashboard page that opens without a membership of any store; the view does its own
    checks (a valid invitation token, a signed-in person)."""
    setattr(view, ACTION_ATTRIBUTE, PUBLIC)
    return view

"""The gate every dashboard view passes: signed in, a member of the current store, allowed the action."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.stores.permissions import can
from apps.stores.tenancy import current_membership


def member_required(action: str = "view_dashboard"):
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

        return wrapper

    return decorator

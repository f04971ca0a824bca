"""Which store a signed-in person is working in: their choice, kept in the session, if they belong to it."""

from django.http import HttpRequest

from .models import Membership
from .selectors import membership_for_user

SESSION_KEY = "current_store_id"


def current_membership(request: HttpRequest) -> Membership | None:
    if not hasattr(request, "_current_membership"):
        membership = None
        if request.user.is_authenticated:
            membership = membership_for_user(user=request.user, store_id=request.session.get(SESSION_KEY))
        request._current_membership = membership
    return request._current_membership


def switch_store(request: HttpRequest, *, store_id: int) -> Membership | None:
    """Switch only into a store the person belongs to; anything else leaves the choice as it was."""
    membership = membership_for_user(user=request.user, store_id=store_id)
    if membership is None or membership.store_id != store_id:
        return None
    request.session[SESSION_KEY] = store_id
    request._current_membership = membership
    return membership

"""Template helpers for a merchant's first hour: the setup checklist on the home page, and whether the sign-in
page offers sign-up. (The home view stays as it is; the checklist is read where it is shown.)"""

from django import template
from django.conf import settings

from apps.stores.models import Store

register = template.Library()


@register.simple_tag
def setup_progress_for(store):
    """{% setup_progress_for request.store as setup %}: the checklist and its count; None outside a store."""
    if not isinstance(store, Store):
        return None
    from apps.dashboard.setup import setup_progress

    return setup_progress(store)


@register.simple_tag
def signup_allowed() -> bool:
    """{% signup_allowed as can_sign_up %}: ALLOW_SIGNUP (on by default with DEBUG)."""
    return bool(getattr(settings, "ALLOW_SIGNUP", False))

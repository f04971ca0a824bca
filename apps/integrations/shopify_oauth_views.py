"""The two pages of the Shopify app install: send the merchant to Shopify, take them back.

Neither calls out: the callback only checks what Shopify signed and queues the connection setup task (see
apps/integrations/sources/shopify/oauth.py). Both 404 unless the operator configured a Shopify app.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from apps.stores.permissions import can
from apps.stores.selectors import membership_for_user
from apps.stores.tenancy import current_membership

from .sources.shopify.client import shop_domain
from .sources.shopify.oauth import (
    OAuthRefused,
    authorize_url,
    callback_verify,
    issue_state,
    oauth_connection_pending,
    oauth_enabled,
)

# Connecting a shop hands Afterglow its credentials and its customers: owners and managers, as on the
# connections page.
ACTION = "manage_connections"
TEMPLATE = "integrations/shopify_install.html"


class ShopForm(forms.Form):
    shop = forms.CharField(
        label=gettext_lazy("Shop address"),
        max_length=255,
        help_text=gettext_lazy("Your shop's myshopify.com name, for example northwind.myshopify.com."),
    )

    def clean_shop(self) -> str:
        value = self.cleaned_data["shop"].strip().lower()
        if "." not in value:
            value = f"{value}.myshopify.com"  # "northwind" is what many merchants type
        domain = shop_domain(value)
        if not domain:
            raise forms.ValidationError(
                _("Enter the shop's myshopify.com address, for example northwind.myshopify.com.")
            )
        return domain


def connections_page() -> str:
    try:
        return reverse("dashboard:connection_list")
    except NoReverseMatch:
        return reverse("dashboard:home")


@login_required
@require_http_methods(["GET", "POST"])
def install(request):
    # The dashboard's gate, asked of the stores app directly: integrations does not import the dashboard.
    membership = current_membership(request)
    if membership is None or not can(membership, ACTION):
        raise PermissionDenied(_("Your role cannot connect a shop."))
    request.store = membership.store
    if not oauth_enabled():
        raise Http404(_("No Shopify app is configured."))
    form = ShopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shop = form.cleaned_data["shop"]
        state = issue_state(request.session, store_id=request.store.pk, shop=shop)
        return redirect(authorize_url(shop, state))
    return render(request, TEMPLATE, {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def callback(request):
    """Shopify's redirect after the merchant approved (a GET by necessity; the signed, one-use state is what
    makes it safe to act on)."""
    if not oauth_enabled():
        raise Http404(_("No Shopify app is configured."))
    try:
        answer = callback_verify(query=request.GET, session=request.session)
    except OAuthRefused as exc:
        return render(request, TEMPLATE, {"form": ShopForm(), "error": str(exc)}, status=400)
    membership = membership_for_user(user=request.user, store_id=answer.store_id)
    if membership is None or membership.store_id != answer.store_id or not can(membership, ACTION):
        raise PermissionDenied(_("Only the store's owner can connect a shop."))
    oauth_connection_pending(store=membership.store, shop=answer.shop, code=answer.code)
    messages.success(
        request,
        _("Shopify approved the installation. Afterglow is now connecting to %(shop)s.") % {"shop": answer.shop},
    )
    return redirect(connections_page())

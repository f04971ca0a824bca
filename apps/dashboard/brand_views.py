"""The store's brand: logo, colours (with contrast warnings), sender and contacts, links, languages,
time zone and currency, with previews of the buyer's tracking page and an email."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from apps.campaigns.models import FlowKind
from apps.campaigns.preview import preview_step
from apps.campaigns.selectors import first_step_of_kind
from apps.core.contrast import AA_NON_TEXT, AA_TEXT, contrast_ratio, is_hex_colour, readable_text_on
from apps.orders.selectors import orders_for_store
from apps.stores.services import store_update_brand
from apps.tracking.views import tracking_page

from .access import member_required
from .forms import BrandForm
from .message_views import EMAIL_PREVIEW_CSP

# The email preview may show the store's logo from this server (http in development). Scripts: the
# dashboard's baseline ('self'); none runs anyway, in a sandboxed frame of sanitised HTML.
BRAND_EMAIL_CSP = {**EMAIL_PREVIEW_CSP, "img-src": [CSP.SELF, "https:", "data:"], "script-src": [CSP.SELF]}
# The buyer page under its own policy, framed by the dashboard only.
TRACKING_PREVIEW_CSP = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}


TEXT_WARNING = gettext_lazy("Body text on your background colour is hard to read.")
ACCENT_WARNING = gettext_lazy(
    "Your accent colour is hard to read on the background; buyer pages use a darker or lighter shade of it for text."
)
PRIMARY_WARNING = gettext_lazy("Your primary colour barely stands out from the background.")
ON_PRIMARY_WARNING = gettext_lazy("Text on your primary colour is hard to read.")


def contrast_checks(primary: str, accent: str, background: str) -> list[dict]:
    """The colour pairs buyers read, their WCAG contrast ratio, and whether each is readable."""
    colours = (primary, accent, background)
    if not all(is_hex_colour(c) for c in colours):
        return []
    on_primary = readable_text_on(primary)
    checks = [
        (_("Text on the background"), readable_text_on(background), background, AA_TEXT, TEXT_WARNING),
        (_("Links and buttons on the background"), accent, background, AA_TEXT, ACCENT_WARNING),
        (_("Header on the background"), primary, background, AA_NON_TEXT, PRIMARY_WARNING),
        (_("Text on the primary colour"), on_primary, primary, AA_TEXT, ON_PRIMARY_WARNING),
    ]
    results = []
    for label, foreground, behind, needed, warning in checks:
        ratio = contrast_ratio(foreground, behind)
        results.append(
            {
                "label": label,
                "foreground": foreground,
                "background": behind,
                "ratio": round(ratio, 2),
                "needed": needed,
                "ok": ratio >= needed,
                "warning": warning,
            }
        )
    return results


@member_required("edit_brand")
def brand(request):
    store = request.store
    form = BrandForm(request.POST or None, request.FILES or None, instance=store)
    if request.method == "POST" and form.is_valid():
        try:
            store_update_brand(store=store, **form.brand_fields())
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Brand saved. The previews below show it as buyers will."))
            return redirect("dashboard:brand")
    colours = [
        form[name].value() if form.is_bound else getattr(store, name)
        for name in ("primary_colour", "accent_colour", "background_colour")
    ]
    context = {
        "form": form,
        "checks": contrast_checks(*colours),
        "has_order": orders_for_store(store=store).exists(),
    }
    return render(request, "dashboard/brand.html", context, status=400 if form.errors else 200)


@xframe_options_sameorigin
@csp_override(BRAND_EMAIL_CSP)
@member_required("edit_brand")
def brand_email_preview(request):
    """The order confirmation with sample data, in the store's default language."""
    step = first_step_of_kind(store=request.store, kind=FlowKind.ORDER_CONFIRMATION)
    if step is None:
        return HttpResponse(format_html("<p>{}</p>", _("This store has no order confirmation email.")))
    return HttpResponse(preview_step(step=step, language=request.store.default_language).email.html)


@never_cache
@xframe_options_sameorigin
@csp_override(TRACKING_PREVIEW_CSP)
@member_required("edit_brand")
def brand_tracking_preview(request):
    """The buyer tracking page of the store's latest order, as its buyer sees it. Whatever the page
    records (its block views) is rolled back: a merchant's preview is not a buyer's visit."""
    order = orders_for_store(store=request.store).first()
    if order is None:
        return HttpResponse(
            format_html("<p>{}</p>", _("The tracking page preview appears with the store's first order."))
        )
    with transaction.atomic():
        response = tracking_page(request, token=order.tracking_token)
        transaction.set_rollback(True)
    return response

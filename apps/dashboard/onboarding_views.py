"""A merchant's first hour: sign up, create a store, send a test email, set up the sender domain.

Sign-up is open only when ALLOW_SIGNUP is on (by default, with DEBUG); otherwise it is a 404. Anyone signed
in may create a store, of which they become the owner.
"""

import logging

from anymail.exceptions import AnymailError
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.campaigns.models import FlowKind
from apps.campaigns.preview import send_test
from apps.campaigns.rendering import TemplateError
from apps.campaigns.selectors import first_step_of_kind
from apps.stores.sender_domain import sender_domain_status
from apps.stores.services import (
    AccountExists,
    store_check_sender_domain,
    store_create_for_owner,
    store_record_test_send,
    user_sign_up,
)
from apps.stores.tenancy import current_membership, switch_store

from .access import member_required, membership_not_required
from .forms import SenderDomainCheckForm, SignupForm, StoreCreateForm

logger = logging.getLogger(__name__)


@never_cache
@sensitive_post_parameters("password")
def signup(request):
    if not settings.ALLOW_SIGNUP:
        raise Http404
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                first_name=form.cleaned_data["name"],
            )
        except AccountExists as exc:
            form.add_error("email", str(exc))
        else:
            login(request, user, backend="apps.stores.auth.EmailBackend")
            messages.success(request, _("Welcome to Afterglow. Start with your store."))
            return redirect("dashboard:store_create")
    return render(request, "dashboard/signup.html", {"form": form}, status=400 if form.errors else 200)


@membership_not_required
@login_required
def store_create(request):
    """A new store, owned by the person creating it, who then works in it."""
    form = StoreCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store = store_create_for_owner(owner=request.user, **form.store_fields())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            switch_store(request, store_id=store.pk)
            messages.success(request, _("%(name)s is ready. Here is what to set up next.") % {"name": store.name})
            return redirect("dashboard:home")
    has_store = current_membership(request) is not None
    context = {"form": form, "base_template": "base_dashboard.html" if has_store else "dashboard/auth_base.html"}
    return render(request, "dashboard/store_create.html", context, status=400 if form.errors else 200)


@require_POST
@member_required("edit_flows")
def setup_test_send(request):
    """Send the order confirmation, with sample data, to the signed-in person: a step of the setup checklist."""
    store = request.store
    step = first_step_of_kind(store=store, kind=FlowKind.ORDER_CONFIRMATION)
    to = request.user.email
    if step is None:
        messages.error(request, _("This store has no order confirmation email to send."))
    elif not to:
        messages.error(request, _("Your account has no email address to send the test to."))
    else:
        try:
            send_test(step=step, language=store.default_language, to=to)
        except TemplateError as exc:
            messages.error(request, _("Not sent: the template has an error (%(error)s).") % {"error": exc})
        except AnymailError:
            logger.exception("setup test email for store %s not sent", store.pk)
            messages.error(request, _("Not sent: the email service refused it. Check its settings and try again."))
        else:
            store_record_test_send(store=store)
            messages.success(request, _("Test sent to %(to)s. Look in your inbox (and spam folder).") % {"to": to})
    return redirect("dashboard:home")


@never_cache
@member_required("edit_brand")
def sender_domain(request):
    """The DNS records the sender address's domain needs, and a check of what is published now."""
    store = request.store
    status = sender_domain_status(store=store, spf_include=settings.SENDER_SPF_INCLUDE)
    form = SenderDomainCheckForm(request.POST or None, initial={"dkim_selector": status["selector"]})
    if request.method == "POST" and not status["domain"]:
        messages.error(request, _("Add a sender address on the Brand page first."))
    elif request.method == "POST" and form.is_valid():
        report = store_check_sender_domain(store=store, dkim_selector=form.cleaned_data["dkim_selector"])
        if report["unreachable"]:
            messages.warning(request, _("DNS could not be reached, so nothing was checked. See below."))
        else:
            messages.success(request, _("Checked the DNS of %(domain)s.") % {"domain": report["domain"]})
        return redirect("dashboard:sender_domain")
    context = {"form": form, **status}
    return render(request, "dashboard/sender_domain.html", context, status=400 if form.errors else 200)

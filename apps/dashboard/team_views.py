"""The owner's pages: members and invitations, and API keys. Accepting an invitation is public (the
person may have no account yet); the link's token is the proof."""

import logging

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.stores.models import Role
from apps.stores.selectors import (
    api_key_for_store,
    api_keys_for_store,
    invitation_for_store,
    invitation_for_token,
    membership_for_store,
    memberships_for_store,
    open_invitations_for_store,
    user_by_email,
)
from apps.stores.services import (
    MembershipError,
    api_key_create,
    invitation_create,
    invitation_send,
    membership_change_role,
    membership_remove,
)
from apps.stores.services import (
    api_key_revoke as revoke_api_key,
)
from apps.stores.services import (
    invitation_accept as accept_invitation,
)
from apps.stores.services import (
    invitation_revoke as revoke_invitation,
)
from apps.stores.tenancy import switch_store

from .access import member_required, membership_not_required
from .forms import AcceptExistingUserForm, AcceptNewUserForm, ApiKeyForm, InviteForm, RoleForm

logger = logging.getLogger(__name__)


@member_required("manage_members")
def member_list(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = invitation_create(
                store=request.store,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except MembershipError as exc:
            form.add_error("email", str(exc))
        else:
            try:
                invitation_send(invitation=invitation, token=token)
            except Exception:  # the invitation stands; the owner can cancel it and invite again
                logger.exception("invitation %s not sent", invitation.pk)
                messages.error(
                    request,
                    _("The invitation for %(email)s was saved but the email failed.") % {"email": invitation.email},
                )
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("dashboard:member_list")
    context = {
        "members": memberships_for_store(store=request.store),
        "invitations": open_invitations_for_store(store=request.store),
        "form": form,
        "roles": Role.choices,
    }
    return render(request, "dashboard/member_list.html", context, status=400 if form.errors else 200)


@require_POST
@member_required("manage_members")
def member_role(request, pk: int):
    membership = membership_for_store(store=request.store, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("dashboard:member_list")
    try:
        membership_change_role(membership=membership, role=form.cleaned_data["role"])
    except MembershipError as exc:
        messages.error(request, str(exc))
    else:
        role = Role(form.cleaned_data["role"]).label.lower()
        messages.success(request, _("%(email)s is now %(role)s.") % {"email": membership.user.email, "role": role})
    return redirect("dashboard:member_list")


@require_POST
@member_required("manage_members")
def member_remove(request, pk: int):
    membership = membership_for_store(store=request.store, pk=pk)
    try:
        membership_remove(membership=membership)
    except MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(email)s no longer has access to %(store)s.")
            % {"email": membership.user.email, "store": request.store.name},
        )
    return redirect("dashboard:member_list")


@require_POST
@member_required("manage_members")
def invitation_revoke(request, pk: int):
    invitation = invitation_for_store(store=request.store, pk=pk)
    revoke_invitation(invitation=invitation)
    messages.success(request, _("The invitation for %(email)s no longer works.") % {"email": invitation.email})
    return redirect("dashboard:member_list")


@membership_not_required
@never_cache
def invitation_accept(request, token: str):
    """Join a store from an invitation link: a new person chooses a password; someone who already has
    an account confirms with theirs (or is already signed in as the invited address)."""
    invitation = invitation_for_token(token=token)
    if invitation is None:
        raise Http404
    if not invitation.is_open():
        return render(
            request, "dashboard/invitation_accept.html", {"invitation": invitation, "closed": True}, status=410
        )
    existing = user_by_email(email=invitation.email)
    signed_in_as_invited = request.user.is_authenticated and request.user.username == invitation.email
    if signed_in_as_invited:
        form = None
    elif existing is not None:
        form = AcceptExistingUserForm(request.POST or None)
    else:
        form = AcceptNewUserForm(request.POST or None, email=invitation.email)

    if request.method == "POST":
        user, ok = None, form is None or form.is_valid()
        if ok and signed_in_as_invited:
            user = request.user
        elif ok and existing is not None:
            user = authenticate(request, username=invitation.email, password=form.cleaned_data["password"])
            if user is None:
                form.add_error("password", _("That password is not right."))
                ok = False
        if ok:
            try:
                user = accept_invitation(
                    invitation=invitation,
                    user=user,
                    password=form.cleaned_data["password"] if user is None else "",
                    first_name=form.cleaned_data.get("first_name", "") if user is None else "",
                    last_name=form.cleaned_data.get("last_name", "") if user is None else "",
                )
            except MembershipError as exc:
                messages.error(request, str(exc))
            else:
                if not signed_in_as_invited:
                    login(request, user, backend="apps.stores.auth.EmailBackend")
                switch_store(request, store_id=invitation.store_id)
                messages.success(request, _("Welcome to %(store)s.") % {"store": invitation.store.name})
                return redirect("dashboard:home")
    context = {"invitation": invitation, "form": form, "existing": existing is not None}
    return render(
        request, "dashboard/invitation_accept.html", context, status=400 if form is not None and form.errors else 200
    )


@never_cache  # a new key is shown once, in this response: no cache may keep it
@member_required("manage_api_keys")
def api_key_list(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _api_key, new_key = api_key_create(store=request.store, name=form.cleaned_data["name"])
        form = ApiKeyForm()
    context = {"keys": api_keys_for_store(store=request.store), "form": form, "new_key": new_key}
    return render(request, "dashboard/api_key_list.html", context, status=400 if form.errors else 200)


@require_POST
@member_required("manage_api_keys")
def api_key_revoke(request, pk: int):
    api_key = api_key_for_store(store=request.store, pk=pk)
    revoke_api_key(api_key=api_key)
    messages.success(
        request,
        _("The key “%(name)s” (%(prefix)s…) no longer works.") % {"name": api_key.name, "prefix": api_key.prefix},
    )
    return redirect("dashboard:api_key_list")

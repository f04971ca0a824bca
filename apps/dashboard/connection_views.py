"""Connections: the shop and tracking services a store is plugged into, each with its webhook address to copy,
its write-only credentials, its state, its last deliveries and errors, a test event and a way out.

Nothing here calls a shop: saving queues the setup on the `integrations` queue and the page shows its progress.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.integrations.models import ConnectionState, Source
from apps.integrations.registry import remote_for, remotes
from apps.integrations.selectors import (
    connection_for_store,
    connections_for_store,
    deliveries_by_source,
    latest_history_sync,
    recent_outbound_calls,
    registration_counts,
)
from apps.integrations.services.connections import (
    ConnectionRefused,
    connection_disconnect,
    connection_rotate_secret,
    connection_save,
)
from apps.integrations.services.shop_history import history_retry
from apps.integrations.services.test_events import webhook_url
from apps.integrations.tasks import connection_test_event_task

from .access import member_required

SHOP_SOURCES = (Source.SHOPIFY, Source.WOOCOMMERCE)
TRACKING_SOURCES = (Source.AFTERSHIP, Source.SEVENTEENTRACK, Source.EASYPOST)
SAVED_MASK = "••••••••"


def _remote_or_404(source: str):
    remote = remote_for(source)
    if remote is None:
        raise Http404(_("Afterglow does not connect to this source."))
    return remote


def credentials_form_for(remote, connection):
    """A form with the fields the source needs. Secrets are write-only: empty means "keep the saved one"."""
    fields = {}
    for spec in remote.fields:
        saved = bool(connection and getattr(connection, spec.target))
        if spec.secret:
            widget = forms.PasswordInput(
                attrs={"autocomplete": "off", "placeholder": SAVED_MASK + " " + _("saved") if saved else ""},
                render_value=False,
            )
            help_text = spec.help_text + (" " + _("Leave empty to keep the saved value.") if saved else "")
            fields[spec.name] = forms.CharField(
                label=spec.label, required=spec.required and not saved, widget=widget, help_text=help_text.strip()
            )
        else:
            fields[spec.name] = forms.CharField(
                label=spec.label,
                required=spec.required,
                help_text=spec.help_text,
                initial=getattr(connection, spec.target, "") if connection else "",
                max_length=255,
            )
    for spec in remote.fields:
        if spec.clean is not None:
            fields[f"clean_{spec.name}"] = _cleaner(spec)
    return type("CredentialsForm", (forms.Form,), fields)


def _cleaner(spec):
    def clean(form):
        value = form.cleaned_data.get(spec.name, "")
        if not value:
            return value
        try:
            return spec.clean(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    return clean


class RotateForm(forms.Form):
    new_secret = forms.CharField(
        label=gettext_lazy("New webhook secret"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        max_length=255,
        help_text=gettext_lazy("The one the source now signs with. The old one is still accepted for 24 hours."),
    )


def _card(store, source, connection, deliveries):
    remote = remote_for(source)
    return {
        "source": source,
        "label": Source(source).label,
        "remote": remote,
        "connection": connection,
        "webhook_url": f"{settings.SITE_URL}/webhooks/{source}/{store.slug}/",
        "deliveries": deliveries.get(source, {}),
    }


@member_required("manage_connections")
def connection_list(request):
    store = request.store
    connections = connections_for_store(store=store)
    deliveries = deliveries_by_source(
        store=store, since=timezone.now() - timedelta(hours=24), sources=list(connections)
    )
    available = remotes()
    context = {
        "shops": [_card(store, s, connections.get(s), deliveries) for s in SHOP_SOURCES if s in available],
        "trackers": [_card(store, s, connections.get(s), deliveries) for s in TRACKING_SOURCES if s in available],
        "registrations": registration_counts(store=store),
        "esp": {
            "name": settings.ANYMAIL_ESP or "",
            # Anymail checks basic auth on its webhooks: the ESP sends ANYMAIL_WEBHOOK_SECRET's user:password.
            "webhook_url": settings.SITE_URL.replace("://", "://USER:PASSWORD@", 1)
            + f"/anymail/{settings.ANYMAIL_ESP}/tracking/"
            if settings.ANYMAIL_ESP
            else "",
            "secret_set": bool(settings.ANYMAIL.get("WEBHOOK_SECRET")),
        },
    }
    return render(request, "dashboard/connection_list.html", context)


@member_required("manage_connections")
def connection_detail(request, source: str):
    store = request.store
    remote = _remote_or_404(source)
    connection = connection_for_store(store=store, source=source)
    form_class = credentials_form_for(remote, connection)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection_save(store=store, source=source, values=form.cleaned_data)
        except ConnectionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved. Afterglow is connecting now; this page shows how it goes."))
            return redirect("dashboard:connection_detail", source=source)
    since = timezone.now() - timedelta(hours=24)
    deliveries = deliveries_by_source(store=store, since=since, sources=[source] if connection else []).get(source, {})
    context = {
        "source": source,
        "label": Source(source).label,
        "remote": remote,
        "connection": connection,
        "form": form,
        "rotate_form": RotateForm(),
        "webhook_url": webhook_url(connection)
        if connection
        else f"{settings.SITE_URL}/webhooks/{source}/{store.slug}/",
        "deliveries": deliveries,
        "sync": latest_history_sync(connection=connection) if connection else None,
        "calls": recent_outbound_calls(connection=connection) if connection else [],
        "registrations": registration_counts(store=store) if remote.kind == "tracking" else {},
        "now": timezone.now(),
        "oauth": source == Source.SHOPIFY and bool(settings.SHOPIFY_API_KEY and settings.SHOPIFY_API_SECRET),
    }
    return render(request, "dashboard/connection_detail.html", context, status=400 if form.errors else 200)


@member_required("manage_connections")
def connection_progress(request, source: str):
    """The history import's progress bar, polled by htmx while the import runs."""
    connection = connection_for_store(store=request.store, source=source)
    if connection is None:
        raise Http404
    sync = latest_history_sync(connection=connection)
    return render(
        request, "dashboard/_history_progress.html", {"sync": sync, "source": source, "connection": connection}
    )


@require_POST
@member_required("manage_connections")
def connection_history_retry(request, source: str):
    connection = connection_for_store(store=request.store, source=source)
    sync = latest_history_sync(connection=connection) if connection else None
    if sync is None:
        raise Http404
    history_retry(sync=sync)
    messages.success(request, _("The import starts again where it stopped."))
    return redirect("dashboard:connection_detail", source=source)


@require_POST
@member_required("manage_connections")
def connection_rotate(request, source: str):
    connection = connection_for_store(store=request.store, source=source)
    if connection is None:
        raise Http404
    form = RotateForm(request.POST)
    if form.is_valid():
        try:
            connection_rotate_secret(connection=connection, new_secret=form.cleaned_data["new_secret"])
        except ConnectionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("New secret saved. Deliveries signed with the old one are accepted for 24 hours.")
            )
    else:
        messages.error(request, _("Type the new secret to rotate it."))
    return redirect("dashboard:connection_detail", source=source)


@require_POST
@member_required("manage_connections")
def connection_test_event(request, source: str):
    connection = connection_for_store(store=request.store, source=source)
    remote = _remote_or_404(source)
    if connection is None or not connection.enabled or not connection.secret or remote.test_event is None:
        messages.error(request, _("Connect first: a test event is signed with the connection's secret."))
        return redirect("dashboard:connection_detail", source=source)
    connection_test_event_task.delay(connection.pk)
    messages.success(request, _("Test event sent to your webhook address. Its answer appears here in a moment."))
    return redirect("dashboard:connection_detail", source=source)


@require_POST
@member_required("manage_connections")
def connection_disconnect_view(request, source: str):
    connection = connection_for_store(store=request.store, source=source)
    if connection is None or connection.state == ConnectionState.DISCONNECTED:
        raise Http404
    connection_disconnect(connection=connection)
    messages.success(
        request,
        _("Disconnected. Its webhooks are refused from now on, and Afterglow removes the ones it registered."),
    )
    return redirect("dashboard:connection_list")

"""The critics desk on a case page: replying to the buyer (saved replies in their language), internal notes,
sending the case to the store's help desk; and the owner's help-desk settings page."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apps.feedback.selectors import (
    buyer_language,
    critic_case_for_store,
    helpdesk_hook_for_store,
    resurvey_blocker,
    saved_replies_for_case,
    saved_replies_for_store,
)
from apps.feedback.services.case_events import DeskError, case_note_add, case_reply_send, default_subject
from apps.feedback.services.handoffs import HandoffError, case_handoff_request, helpdesk_hook_save
from apps.feedback.services.saved_replies import saved_reply_delete, saved_reply_fill, saved_reply_save
from apps.feedback.timeline import case_timeline
from apps.stores.models import Language

from .access import member_required


class CaseReplyForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255, required=False)
    body = forms.CharField(
        label=gettext_lazy("Message to the buyer"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )


class CaseNoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Internal note"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Only your team sees it; it is never sent."),
    )


class HelpdeskHookForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Help desk address"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("We POST each case there as JSON."),
    )
    secret = forms.CharField(
        label=gettext_lazy("Signing secret"),
        max_length=255,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "Each delivery carries X-Afterglow-Signature: sha256=<HMAC-SHA256 of the body with this secret>. "
            "Leave empty to keep the saved one."
        ),
    )
    enabled = forms.BooleanField(label=gettext_lazy("Send cases there"), required=False, initial=True)


def desk_context(request, case) -> dict:
    """What the case page needs for the desk: the timeline, the reply form (a saved reply filled in when
    one was picked), the note form, the hand-off button, and why a re-survey cannot be sent."""
    saved = saved_replies_for_case(case=case)
    chosen = next((reply for reply in saved if str(reply.pk) == request.GET.get("saved", "")), None)
    timeline = case_timeline(case=case)
    # A follow-up answers the conversation's subject; the first reply gets one in the buyer's language.
    said = [entry.subject for entry in timeline if entry.kind in ("reply_out", "reply_in") and entry.subject]
    subject = ("Re: " + said[-1].removeprefix("Re: ")) if said else default_subject(case)
    if chosen is not None:
        filled_subject, body = saved_reply_fill(reply=chosen, case=case)
        initial = {"subject": filled_subject or subject, "body": body}
    else:
        initial = {"subject": subject}
    language = buyer_language(case)
    hook = helpdesk_hook_for_store(store=request.store)
    return {
        "timeline": timeline,
        "saved_replies": saved,
        "saved_chosen": chosen,
        "reply_form": CaseReplyForm(initial=initial),
        "note_form": CaseNoteForm(prefix="note"),
        "buyer_language": language,
        "buyer_language_name": dict(Language.choices).get(language, language),
        "helpdesk_ready": hook is not None and hook.enabled,
        "resurvey_blocker": resurvey_blocker(case=case) if case.status == "resolved" else "",
    }


def _back(case, anchor: str = ""):
    response = redirect("dashboard:critic_detail", pk=case.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@require_POST
@member_required("work_critics")
def critic_reply(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    form = CaseReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the reply first."))
        return _back(case, "reply")
    try:
        case_reply_send(
            case=case, author=request.user, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
        )
    except DeskError as exc:
        messages.error(request, str(exc))
    except Exception as exc:  # the ESP refused or could not be reached: nothing kept
        messages.error(
            request,
            _("The email was not sent (%(error)s). Nothing was recorded; try again.") % {"error": type(exc).__name__},
        )
    else:
        messages.success(request, _("Reply sent to %(email)s.") % {"email": case.response.order.email})
    return _back(case, "timeline")


@require_POST
@member_required("work_critics")
def critic_note(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    form = CaseNoteForm(request.POST, prefix="note")
    if not form.is_valid():
        messages.error(request, _("Write the note first."))
        return _back(case, "note")
    try:
        case_note_add(case=case, author=request.user, body=form.cleaned_data["body"])
    except DeskError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Note added. Only your team sees it."))
    return _back(case, "timeline")


@require_POST
@member_required("work_critics")
def critic_handoff(request, pk: int):
    case = critic_case_for_store(store=request.store, pk=pk)
    try:
        case_handoff_request(case=case, user=request.user)
    except HandoffError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sending the case to your help desk; the timeline shows when it arrived."))
    return _back(case, "timeline")


@member_required("manage_api_keys")
def helpdesk_settings(request):
    hook = helpdesk_hook_for_store(store=request.store)
    if request.method == "POST":
        form = HelpdeskHookForm(request.POST)
        if form.is_valid():
            try:
                helpdesk_hook_save(
                    store=request.store,
                    url=form.cleaned_data["url"],
                    secret=form.cleaned_data["secret"],
                    enabled=form.cleaned_data["enabled"],
                )
            except HandoffError as exc:
                form.add_error("url" if hook is not None else None, str(exc))
            else:
                messages.success(request, _("Help desk saved. Cases now show a “Send to help desk” button."))
                return redirect("dashboard:helpdesk_settings")
    else:
        form = HelpdeskHookForm(initial={"url": hook.url, "enabled": hook.enabled} if hook else None)
    return render(request, "dashboard/helpdesk_settings.html", {"form": form, "hook": hook})


class SavedReplyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    language = forms.ChoiceField(label=gettext_lazy("Reply language"), choices=Language.choices)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("{name}, {order} and {tracking_link} are filled in for the buyer of the case."),
    )


@member_required("work_critics")
def saved_reply_list(request):
    """The store's saved replies, per language: add or replace one, or delete one (its id in the form)."""
    form = SavedReplyForm(initial={"language": request.store.default_language})
    if request.method == "POST":
        if request.POST.get("delete"):
            if str(request.POST["delete"]).isdigit() and saved_reply_delete(
                store=request.store, pk=int(request.POST["delete"])
            ):
                messages.success(request, _("Saved reply deleted."))
            return redirect("dashboard:saved_reply_list")
        form = SavedReplyForm(request.POST)
        if form.is_valid():
            try:
                saved_reply_save(store=request.store, **form.cleaned_data)
            except DeskError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved reply saved."))
                return redirect("dashboard:saved_reply_list")
    replies = saved_replies_for_store(store=request.store)
    names = dict(Language.choices)
    for reply in replies:
        reply.language_name = names.get(reply.language, reply.language)
    return render(request, "dashboard/saved_reply_list.html", {"form": form, "replies": replies})

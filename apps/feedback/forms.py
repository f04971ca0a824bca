from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.customers.services import MARKETING_PAUSE_CHOICES
from apps.orders.models import CartLeaveReason

from .links import SCORES
from .models import NpsTopic


class NpsAnswerForm(forms.Form):
    """The landing an email's score link opens: the score (pre-selected, changeable) and an optional comment.

    Only a POST of this form records an answer; opening the link records nothing (link scanners open
    every link in an email).
    """

    score = forms.TypedChoiceField(
        choices=[(score, str(score)) for score in SCORES],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a number from 0 to 10."),
            "invalid_choice": _("Choose a number from 0 to 10."),
        },
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CartReasonForm(forms.Form):
    """The page an abandoned-cart email's answer links open: the answer (pre-selected, changeable) and, for
    "something else", a few words. Only a POST records it."""

    reason = forms.ChoiceField(
        choices=CartLeaveReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what stopped you."),
            "invalid_choice": _("Choose what stopped you."),
        },
    )
    note = forms.CharField(
        label=_("What was it? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NpsCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Anything you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    topics = forms.MultipleChoiceField(
        label=_("What is it about?"),
        required=False,
        choices=NpsTopic.choices,
        widget=forms.CheckboxSelectMultiple,
    )


PAUSE_KEEP = ""
PAUSE_RESUME = "0"


class PreferencesForm(forms.Form):
    shipping_updates = forms.BooleanField(label=_("Shipping updates"), required=False)
    review_requests = forms.BooleanField(label=_("Requests for reviews and feedback"), required=False)
    offers = forms.BooleanField(label=_("Offers and news"), required=False)
    pause = forms.ChoiceField(label=_("Take a break from marketing emails"), required=False, choices=())
    language = forms.ChoiceField(label=_("Language of our emails"), choices=())

    def __init__(self, *args, languages: list[tuple[str, str]], paused: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = languages
        choices = [(PAUSE_KEEP, _("Keep my current setting") if paused else _("No break"))]
        choices += [
            (str(days), ngettext("Pause for %(days)s day", "Pause for %(days)s days", days) % {"days": days})
            for days in MARKETING_PAUSE_CHOICES
        ]
        if paused:
            choices.append((PAUSE_RESUME, _("End the break now")))
        self.fields["pause"].choices = choices

    def pause_days(self) -> int | None:
        value = self.cleaned_data.get("pause") or PAUSE_KEEP
        return None if value == PAUSE_KEEP else int(value)

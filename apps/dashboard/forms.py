from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from apps.integrations.csv_import import FIELDS
from apps.integrations.models import ImportKind


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class StoreSwitchForm(forms.Form):
    store_id = forms.IntegerField(min_value=1)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(label=_("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))


def mapping_form_for(job) -> type[forms.Form]:
    """A form with one column picker per field the import understands, required ones marked."""
    choices = [("", _("— not in this file —"))] + [(column, column) for column in job.columns]
    fields = {
        field.name: forms.ChoiceField(label=field.label, choices=choices, required=field.required)
        for field in FIELDS[job.kind]
    }
    return type("ColumnMappingForm", (forms.Form,), fields)


class FeedForm(forms.Form):
    url = forms.URLField(label=_("Feed address"), max_length=1000, assume_scheme="https")
    refresh_hours = forms.IntegerField(label=_("Refresh every (hours)"), min_value=1, max_value=168, initial=24)


class FeedUploadForm(forms.Form):
    file = forms.FileField(label=_("Feed file (YML or Google Merchant XML)"))

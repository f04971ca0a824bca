from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from apps.core.outbound import OutboundError, check_url
from apps.core.safe_values import validate_font_family, validate_single_line, validate_web_url
from apps.integrations.csv_import import FIELDS
from apps.integrations.models import ImportKind
from apps.stores.services import BRAND_FIELDS


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

    def clean_url(self):
        """Tell the merchant now if the address is one Afterglow will never fetch: not http(s), a host
        that is not found, or one that resolves to a private, loopback or metadata address. Every fetch
        checks again when it connects (the answer of DNS can change)."""
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except OutboundError as exc:
            raise forms.ValidationError(str(exc), code="address_refused") from exc
        return url


class FeedUploadForm(forms.Form):
    file = forms.FileField(label=_("Feed file (YML or Google Merchant XML)"))


# --- Flow editor ----------------------------------------------------------------------------
DELAY_UNITS = (("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days")))
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}


def delay_initial(minutes: int) -> tuple[int, str]:
    for unit in ("days", "hours"):
        if minutes and minutes % UNIT_MINUTES[unit] == 0:
            return minutes // UNIT_MINUTES[unit], unit
    return minutes, "minutes"


def content_field_name(part: str, language: str) -> str:
    return f"{part}_{language}"


class StepFormBase(forms.Form):
    delay_value = forms.IntegerField(label=_("Send after"), min_value=0, max_value=365 * 24 * 60)
    delay_unit = forms.ChoiceField(label=_("Unit"), choices=DELAY_UNITS)
    enabled = forms.BooleanField(label=_("This step is on"), required=False)
    exit_on_order = forms.BooleanField(label=_("Stop when the buyer places an order"), required=False)
    skip_while_shipment_troubled = forms.BooleanField(
        label=_("Hold back while a shipment of the order is in trouble"), required=False
    )
    incentive_kind = forms.ChoiceField(label=_("Incentive"), required=False)
    incentive_value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=8, decimal_places=2, required=False)
    incentive_valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365)
    incentive_monthly_budget = forms.IntegerField(
        label=_("Monthly budget (coupons, 0 = no limit)"), min_value=0, max_value=1_000_000
    )
    preview_language = forms.ChoiceField(label=_("Preview in"), required=False)

    def delay_minutes(self) -> int:
        return self.cleaned_data["delay_value"] * UNIT_MINUTES[self.cleaned_data["delay_unit"]]

    def content(self, part: str) -> dict[str, str]:
        return {language: self.cleaned_data.get(content_field_name(part, language), "") for language in self.languages}

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """StepInvalid's `subject:it` keys onto the form's `subject_it` fields."""
        for key, problem in errors.items():
            name = key.replace(":", "_")
            if name == "delay_minutes":
                name = "delay_value"
            self.add_error(name if name in self.fields else None, problem)

    def language_sections(self):
        """(language code, name, is_offered, [subject, preheader, body bound fields]) for the template."""
        return [
            (code, name, code in self.offered, [self[content_field_name(part, code)] for part in CONTENT_PARTS])
            for code, name in self.language_names
        ]


CONTENT_PARTS = ("subject", "preheader", "body")


def step_form_for(step, languages: tuple[str, ...], language_names: dict[str, str]) -> type[StepFormBase]:
    """A step form with subject, preheader and body fields for each language."""
    from apps.campaigns.models import IncentiveKind

    fields = {}
    for language in languages:
        name = language_names.get(language, language)
        fields[content_field_name("subject", language)] = forms.CharField(
            label=_("Subject (%s)") % name, required=False, max_length=255
        )
        fields[content_field_name("preheader", language)] = forms.CharField(
            label=_("Preheader (%s)") % name, required=False, max_length=255
        )
        fields[content_field_name("body", language)] = forms.CharField(
            label=_("Body (%s)") % name, required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 10})
        )
    form_class = type("StepForm", (StepFormBase,), fields)
    form_class.languages = languages
    form_class.offered = set(step.store.offered_languages)
    form_class.language_names = [(code, language_names.get(code, code)) for code in languages]
    form_class.base_fields["incentive_kind"].choices = IncentiveKind.choices
    form_class.base_fields["preview_language"].choices = [(code, language_names.get(code, code)) for code in languages]
    return form_class


def step_initial(step, languages) -> dict:
    value, unit = delay_initial(step.delay_minutes)
    conditions = step.conditions or {}
    initial = {
        "delay_value": value,
        "delay_unit": unit,
        "enabled": step.enabled,
        "exit_on_order": bool(conditions.get("exit_on_order")),
        "skip_while_shipment_troubled": bool(conditions.get("skip_while_shipment_troubled")),
        "incentive_kind": step.incentive_kind,
        "incentive_value": step.incentive_value,
        "incentive_valid_days": step.incentive_valid_days,
        "incentive_monthly_budget": step.incentive_monthly_budget,
        "preview_language": step.store.default_language,
    }
    for language in languages:
        for part in CONTENT_PARTS:
            initial[content_field_name(part, language)] = (getattr(step, part) or {}).get(language, "")
    return initial


def variant_form_for(languages: list[tuple[str, str]]) -> type[forms.Form]:
    fields = {
        content_field_name("subject", code): forms.CharField(
            label=_("Subject (%s)") % name, required=False, max_length=255
        )
        for code, name in languages
    }
    return type("VariantForm", (forms.Form,), fields)


# --- Critics queue --------------------------------------------------------------------------
class CaseAssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Assigned to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody"))] + [
            (m.user_id, m.user.get_full_name() or m.user.email) for m in members
        ]


class CaseResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"))
    note = forms.CharField(
        label=_("Resolution note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What did you do, and what did the buyer say?"),
    )

    def __init__(self, *args, **kwargs):
        from apps.feedback.models import CaseOutcome

        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [("", _("Choose…")), *CaseOutcome.choices]


class ResurveyForm(forms.Form):
    delay_days = forms.TypedChoiceField(
        label=_("Ask again"),
        coerce=int,
        choices=[(0, _("now")), (3, _("in 3 days")), (7, _("in a week"))],
        initial=3,
    )


# --- Team -----------------------------------------------------------------------------------
class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, **kwargs):
        from apps.stores.models import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices
        self.fields["role"].initial = Role.SUPPORT


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, **kwargs):
        from apps.stores.models import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices


class AcceptNewUserForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    password = forms.CharField(
        label=_("Choose a password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        user = get_user_model()(username=self.email, email=self.email)
        validate_password(password, user)
        return password


class AcceptExistingUserForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("What will use it"), max_length=100, help_text=_("For example: ERP sync."))


class EraseForm(forms.Form):
    confirm_email = forms.CharField(label=_("Type the customer's email to confirm"), max_length=254)


# --- Brand ----------------------------------------------------------------------------------
LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


def _time_zone_choices():
    import zoneinfo

    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class BrandForm(forms.ModelForm):
    """The store's brand, contacts and locale; social links get one field per network."""

    languages = forms.MultipleChoiceField(
        label=_("Languages offered to buyers"), widget=forms.CheckboxSelectMultiple, required=False
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))
    logo = forms.ImageField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, WebP or GIF, at most 1 MB. Shown on the tracking page and in emails."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )

    class Meta:
        from apps.stores.models import Store

        model = Store
        # Social links have their own fields below; everything else the brand service accepts.
        fields = [name for name in BRAND_FIELDS if name != "social_links"]
        labels = {
            "website_url": _("Shop address"),
            "reply_to_email": _("Reply-to address"),
            "support_url": _("Help page"),
            "review_url": _("Where buyers leave a review"),
            "newsletter_url": _("Newsletter page"),
            "sender_email": _("Sender address"),
        }
        widgets = {
            "primary_colour": forms.TextInput(attrs={"type": "color"}),
            "accent_colour": forms.TextInput(attrs={"type": "color"}),
            "background_colour": forms.TextInput(attrs={"type": "color"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        from apps.stores.models import Language, SocialNetwork

        super().__init__(*args, **kwargs)
        self.fields["languages"].choices = Language.choices
        self.fields["time_zone"].choices = _time_zone_choices()
        # Values that land in the email's <style>, its From header or a link: refused here with the other
        # field errors (the service's full_clean checks them again, and the templates neutralise them).
        self.fields["font_family"].validators.append(validate_font_family)
        self.fields["name"].validators.append(validate_single_line)
        self.fields["sender_name"].validators.append(validate_single_line)
        self.social_names = []
        links = self.instance.social_links or {}
        for network, label in SocialNetwork.choices:
            name = f"social_{network}"
            self.fields[name] = forms.URLField(
                label=label,
                required=False,
                max_length=500,
                assume_scheme="https",
                initial=links.get(network, ""),
                validators=[validate_web_url],
            )
            self.social_names.append(name)

    def social_fields(self):
        return [self[name] for name in self.social_names]

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo or logo is self.instance.logo or not hasattr(logo, "image"):
            return logo
        if logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 1 MB."))
        if (logo.image.format or "").upper() not in LOGO_FORMATS:
            raise forms.ValidationError(_("Use a PNG, JPEG, WebP or GIF image."))
        return logo

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean(self):
        cleaned = super().clean()
        languages = cleaned.get("languages") or []
        default = cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error("default_language", _("The default language must be one of the languages offered."))
        cleaned["social_links"] = {
            name.removeprefix("social_"): cleaned[name] for name in self.social_names if cleaned.get(name)
        }
        return cleaned

    def brand_fields(self) -> dict:
        """What to hand to `store_update_brand`."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        if fields.get("logo") is None:
            fields.pop("logo", None)  # nothing uploaded: keep the current logo
        elif fields["logo"] is False:
            fields["logo"] = ""  # "clear" ticked
        fields["social_links"] = self.cleaned_data["social_links"]
        return fields

    def _post_clean(self):
        # The service validates and saves the store; the form does not touch the instance.
        pass

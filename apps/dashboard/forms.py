import json
from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.campaigns.flows.abandoned_cart import ReasonAction
from apps.campaigns.models import FlowKind, IncentiveKind, MessagingPolicy
from apps.campaigns.selectors import coupon_pools_for_store
from apps.campaigns.services.messaging_policy import POLICY_LIMITS
from apps.core.outbound import OutboundError, check_url
from apps.core.safe_values import validate_font_family, validate_single_line, validate_web_url
from apps.feedback.models import CaseOutcome
from apps.integrations.csv_rows import FIELDS
from apps.integrations.models import ImportKind
from apps.orders.models import CartLeaveReason
from apps.stores.models import Language, Role, SocialNetwork, validate_time_zone
from apps.stores.selectors import email_has_account, store_by_slug
from apps.stores.sender_domain import SELECTOR_RE
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
    if job.kind == ImportKind.ORDERS:
        fields[AS_HISTORY] = forms.BooleanField(
            label=_("These are past orders: import them as history"),
            help_text=_(
                "History counts in your figures, RFM segments, repurchase intervals and recommendations, and "
                "sends no email. Untick only for orders placed just now that should get their confirmation."
            ),
            required=False,
            initial=True,
        )
    return type("ColumnMappingForm", (forms.Form,), fields)


AS_HISTORY = "as_history"


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


def default_send_window(step) -> int | None:
    """The send window a step has when the merchant sets none: its flow kind's, from the flow registry
    (None when the registry has no such step, e.g. the critics queue's re-survey)."""
    try:
        from apps.campaigns.flows import definition_for

        spec = definition_for(step.flow.kind).default_step(step.key)
    except (ImportError, KeyError, AttributeError):
        return None
    return spec.send_window_minutes if spec else None


def duration_words(minutes: int | None) -> str:
    """720 → "12 hours", 2880 → "2 days", 90 → "90 minutes"."""
    if minutes is None:
        return ""
    value, unit = delay_initial(minutes)
    if unit == "days":
        return ngettext("%(count)s day", "%(count)s days", value) % {"count": value}
    if unit == "hours":
        return ngettext("%(count)s hour", "%(count)s hours", value) % {"count": value}
    return ngettext("%(count)s minute", "%(count)s minutes", value) % {"count": value}


class StepFormBase(forms.Form):
    delay_value = forms.IntegerField(label=_("Send after"), min_value=0, max_value=365 * 24 * 60)
    delay_unit = forms.ChoiceField(label=_("Unit"), choices=DELAY_UNITS)
    send_window_value = forms.IntegerField(
        label=_("Still worth sending for"),
        min_value=1,
        max_value=365 * 24 * 60,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": _("default")}),
    )
    send_window_unit = forms.ChoiceField(label=_("Unit"), choices=DELAY_UNITS, initial="hours", required=False)
    enabled = forms.BooleanField(label=_("This step is on"), required=False)
    exit_on_order = forms.BooleanField(label=_("Stop when the buyer places an order"), required=False)
    incentive_kind = forms.ChoiceField(label=_("Incentive"), required=False)
    incentive_value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=8, decimal_places=2, required=False)
    incentive_valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365)
    incentive_monthly_budget = forms.IntegerField(
        label=_("Monthly budget (coupons, 0 = no limit)"), min_value=0, max_value=1_000_000
    )
    # Its choices are the store's pools: step_form_for gives each form class a field of its own.
    incentive_pool = forms.TypedChoiceField(label=_("Where the codes come from"), required=False)
    preview_language = forms.ChoiceField(label=_("Preview in"), required=False)
    # The email designer's: "blocks" or "html", and the blocks per language as JSON (empty: left as they are).
    editor = forms.ChoiceField(
        label=_("Edit as HTML (advanced)"),
        choices=[("blocks", "blocks"), ("html", "html")],
        required=False,
        widget=forms.HiddenInput,
    )
    design = forms.CharField(required=False, max_length=1_000_000, widget=forms.HiddenInput)
    default_window: int | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.design_errors: dict[str, str] = {}
        default = duration_words(self.default_window) if self.default_window else _("the default")
        self.fields["send_window_value"].help_text = _(
            "Quiet hours, the frequency cap or an outage can hold an email back; this long after its moment it "
            "is skipped as too late. Empty: the default for this kind of flow (%(default)s)."
        ) % {"default": default}

    def clean_design(self) -> dict | None:
        """The posted design (None when the form had none: the step's stays)."""
        raw = self.cleaned_data.get("design") or ""
        if not raw.strip():
            return None
        try:
            design = json.loads(raw)
        except ValueError:
            design = None
        if not isinstance(design, dict):
            raise forms.ValidationError(_("The design could not be read: reload the page and try again."))
        return design

    def on_reason(self):
        """{reason: action} for an abandoned-cart step's form; None (keep the step's) for any other."""
        names = [name for name in self.fields if name.startswith(ON_REASON_PREFIX)]
        if not any(name in self.data for name in names):
            return None  # a form without the section (an older page, a script) leaves the step's as it is
        return {name.removeprefix(ON_REASON_PREFIX): self.cleaned_data.get(name) or "" for name in names}

    def delay_minutes(self) -> int:
        return self.cleaned_data["delay_value"] * UNIT_MINUTES[self.cleaned_data["delay_unit"]]

    def send_window_minutes(self) -> int | None:
        """None: the flow kind's default window."""
        value = self.cleaned_data.get("send_window_value")
        return None if value is None else value * UNIT_MINUTES[self.cleaned_data.get("send_window_unit") or "hours"]

    def clean(self):
        cleaned = super().clean()
        value, unit = cleaned.get("send_window_value"), cleaned.get("send_window_unit") or "hours"
        if value is not None and value * UNIT_MINUTES[unit] > 365 * 24 * 60:
            self.add_error("send_window_value", _("The send window is at most 365 days."))
        return cleaned

    def content(self, part: str) -> dict[str, str]:
        return {language: self.cleaned_data.get(content_field_name(part, language), "") for language in self.languages}

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """StepInvalid's `subject:it` keys onto the form's `subject_it` fields."""
        self.design_errors: dict[str, str] = {}
        for key, problem in errors.items():
            if key == "design" or key.startswith("design:"):
                self.design_errors[key] = problem
                continue
            name = key.replace(":", "_")
            if name == "delay_minutes":
                name = "delay_value"
            elif name == "send_window_minutes":
                name = "send_window_value"
            self.add_error(name if name in self.fields else None, problem)
        if self.design_errors:
            count = len(self.design_errors)
            self.add_error(
                "design",
                ngettext(
                    "%(count)s block needs a change: see the message beside it.",
                    "%(count)s blocks need a change: see the messages beside them.",
                    count,
                )
                % {"count": count},
            )

    def language_sections(self):
        """(language code, name, is_offered, [subject, preheader, body bound fields]) for the template."""
        return [
            (code, name, code in self.offered, [self[content_field_name(part, code)] for part in CONTENT_PARTS])
            for code, name in self.language_names
        ]


CONTENT_PARTS = ("subject", "preheader", "body")


ON_REASON_PREFIX = "on_reason_"


def on_reason_fields() -> dict[str, forms.Field]:
    """An abandoned-cart step's answer to each reason a buyer can give for leaving."""
    return {
        f"{ON_REASON_PREFIX}{reason}": forms.ChoiceField(label=label, choices=ReasonAction.CHOICES, required=False)
        for reason, label in CartLeaveReason.choices
    }


def step_form_for(step, languages: tuple[str, ...], language_names: dict[str, str]) -> type[StepFormBase]:
    """A step form with subject, preheader and body fields for each language."""
    fields = {}
    for language in languages:
        name = language_names.get(language, language)
        names = {"language": name}
        fields[content_field_name("subject", language)] = forms.CharField(
            label=gettext("Subject (%(language)s)") % names, required=False, max_length=255
        )
        fields[content_field_name("preheader", language)] = forms.CharField(
            label=gettext("Preheader (%(language)s)") % names, required=False, max_length=255
        )
        fields[content_field_name("body", language)] = forms.CharField(
            label=gettext("Body (%(language)s)") % names,
            required=False,
            max_length=50_000,
            widget=forms.Textarea(attrs={"rows": 10}),
        )
    fields["incentive_pool"] = incentive_pool_field(step.store)
    if step.flow.kind == FlowKind.ABANDONED_CART:
        fields.update(on_reason_fields())
    form_class = type("StepForm", (StepFormBase,), fields)
    form_class.languages = languages
    form_class.offered = set(step.store.offered_languages)
    form_class.language_names = [(code, language_names.get(code, code)) for code in languages]
    form_class.base_fields["incentive_kind"].choices = IncentiveKind.choices
    form_class.base_fields["preview_language"].choices = [(code, language_names.get(code, code)) for code in languages]
    form_class.default_window = default_send_window(step)
    return form_class


GENERATED_CODES = _("Afterglow makes a code for each buyer (created in your connected shop)")


def coupon_pool_label(pool) -> str:
    """A pool as the step editor offers it: its name and how many of its codes are still free."""
    if not pool.free:
        return gettext("%(name)s (no codes left)") % {"name": pool.name}
    count = number_format(pool.free, force_grouping=True)
    return ngettext("%(name)s (%(count)s code free)", "%(name)s (%(count)s codes free)", pool.free) % {
        "name": pool.name,
        "count": count,
    }


def incentive_pool_field(store) -> forms.TypedChoiceField:
    """Codes Afterglow makes (empty), or one of the store's pools with its free codes: one query for all.
    Any other id, such as another store's pool posted by hand, is not a valid choice."""
    pools = coupon_pools_for_store(store=store).prefetch_related(None)  # the steps using them are not shown
    return forms.TypedChoiceField(
        label=StepFormBase.base_fields["incentive_pool"].label,
        choices=[("", GENERATED_CODES)] + [(pool.pk, coupon_pool_label(pool)) for pool in pools],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Choose one of your store's coupon pools, or codes Afterglow makes.")},
        help_text=_(
            "Codes your shop made and you uploaded are handed out one per buyer, with the incentive chosen above."
        ),
    )


def step_initial(step, languages) -> dict:
    value, unit = delay_initial(step.delay_minutes)
    conditions = step.conditions or {}
    window_value, window_unit = delay_initial(step.send_window_minutes) if step.send_window_minutes else (None, "hours")
    initial = {
        "delay_value": value,
        "delay_unit": unit,
        "send_window_value": window_value,
        "send_window_unit": window_unit,
        "enabled": step.enabled,
        "exit_on_order": bool(conditions.get("exit_on_order")),
        "incentive_kind": step.incentive_kind,
        "incentive_value": step.incentive_value,
        "incentive_valid_days": step.incentive_valid_days,
        "incentive_monthly_budget": step.incentive_monthly_budget,
        "incentive_pool": step.incentive_pool_id or "",
        "preview_language": step.store.default_language,
        "editor": step.editor,
        "design": json.dumps(step.design or {}, ensure_ascii=False),
        **{f"{ON_REASON_PREFIX}{reason}": action for reason, action in (conditions.get("on_reason") or {}).items()},
    }
    for language in languages:
        for part in CONTENT_PARTS:
            initial[content_field_name(part, language)] = (getattr(step, part) or {}).get(language, "")
    return initial


def variant_form_for(languages: list[tuple[str, str]]) -> type[forms.Form]:
    fields = {
        content_field_name("subject", code): forms.CharField(
            label=gettext("Subject (%(language)s)") % {"language": name}, required=False, max_length=255
        )
        for code, name in languages
    }
    return type("VariantForm", (forms.Form,), fields)


class HoldoutForm(forms.Form):
    holdout_percent = forms.IntegerField(
        label=_("Holdout share (%)"),
        min_value=0,
        max_value=50,
        help_text=_(
            "This share of buyers gets none of this flow's emails, so you can see what the flow adds: their "
            "orders are compared with those of the buyers who get them. 0 to 50 %; 0 is no holdout. The same "
            "buyers are always held out."
        ),
    )


# --- Sending rules --------------------------------------------------------------------------
HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


def _limits(name: str) -> dict:
    low, high = POLICY_LIMITS[name]
    return {"min_value": low, "max_value": high}


def _policy_numbers() -> tuple[str, ...]:
    return tuple(name for name in POLICY_LIMITS if name != "ab_confidence")


def policy_default(name: str):
    return MessagingPolicy._meta.get_field(name).default


def _as_percent(confidence) -> Decimal:
    return (Decimal(str(confidence)) * 100).quantize(Decimal("0.1"))


class SendingRulesForm(forms.Form):
    """The store's rules for marketing mail, in groups, each with its default said in words."""

    marketing_requires_consent = forms.BooleanField(
        label=_("Send marketing emails only to buyers who opted in"),
        required=False,
        help_text=_(
            "Abandoned carts, review requests, replenishment and win-back go only to buyers who said yes to "
            "marketing. Required in the EU and the UK; switch it off only where the law lets you email your own "
            "customers without opt-in. Order, shipping and delay emails are transactional and always go."
        ),
    )
    frequency_cap_count = forms.IntegerField(
        label=_("At most this many marketing emails"),
        help_text=_("Per buyer, from all flows together. 0 turns the cap off."),
        **_limits("frequency_cap_count"),
    )
    frequency_cap_hours = forms.IntegerField(
        label=_("Within (hours)"),
        help_text=_(
            "An email over the cap waits for a free slot (unless that is past its send window). Every marketing "
            "email counts, the follow-ups of one flow too; transactional emails never count."
        ),
        **_limits("frequency_cap_hours"),
    )
    quiet_hours_start = forms.TypedChoiceField(
        label=_("Quiet from"),
        choices=HOUR_CHOICES,
        coerce=int,
        help_text=_("In the buyer's time zone (the store's when we do not know theirs)."),
    )
    quiet_hours_end = forms.TypedChoiceField(
        label=_("Until"),
        choices=HOUR_CHOICES,
        coerce=int,
        help_text=_("Marketing emails due in between wait until then. The same hour twice: no quiet hours."),
    )
    click_window_days = forms.IntegerField(
        label=_("Click window (days)"),
        help_text=_(
            "An order is credited to the last email the buyer clicked this many days before ordering. Holdout "
            "lift counts orders within this many days of an email, too."
        ),
        **_limits("click_window_days"),
    )
    open_window_days = forms.IntegerField(
        label=_("Open window (days)"),
        help_text=_(
            "Without a click, to the last email they opened (a person, not a mail privacy proxy) this many days "
            "before. 0: opens never credit an order."
        ),
        **_limits("open_window_days"),
    )
    ab_min_sends = forms.IntegerField(
        label=_("Sends per variant before a winner"),
        help_text=_("No subject wins before every variant went out at least this often."),
        **_limits("ab_min_sends"),
    )
    ab_confidence_percent = forms.DecimalField(
        label=_("Confidence needed (%)"),
        min_value=50,
        max_value=Decimal("99.9"),
        max_digits=4,
        decimal_places=1,
        help_text=_("How sure we must be that the leading subject has the best click rate: 50 to 99.9 %."),
    )
    response_target_hours = forms.IntegerField(
        label=_("Answer detractors within (hours)"),
        help_text=_("A buyer who scores 0 to 6 should hear from you within this time; later, the case is overdue."),
        **_limits("response_target_hours"),
    )
    history_max_age_hours = forms.IntegerField(
        label=_("Late news is history after (hours)"),
        help_text=_(
            "An order, cart or parcel event that reaches Afterglow this much later than it happened (an import, "
            "a late webhook) sends no email: its moment has passed."
        ),
        **_limits("history_max_age_hours"),
    )
    lapse_lookback_days = forms.IntegerField(
        label=_("Win back buyers who lapsed within (days)"),
        help_text=_("Buyers who lapsed longer ago than this get no win-back email."),
        **_limits("lapse_lookback_days"),
    )

    # (key, title, fields)
    GROUPS = (
        ("consent", _("Consent"), ("marketing_requires_consent",)),
        ("cap", _("Frequency cap"), ("frequency_cap_count", "frequency_cap_hours")),
        ("quiet", _("Quiet hours"), ("quiet_hours_start", "quiet_hours_end")),
        ("attribution", _("Attribution windows"), ("click_window_days", "open_window_days")),
        ("ab", _("A/B tests"), ("ab_min_sends", "ab_confidence_percent")),
        ("critics", _("Critics queue"), ("response_target_hours",)),
        ("present", _("Only the present"), ("history_max_age_hours", "lapse_lookback_days")),
    )

    @staticmethod
    def initial_from(policy) -> dict:
        initial = {name: getattr(policy, name) for name in ("marketing_requires_consent", *_policy_numbers())}
        initial["ab_confidence_percent"] = _as_percent(policy.ab_confidence)
        return initial

    def policy_fields(self) -> dict:
        """What to hand to `policy_update`."""
        fields = {name: self.cleaned_data[name] for name in ("marketing_requires_consent", *_policy_numbers())}
        fields["ab_confidence"] = (self.cleaned_data["ab_confidence_percent"] / 100).quantize(Decimal("0.001"))
        return fields

    def add_service_errors(self, errors: dict[str, list]) -> None:
        for name, problems in errors.items():
            name = "ab_confidence_percent" if name == "ab_confidence" else name
            self.add_error(name if name in self.fields else None, problems)

    def groups(self) -> list[dict]:
        """Each group with its bound fields, its default in words, and whether the saved values differ."""
        defaults = policy_defaults_in_words()
        found = []
        for key, title, names in self.GROUPS:
            saved = [self.initial.get(name) for name in names]
            found.append(
                {
                    "key": key,
                    "title": title,
                    "fields": [self[name] for name in names],
                    "default": defaults[key],
                    "customised": saved != [_default_initial(name) for name in names],
                }
            )
        return found


def _default_initial(name: str):
    if name == "ab_confidence_percent":
        return _as_percent(policy_default("ab_confidence"))
    return policy_default(name)


def policy_defaults_in_words() -> dict[str, str]:
    """Each group's default, said from the model's defaults: "Default: 1 email per 24 hours."."""
    d = policy_default
    cap = {"count": d("frequency_cap_count"), "hours": d("frequency_cap_hours")}
    consent = _("Default: on, marketing only to buyers who opted in.")
    return {
        "consent": consent if d("marketing_requires_consent") else _("Default: off."),
        "cap": ngettext(
            "Default: %(count)s email per %(hours)s hours.",
            "Default: %(count)s emails per %(hours)s hours.",
            cap["count"],
        )
        % cap,
        "quiet": _("Default: from %(start)02d:00 until %(end)02d:00.")
        % {"start": d("quiet_hours_start"), "end": d("quiet_hours_end")},
        "attribution": _("Default: %(click)s days after a click, %(open)s day(s) after an open.")
        % {"click": d("click_window_days"), "open": d("open_window_days")},
        "ab": _("Default: %(sends)s sends per variant and %(confidence)s %% confidence.")
        % {"sends": d("ab_min_sends"), "confidence": _as_percent(d("ab_confidence")).normalize()},
        "critics": _("Default: %(hours)s hours.") % {"hours": d("response_target_hours")},
        "present": _("Default: history after %(hours)s hours; win back within %(days)s days.")
        % {"hours": d("history_max_age_hours"), "days": d("lapse_lookback_days")},
    }


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
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices
        self.fields["role"].initial = Role.SUPPORT


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, **kwargs):
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
            "name": _("Name"),
            "primary_colour": _("Primary colour"),
            "accent_colour": _("Accent colour"),
            "background_colour": _("Background colour"),
            "font_family": _("Font family"),
            "sender_name": _("Sender name"),
            "support_email": _("Support email"),
            "support_phone": _("Support phone"),
            "postal_address": _("Postal address"),
            "default_language": _("Default language"),
            "currency": _("Currency"),
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


# --- Onboarding: sign-up, a new store, the sender domain ------------------------------------
class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        help_text=_("Optional. Your teammates see it."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        validators=[validate_single_line],
    )
    password = forms.CharField(
        label=_("Choose a password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    # A honeypot: hidden from people (and from screen readers); a bot that fills every field is refused.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email_has_account(email=email):
            raise forms.ValidationError(
                _("An account with this email already exists. Sign in instead."), code="account_exists"
            )
        return email

    def clean_password(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data["password"]
        email = self.cleaned_data.get("email", "")
        user = get_user_model()(username=email, email=email, first_name=self.cleaned_data.get("name", ""))
        validate_password(password, user)
        return password

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Leave this field empty."), code="honeypot")
        return ""


def _currency_codes() -> set[str]:
    from babel.numbers import list_currencies

    return set(list_currencies())


class StoreCreateForm(forms.Form):
    """A new store: its name and address, the languages and time zone it works in, and who its email is from."""

    name = forms.CharField(label=_("Store name"), max_length=120, validators=[validate_single_line])
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=60,
        required=False,
        help_text=_(
            "Lower-case letters, digits and hyphens; used in your buyers' order lookup address. "
            "Leave it empty to make one from the store name."
        ),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages offered to buyers"), widget=forms.CheckboxSelectMultiple, initial=["en"]
    )
    default_language = forms.ChoiceField(
        label=_("Default language"), initial="en", help_text=_("For buyers whose language we do not know.")
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), initial="UTC", help_text=_("Reports and quiet hours follow it.")
    )
    currency = forms.CharField(
        label=_("Currency"),
        min_length=3,
        max_length=3,
        initial="EUR",
        help_text=_("The three-letter ISO 4217 code, e.g. EUR, USD, GBP."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": 4}),
    )
    sender_name = forms.CharField(
        label=_("Sender name"),
        max_length=120,
        required=False,
        validators=[validate_single_line],
        help_text=_("Who your emails are from. Empty: the store name."),
    )
    sender_email = forms.EmailField(
        label=_("Sender address"),
        required=False,
        help_text=_("An address at your shop's own domain, e.g. hello@yourshop.com. You can add it later."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["languages"].choices = Language.choices
        self.fields["default_language"].choices = Language.choices
        self.fields["time_zone"].choices = _time_zone_choices()
        self.fields["time_zone"].validators.append(validate_time_zone)

    def clean_slug(self):
        from django.utils.text import slugify

        slug = (self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("name", ""))[:60].strip("-")).lower()
        if not slug:
            raise forms.ValidationError(_("Choose a short name with letters, digits or hyphens."), code="required")
        if store_by_slug(slug=slug) is not None:
            raise forms.ValidationError(
                _("The address %(slug)s is taken by another store: choose another.") % {"slug": slug}, code="taken"
            )
        return slug

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if currency not in _currency_codes():
            raise forms.ValidationError(_("%(code)s is not an ISO 4217 currency code.") % {"code": currency})
        return currency

    def clean(self):
        cleaned = super().clean()
        languages, default = cleaned.get("languages") or [], cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error("default_language", _("The default language must be one of the languages offered."))
        return cleaned

    def store_fields(self) -> dict:
        """What to hand to `store_create_for_owner`."""
        return {name: self.cleaned_data[name] for name in self.fields}

    def add_service_errors(self, error) -> None:
        """A ValidationError from the service, onto the fields it names (the rest above the form)."""
        for name, problems in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
            self.add_error(name if name in self.fields else None, problems)


class SenderDomainCheckForm(forms.Form):
    dkim_selector = forms.CharField(
        label=_("DKIM selector"),
        max_length=200,
        required=False,
        help_text=_(
            "From your email service's domain settings, e.g. s1 or pm. Empty: SPF and DMARC are checked, not DKIM "
            "(the setup step needs all three)."
        ),
    )

    def clean_dkim_selector(self):
        selector = self.cleaned_data["dkim_selector"].strip().lower().removesuffix("._domainkey")
        if selector and not SELECTOR_RE.match(selector):
            raise forms.ValidationError(_("Use the selector alone, e.g. s1 (letters, digits, hyphens)."))
        return selector

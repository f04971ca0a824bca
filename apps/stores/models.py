import hashlib
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.safe_values import (
    is_web_url,
    validate_font_family,
    validate_single_line,
    validate_stored_file_name,
)

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f6feb."))
currency_code = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code such as EUR."))


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Language(models.TextChoices):
    EN = "en", "English"
    RU = "ru", "Русский"
    IT = "it", "Italiano"
    KO = "ko", "한국어"
    KK = "kk", "Қазақша"


class SocialNetwork(models.TextChoices):
    INSTAGRAM = "instagram", "Instagram"
    FACEBOOK = "facebook", "Facebook"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    X = "x", "X"
    TELEGRAM = "telegram", "Telegram"
    VK = "vk", "VK"
    PINTEREST = "pinterest", "Pinterest"


class Store(TimeStampedModel):
    """A merchant's shop, with the brand its buyers see on pages and in emails."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, validators=[validate_single_line])
    website_url = models.URLField(blank=True)

    # Brand. Each value is checked for where it lands (apps/core/safe_values.py): the colours and the font in
    # <style>, the logo and links in URL attributes, the names in the From header.
    logo = models.ImageField(upload_to="logos/", blank=True, validators=[validate_stored_file_name])
    primary_colour = models.CharField(max_length=7, default="#1f2937", validators=[hex_colour])
    accent_colour = models.CharField(max_length=7, default="#2563eb", validators=[hex_colour])
    background_colour = models.CharField(max_length=7, default="#f8fafc", validators=[hex_colour])
    font_family = models.CharField(
        max_length=120,
        blank=True,
        validators=[validate_font_family],
        help_text=_("A system font stack, e.g. Georgia, serif."),
    )

    # Sending identity and contact
    sender_name = models.CharField(max_length=120, blank=True, validators=[validate_single_line])
    sender_email = models.EmailField(blank=True)
    reply_to_email = models.EmailField(blank=True)
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    support_url = models.URLField(blank=True)
    postal_address = models.TextField(blank=True, help_text=_("Shown in the footer of every email."))

    # Links buyers may follow
    social_links = models.JSONField(default=dict, blank=True, help_text=_("Network name to profile URL."))
    newsletter_url = models.URLField(blank=True)
    review_url = models.URLField(blank=True)

    # Locale
    default_language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    languages = models.JSONField(default=list, blank=True, help_text=_("Languages offered to buyers."))
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_code])

    # Setup checklist (apps/dashboard/setup.py): what the merchant has done that leaves no other trace.
    setup_test_sent_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When someone last sent themselves a test email.")
    )
    sender_domain_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    sender_domain_report = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The last DNS check of the sender domain: {domain, selector, spf, dkim, dmarc}."),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.social_links or {}, dict):
            raise ValidationError({"social_links": _("Social links map a network to its address.")})
        unknown = set(self.social_links or {}) - set(SocialNetwork.values)
        if unknown:
            raise ValidationError({"social_links": _("Unknown networks: %s") % ", ".join(sorted(unknown))})
        not_web = sorted(network for network, url in (self.social_links or {}).items() if not is_web_url(url))
        if not_web:
            raise ValidationError(
                {"social_links": _("Use a full web address (https://…) for: %s") % ", ".join(not_web)}
            )
        bad_languages = set(self.languages or []) - set(Language.values)
        if bad_languages:
            raise ValidationError({"languages": _("Unknown languages: %s") % ", ".join(sorted(bad_languages))})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def offered_languages(self) -> list[str]:
        return self.languages or [self.default_language]

    def get_lookup_url(self) -> str:
        return reverse("tracking:lookup", kwargs={"store_slug": self.slug})


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    SUPPORT = "support", _("Support")


class Membership(TimeStampedModel):
    """A person's role in one store. One person may belong to several stores."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "user"], name="membership_one_per_store_user"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.store} · {self.role}"


class ApiKey(TimeStampedModel):
    """A store's key to the JSON API. Only a SHA-256 digest of the key is kept; the key is shown once.

    `prefix` is the key's first characters, so a person can tell keys apart without the secret.
    """

    KEY_PREFIX = "ag_"  # marks Afterglow keys, so secret scanners and people recognise a leaked one
    SHOWN_CHARS = 11  # the prefix and eight random characters: enough to tell keys apart, useless to guess

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text=_("What uses this key, e.g. ERP sync."))
    prefix = models.CharField(max_length=16, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def digest(key: str) -> str:
        """What is stored instead of the key: its SHA-256, hex."""
        return hashlib.sha256(key.encode()).hexdigest()


class Invitation(TimeStampedModel):
    """An owner's invitation for someone to join the store with a role, sent by email.

    The link carries a random token (256 bits); only its SHA-256 digest is kept, so the table alone
    opens nothing. An invitation is accepted once, and not after it expires.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="invitation_role_valid"),
        ]
        indexes = [models.Index(fields=["store", "email"], name="invitation_store_email")]

    def __str__(self) -> str:
        return f"{self.email} → {self.store} ({self.role})"

    @property
    def created(self):
        return self.created_at

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_open(self, now=None) -> bool:
        from django.utils import timezone

        return self.accepted_at is None and self.expires_at > (now or timezone.now())


class UserPreference(TimeStampedModel):
    """What a person chose for themselves, whichever store they work in: the dashboard's language."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=8, choices=Language.choices, blank=True)

    def __str__(self) -> str:
        return f"{self.user} · {self.language or 'browser'}"

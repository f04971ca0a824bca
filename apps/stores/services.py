import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ApiKey, Invitation, Membership, Role, Store
from .selectors import email_has_account

User = get_user_model()


@transaction.atomic
def store_create(*, slug: str, name: str, **brand) -> Store:
    store = Store(slug=slug, name=name, **brand)
    store.full_clean()
    store.save()
    return store


@transaction.atomic
def user_get_or_create(*, email: str, password: str | None = None, first_name: str = "", last_name: str = ""):
    """People sign in by email; the username is that email, lower-cased."""
    user, _created = _user_get_or_create(email=email, password=password, first_name=first_name, last_name=last_name)
    return user


def _user_get_or_create(*, email: str, password: str | None, first_name: str, last_name: str):
    """(user, created). An existing account is returned as it is: its password is never changed here."""
    email = email.strip().lower()
    user, created = User.objects.get_or_create(
        username=email, defaults={"email": email, "first_name": first_name, "last_name": last_name}
    )
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    return user, created


class AccountExists(ValueError):
    """Someone already signs in with this email."""


@transaction.atomic
def user_sign_up(*, email: str, password: str, first_name: str = ""):
    """A new account from the sign-up page. An email that already has an account is refused (AccountExists),
    also when another request created it a moment ago: never signs anyone in to an account that was there."""
    if email_has_account(email=email):
        raise AccountExists(_("An account with this email already exists. Sign in instead."))
    user, created = _user_get_or_create(email=email, password=password, first_name=first_name.strip(), last_name="")
    if not created:
        raise AccountExists(_("An account with this email already exists. Sign in instead."))
    return user


@transaction.atomic
def membership_grant(*, store: Store, user, role: Role) -> Membership:
    """Give `user` a role in `store` (joining it, or changing their role); never demotes the last owner."""
    _lock_team(store_id=store.pk)
    existing = Membership.objects.select_for_update().filter(store=store, user=user).first()
    if existing is not None and existing.role == Role.OWNER and role != Role.OWNER:
        _refuse_without_other_owner(existing, LAST_OWNER_DEMOTED)
    membership, _ = Membership.objects.update_or_create(store=store, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def store_create_for_owner(
    *,
    owner,
    name: str,
    slug: str,
    languages: list[str] | None = None,
    default_language: str = "en",
    time_zone: str = "UTC",
    currency: str = "EUR",
    sender_name: str = "",
    sender_email: str = "",
) -> Store:
    """A new store with `owner` as its owner, both or neither. Raises ValidationError (by field) for bad values:
    a slug that is taken, a default language that is not among the languages, an unknown time zone..."""
    languages = list(dict.fromkeys(languages or [default_language]))
    if default_language not in languages:
        raise ValidationError({"default_language": _("The default language must be one of the languages offered.")})
    if Store.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _slug_taken(slug)})
    try:
        with transaction.atomic():
            store = store_create(
                slug=slug,
                name=name,
                languages=languages,
                default_language=default_language,
                time_zone=time_zone,
                currency=currency,
                sender_name=sender_name,
                sender_email=sender_email,
            )
    except IntegrityError as exc:  # another request took the slug since the check above
        raise ValidationError({"slug": _slug_taken(slug)}) from exc
    membership_grant(store=store, user=owner, role=Role.OWNER)
    return store


def _slug_taken(slug: str) -> str:
    return _("The address %(slug)s is taken by another store: choose another.") % {"slug": slug}


@transaction.atomic
def store_record_test_send(*, store: Store) -> None:
    """Someone sent themselves a test email of this store (a step of the setup checklist)."""
    now = timezone.now()
    Store.objects.filter(pk=store.pk).update(setup_test_sent_at=now, modified_at=now)
    store.setup_test_sent_at = now


def store_check_sender_domain(*, store: Store, dkim_selector: str = "", resolve=None) -> dict:
    """Look up the SPF, DKIM and DMARC records of the sender address's domain and keep the report on the store.

    The lookups (a few seconds at most) run outside any transaction; only the write of the report is one.
    DNS that cannot be reached gives a report that says so; nothing is raised."""
    from django.conf import settings

    from .sender_domain import check_sender_domain, domain_of

    if not domain_of(store.sender_email):
        raise ValueError("the store has no sender address")
    report = check_sender_domain(
        sender_email=store.sender_email,
        selector=dkim_selector.strip(),
        spf_include=settings.SENDER_SPF_INCLUDE,
        resolve=resolve,
    )
    now = timezone.now()
    with transaction.atomic():
        Store.objects.filter(pk=store.pk).update(
            sender_domain_report=report, sender_domain_checked_at=now, modified_at=now
        )
    store.sender_domain_report, store.sender_domain_checked_at = report, now
    return report


API_KEY_TOUCH_EVERY = timedelta(minutes=1)


@transaction.atomic
def api_key_create(*, store: Store, name: str) -> tuple[ApiKey, str]:
    """A new key for the store's API. The plain key is returned here, once; only its digest is stored."""
    key = ApiKey.KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        store=store,
        name=name.strip()[:100] or "API key",
        prefix=key[: ApiKey.SHOWN_CHARS],
        hashed_key=ApiKey.digest(key),
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Stop a key working from now on. Revoking twice keeps the first time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), modified_at=timezone.now()
    )
    api_key.refresh_from_db()
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Note that the key was used, at most once a minute (a busy integration must not write on every call)."""
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < API_KEY_TOUCH_EVERY:
        return
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - API_KEY_TOUCH_EVERY)
    ).update(last_used_at=now)
    api_key.last_used_at = now


# --- Brand ----------------------------------------------------------------------------------
# What the brand page may change, in the order the page shows it.
BRAND_FIELDS = (
    "name",
    "website_url",
    "logo",
    "primary_colour",
    "accent_colour",
    "background_colour",
    "font_family",
    "sender_name",
    "sender_email",
    "reply_to_email",
    "support_email",
    "support_phone",
    "support_url",
    "postal_address",
    "social_links",
    "newsletter_url",
    "review_url",
    "languages",
    "default_language",
    "time_zone",
    "currency",
)


@transaction.atomic
def store_update_brand(*, store: Store, **fields) -> Store:
    """Change a store's brand, contacts and locale. Unknown fields are refused; nothing is half-saved."""
    unknown = set(fields) - set(BRAND_FIELDS)
    if unknown:
        raise ValueError(f"not brand fields: {', '.join(sorted(unknown))}")
    store = Store.objects.select_for_update().get(pk=store.pk)
    for name, value in fields.items():
        setattr(store, name, value)
    store.full_clean()
    store.save()
    return store


# --- Members and invitations ----------------------------------------------------------------
INVITATION_VALID_FOR = timedelta(days=7)


class MembershipError(ValueError):
    """A change to the team that would leave the store without an owner, or similar."""


LAST_OWNER_DEMOTED = gettext_lazy("A store keeps at least one owner: make someone else owner first.")
LAST_OWNER_REMOVED = gettext_lazy("The last owner cannot be removed: make someone else owner first.")
MEMBER_GONE = gettext_lazy("This person is no longer a member of the store.")


def _lock_team(*, store_id: int) -> None:
    """Serialise changes to one store's team: every membership write takes the store's row lock first
    (then the membership's), so two owners removing or demoting each other at once run one after the
    other and the second sees the first's result. Counting owners without it lets both pass the check.
    SQLite has no row locks, but its IMMEDIATE transactions serialise writers anyway."""
    list(Store.objects.select_for_update().filter(pk=store_id).values_list("pk", flat=True))


def _locked_membership(membership: Membership) -> Membership:
    _lock_team(store_id=membership.store_id)
    locked = Membership.objects.select_for_update().filter(pk=membership.pk).first()
    if locked is None:  # removed by someone else meanwhile
        raise MembershipError(str(MEMBER_GONE))
    return locked


def _refuse_without_other_owner(membership: Membership, message) -> None:
    """Called with the team lock held, so the count cannot change before the caller's write commits."""
    others = Membership.objects.filter(store_id=membership.store_id, role=Role.OWNER).exclude(pk=membership.pk)
    if not others.exists():
        raise MembershipError(str(message))


@transaction.atomic
def membership_change_role(*, membership: Membership, role: Role) -> Membership:
    if role not in Role.values:
        raise MembershipError(_("Unknown role."))
    membership = _locked_membership(membership)
    if membership.role == Role.OWNER and role != Role.OWNER:
        _refuse_without_other_owner(membership, LAST_OWNER_DEMOTED)
    membership.role = role
    membership.save(update_fields=["role", "modified_at"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    membership = _locked_membership(membership)
    if membership.role == Role.OWNER:
        _refuse_without_other_owner(membership, LAST_OWNER_REMOVED)
    membership.delete()


@transaction.atomic
def invitation_create(*, store: Store, email: str, role: Role, invited_by) -> tuple[Invitation, str]:
    """A new invitation; returns it and the plain token (for the link in the email, never stored).

    Inviting the same address again replaces its open invitation, so only the newest link works.
    """
    if role not in Role.values:
        raise MembershipError(_("Unknown role."))
    email = email.strip().lower()
    if Membership.objects.filter(store=store, user__username=email).exists():
        raise MembershipError(_("%(email)s is already a member of this store.") % {"email": email})
    Invitation.objects.filter(store=store, email=email, accepted_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        store=store,
        email=email,
        role=role,
        token_hash=Invitation.digest(token),
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    return invitation, token


def invitation_send(*, invitation: Invitation, token: str) -> None:
    """Email the invitation link (after the commit that created the invitation)."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse

    link = settings.SITE_URL + reverse("dashboard:invitation_accept", kwargs={"token": token})
    # In the language of the person inviting (the request's): the invited person's own is not known yet.
    inviter = invitation.invited_by.get_full_name() or invitation.invited_by.email if invitation.invited_by else ""
    names = {"inviter": inviter, "store": invitation.store.name, "role": invitation.get_role_display().lower()}
    if inviter:
        invited = _("%(inviter)s invited you to work on %(store)s in Afterglow as %(role)s.") % names
    else:
        invited = _("A colleague invited you to work on %(store)s in Afterglow as %(role)s.") % names
    body = "\n".join(
        [
            invited,
            "",
            _("Accept the invitation: %(link)s") % {"link": link},
            "",
            _("The link works once, until %(until)s UTC.") % {"until": f"{invitation.expires_at:%Y-%m-%d %H:%M}"},
            _("If you did not expect this, ignore this email."),
        ]
    )
    subject = _("Join %(store)s on Afterglow") % names
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user=None, password: str = "", first_name: str = "", last_name: str = ""
):
    """Accept an open invitation: the given (signed-in or authenticated) user joins the store, or a new
    user is created with `password`. Returns the user. Accepting twice, or too late, is refused."""
    invitation = Invitation.objects.select_for_update().select_related("store").get(pk=invitation.pk)
    if not invitation.is_open():
        raise MembershipError(_("This invitation was already used or has expired."))
    if user is None:
        if User.objects.filter(username=invitation.email).exists():
            raise MembershipError(_("An account with this email exists: sign in to accept."))
        if not password:
            raise MembershipError(_("Choose a password."))
        user = user_get_or_create(
            email=invitation.email, password=password, first_name=first_name.strip(), last_name=last_name.strip()
        )
    elif user.username != invitation.email:
        raise MembershipError(_("This invitation is for another email address."))
    membership = Membership.objects.filter(store=invitation.store, user=user).first()
    if membership is None:
        membership_grant(store=invitation.store, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "modified_at"])
    return user


@transaction.atomic
def user_set_language(*, user, language: str) -> None:
    """The dashboard's language this person chose ("" = follow the browser, then the store)."""
    from .models import Language, UserPreference

    if language and language not in Language.values:
        raise ValueError(f"Unknown language {language!r}.")
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})

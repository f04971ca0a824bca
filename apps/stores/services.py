import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ApiKey, Membership, Role, Store

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
    return user


@transaction.atomic
def membership_grant(*, store: Store, user, role: Role) -> Membership:
    membership, _ = Membership.objects.update_or_create(store=store, user=user, defaults={"role": role})
    return membership


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

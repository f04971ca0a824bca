from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Membership, Role, Store

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

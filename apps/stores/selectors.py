import hmac

from django.db.models import QuerySet

from .models import ApiKey, Invitation, Membership, Store


def memberships_for_user(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("store").order_by("store__name")


def membership_for_user(*, user, store_id: int | None) -> Membership | None:
    """The membership to work in: the chosen store if the person belongs to it, else their first. Brings the
    person's preferences along (the dashboard's language), so reading them costs no query of its own."""
    memberships = memberships_for_user(user=user).select_related("user__preference")
    if store_id is not None:
        chosen = memberships.filter(store_id=store_id).first()
        if chosen:
            return chosen
    return memberships.first()


def store_by_slug(*, slug: str) -> Store | None:
    return Store.objects.filter(slug=slug).first()


def api_key_for_token(*, token: str) -> ApiKey | None:
    """The key a caller presented, revoked or not, found by its digest (never by the secret itself).

    Looking up the SHA-256 of the token leaks nothing through timing: a caller cannot steer the digest
    towards a stored one. The final comparison is constant-time all the same.
    """
    if not token.startswith(ApiKey.KEY_PREFIX) or len(token) > 200:
        return None
    digest = ApiKey.digest(token)
    api_key = ApiKey.objects.select_related("store").filter(hashed_key=digest).first()
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, digest):
        return None
    return api_key


def api_keys_for_store(*, store: Store) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(store=store).order_by("-created_at", "-id")


def api_key_for_store(*, store: Store, pk: int) -> ApiKey:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(ApiKey.objects.filter(store=store), pk=pk)


def memberships_for_store(*, store: Store) -> QuerySet[Membership]:
    return Membership.objects.filter(store=store).select_related("user").order_by("user__email", "pk")


def membership_for_store(*, store: Store, pk: int) -> Membership:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Membership.objects.filter(store=store).select_related("user", "store"), pk=pk)


def open_invitations_for_store(*, store: Store) -> QuerySet[Invitation]:
    from django.utils import timezone

    return (
        Invitation.objects.filter(store=store, accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by")
        .order_by("-created_at", "-pk")
    )


def invitation_for_store(*, store: Store, pk: int) -> Invitation:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Invitation.objects.filter(store=store), pk=pk)


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation a link carries, found by the token's digest; None for an unknown token."""
    if not token or len(token) > 100:
        return None
    digest = Invitation.digest(token)
    invitation = Invitation.objects.select_related("store", "invited_by").filter(token_hash=digest).first()
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        return None
    return invitation


def user_by_email(*, email: str):
    """The account that signs in with this email, if any (usernames are lower-case emails)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=email.strip().lower()).first()


def email_has_account(*, email: str) -> bool:
    """Whether anyone signs in with this email: as their username, or (an admin's account) as their email."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    email = email.strip()
    return get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()

import hmac

from django.db.models import QuerySet

from .models import ApiKey, Membership, Store


def memberships_for_user(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("store").order_by("store__name")


def membership_for_user(*, user, store_id: int | None) -> Membership | None:
    """The membership to work in: the chosen store if the person belongs to it, else their first."""
    memberships = memberships_for_user(user=user)
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

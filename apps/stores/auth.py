from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def normalise_username(value) -> str:
    """The one spelling of a sign-in name: usernames are stored as stripped, lower-cased emails."""
    return str(value).strip().lower()


def user_for_sign_in(name: str):
    """The account a sign-in name belongs to, or None.

    First by username (people who signed up or were invited have their lower-cased email as username; an
    account made with `createsuperuser` has the username it was given). Else by email, case-insensitively,
    among active accounts, when exactly one has it: an email two accounts share signs in neither.
    """
    name = normalise_username(name)
    if not name:
        return None
    users = get_user_model()._default_manager
    user = users.filter(username=name).first()
    if user is None:
        by_username = list(users.filter(username__iexact=name)[:2])
        user = by_username[0] if len(by_username) == 1 else None
    if user is None:
        by_email = list(users.filter(email__iexact=name, is_active=True)[:2])
        user = by_email[0] if len(by_email) == 1 else None
    return user


def axes_username(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: django-axes counts failures under the name the backend will look up, so
    `Owner@Shop.example ` and `owner@shop.example` are one account with one failure count and one lockout.
    An account that signs in by username or by email (an admin's) counts under its username either way.

    Where the name comes from follows axes' own default: the credentials when given, else the POST."""
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", None) or getattr(request, "POST", {})
        value = value.get(field)
    if not value:
        return None
    name = normalise_username(value)
    user = user_for_sign_in(name)
    return normalise_username(user.get_username()) if user is not None else name


class EmailBackend(ModelBackend):
    """People sign in with their email address (usernames are stored as lower-case emails); an account whose
    username is not its email (`createsuperuser`) signs in with either."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        user = user_for_sign_in(username)
        if user is None:
            get_user_model()().set_password(password)  # as ModelBackend: as slow as a wrong password
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

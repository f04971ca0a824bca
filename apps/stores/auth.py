from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def normalise_username(value) -> str:
    """The one spelling of a sign-in name: usernames are stored as stripped, lower-cased emails."""
    return str(value).strip().lower()


def axes_username(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: django-axes counts failures under the name the backend will look up, so
    `Owner@Shop.example ` and `owner@shop.example` are one account with one failure count and one lockout.

    Where the name comes from follows axes' own default: the credentials when given, else the POST."""
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", None) or getattr(request, "POST", {})
        value = value.get(field)
    return normalise_username(value) if value else None


class EmailBackend(ModelBackend):
    """People sign in with their email address; usernames are stored as lower-case emails."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            username = normalise_username(username)
        return super().authenticate(request, username=username, password=password, **kwargs)

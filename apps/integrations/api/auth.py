"""`Authorization: Bearer KEY`: the key names the store every call works in."""

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from apps.stores.models import ApiKey
from apps.stores.selectors import api_key_for_token
from apps.stores.services import api_key_touch


class ApiKeyAuth(HttpBearer):
    """Resolves the bearer token to an active ApiKey (with its store); `request.auth` is that key.

    A missing header, a key we do not know and a revoked key are each a 401 that says which.
    """

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        api_key = api_key_for_token(token=token.strip())
        if api_key is None:
            raise AuthenticationError(401, "The API key is not valid.")
        if not api_key.is_active:
            raise AuthenticationError(401, "This API key has been revoked.")
        api_key_touch(api_key=api_key)
        return api_key

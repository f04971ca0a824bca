"""The dashboard's language for one request: the person's own choice, then the language switcher's cookie
(before sign-in), then the browser's, then the store's default language, then English.

Only for the merchant side (the dashboard, sign-in, sign-up, the Shopify install): buyer pages choose the
buyer's language themselves (apps/tracking/language.py)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from apps.stores.models import UserPreference
from apps.stores.tenancy import current_membership

MERCHANT_PATHS = ("/dashboard/", "/accounts/", "/integrations/", "/admin/")


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def language_for(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = _chosen_language(request)
        if _supported(chosen):
            return _supported(chosen)
    cookie = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if cookie:
        return cookie
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code != "*" and _supported(code):
            return _supported(code)
    if user is not None and user.is_authenticated:
        from apps.stores.tenancy import current_membership

        membership = current_membership(request)
        if membership is not None and _supported(membership.store.default_language):
            return _supported(membership.store.default_language)
    return settings.LANGUAGE_CODE


def _chosen_language(request) -> str:
    """The person's own choice: read with their membership, which every dashboard page loads anyway."""
    membership = current_membership(request)
    if membership is None:
        return UserPreference.objects.filter(user=request.user).values_list("language", flat=True).first() or ""
    try:
        return membership.user.preference.language
    except UserPreference.DoesNotExist:
        return ""


class MerchantLanguageMiddleware:
    """After authentication: the merchant pages speak the language `language_for` finds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(MERCHANT_PATHS):
            return self.get_response(request)
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

"""The language switcher: on the sign-in page (a cookie) and in the dashboard (the person's preference too)."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.stores.models import Language
from apps.stores.services import user_set_language

ONE_YEAR = 365 * 24 * 3600


@require_POST
def language_switch(request):
    language = request.POST.get("language", "")
    if language not in Language.values:
        language = ""
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("dashboard:home")
    response = HttpResponseRedirect(target)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure()
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response

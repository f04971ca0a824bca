"""Anymail's ESP webhook URLs, closed until a shared secret is configured.

Without ANYMAIL_WEBHOOK_SECRET Anymail accepts reports from anyone (it only warns), and a forged
"complained" report suppresses a customer for good. So every ESP webhook answers 403 until the secret
is set, and `check --deploy` reports the missing secret as an error (apps/core/checks.py).
"""

from functools import wraps

from anymail import urls as anymail_urls
from django.conf import settings
from django.http import JsonResponse
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt

app_name = anymail_urls.app_name


def webhook_secret_configured() -> bool:
    return bool((getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"))


def _refused_without_secret(view):
    @csrf_exempt
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not webhook_secret_configured():
            return JsonResponse(
                {"error": "ESP webhooks are refused until ANYMAIL_WEBHOOK_SECRET is set (see the README)."},
                status=403,
            )
        return view(request, *args, **kwargs)

    return guarded


urlpatterns = [
    URLPattern(pattern.pattern, _refused_without_secret(pattern.callback), pattern.default_args, pattern.name)
    for pattern in anymail_urls.urlpatterns
]

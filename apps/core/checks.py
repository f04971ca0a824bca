"""Start-up checks that refuse a configuration known to lose or duplicate work."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MISSING = "Set the SECRET_KEY environment variable (or SECRET_KEY in .env)."


def refuse_without_secret_key() -> None:
    """Called as the processes that sign links start (WSGI, ASGI, Celery worker and beat). Without a key
    of its own each would sign with a random one: NPS and unsubscribe links signed by a worker would not
    verify on the web, and every restart would void them. Commands that sign nothing (makemigrations,
    collectstatic) run without a key, so this is no system check."""
    if not settings.DEBUG and not settings.SECRET_KEY_SET:
        raise ImproperlyConfigured(SECRET_KEY_MISSING)


@register("celery")
def visibility_timeout_covers_tasks(app_configs=None, **kwargs):
    """Redis redelivers a task not acknowledged within the visibility timeout. A task (or an ETA)
    longer than that would run twice, so the timeout must exceed the longest of them."""
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    longest = max(settings.CELERY_TASK_TIME_LIMIT, getattr(settings, "CELERY_LONGEST_ETA_SECONDS", 0))
    if timeout <= longest:
        return [
            Error(
                f"CELERY_VISIBILITY_TIMEOUT ({timeout} s) must be longer than the longest task time limit "
                f"or ETA ({longest} s), or Redis will hand the same task to a second worker.",
                hint="Raise CELERY_VISIBILITY_TIMEOUT or lower CELERY_TASK_TIME_LIMIT.",
                id="afterglow.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def esp_webhooks_have_a_secret(app_configs=None, **kwargs):
    """With an ESP configured, its reports (bounces, complaints) must be authenticated: an unauthenticated
    "complained" report would suppress a customer for good. The webhooks refuse everything until then."""
    backend = settings.EMAIL_BACKEND
    if not backend.startswith("anymail.backends.") or backend == "anymail.backends.test.EmailBackend":
        return []
    secret = (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET", "")
    if secret and ":" in secret:
        return []
    return [
        Error(
            "An ESP is configured but ANYMAIL_WEBHOOK_SECRET is not set (as 'user:password'): its delivery, "
            "bounce and complaint reports are refused until it is.",
            hint="Set ANYMAIL_WEBHOOK_SECRET to two random strings joined by a colon, and put the same "
            "credentials in the webhook URL you give the ESP (https://user:password@host/anymail/<esp>/tracking/).",
            id="afterglow.E002",
        )
    ]


@register(Tags.security, deploy=True)
def site_url_is_public(app_configs=None, **kwargs):
    """Links in emails use SITE_URL: left to its default, they point at this machine."""
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    if host in ("127.0.0.1", "localhost", "::1") or host.endswith(".localhost"):
        return [
            Warning(
                f"SITE_URL is {settings.SITE_URL}: links in emails (tracking pages, unsubscribe, NPS) would point "
                "at this machine.",
                hint="Set SITE_URL to the public address buyers reach, e.g. https://track.example.com.",
                id="afterglow.W003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def secrets_have_their_own_key(app_configs=None, **kwargs):
    """Shop tokens and webhook secrets are encrypted with a key derived from SECRET_KEY and FIELD_ENCRYPTION_KEYS.
    Without the second, anyone with SECRET_KEY (often shared more widely) can read them."""
    if settings.FIELD_ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "FIELD_ENCRYPTION_KEYS is not set: shop tokens and webhook secrets are encrypted with SECRET_KEY alone.",
            hint="Set FIELD_ENCRYPTION_KEYS to a long random string (keep it apart from SECRET_KEY); see README "
            '"Secrets" for rotating it.',
            id="afterglow.W004",
        )
    ]


@register(Tags.security, deploy=True)
def case_replies_can_come_back(app_configs=None, **kwargs):
    """A critics-desk reply asks the buyer to answer to case+…@CASE_REPLY_DOMAIN: a local domain loses every answer."""
    domain = settings.CASE_REPLY_DOMAIN
    if domain in ("localhost", "") or domain.endswith((".localhost", ".local", ".test", ".invalid")):
        return [
            Warning(
                f"CASE_REPLY_DOMAIN is {domain or 'empty'}: buyers' answers to critics-desk replies would be lost.",
                hint="Set CASE_REPLY_DOMAIN to a domain whose mail your ESP receives and posts to "
                "/anymail/<esp>/inbound/ (README, Configuration).",
                id="afterglow.W005",
            )
        ]
    return []

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

from apps.core.checks import refuse_without_secret_key  # noqa: E402  (after set-up: it reads settings)

refuse_without_secret_key()

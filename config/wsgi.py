import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from apps.core.checks import refuse_without_secret_key  # noqa: E402  (after set-up: it reads settings)

refuse_without_secret_key()

"""Mounted at /api/v1/ by config/urls.py; the namespace is "api" (reverse("api:openapi-json")).

Every pattern's view goes through the front door (door.py), and a last pattern answers any other path with a
JSON 404: nothing under /api/v1/ answers HTML."""

from django.urls import URLPattern, re_path

from . import api
from .door import guarded, no_endpoint

app_name = "api"
urlpatterns = [
    URLPattern(pattern.pattern, guarded(pattern.callback), pattern.default_args, pattern.name)
    for pattern in api.urls[0]
]
urlpatterns.append(re_path(r"", guarded(no_endpoint), name="no-endpoint"))

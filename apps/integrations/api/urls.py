"""Mounted at /api/v1/ by config/urls.py; the namespace is "api" (reverse("api:openapi-json"))."""

from . import api

app_name = "api"
urlpatterns = api.urls[0]

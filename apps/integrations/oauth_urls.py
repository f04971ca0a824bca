"""Installing Afterglow as a Shopify app (apps/integrations/sources/shopify/oauth.py).

Included in config/urls.py as:
    path("integrations/shopify/", include("apps.integrations.oauth_urls")),
"""

from django.urls import path

from . import shopify_oauth_views

app_name = "shopify_oauth"

urlpatterns = [
    path("install/", shopify_oauth_views.install, name="install"),
    path("callback/", shopify_oauth_views.callback, name="callback"),
]

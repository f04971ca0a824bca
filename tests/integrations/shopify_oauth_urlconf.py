"""The project's URLs with the Shopify install pages, wherever config/urls.py has them or not yet."""

from django.urls import URLResolver, include, path

from config.urls import urlpatterns as project

included = any(isinstance(p, URLResolver) and p.namespace == "shopify_oauth" for p in project)
urlpatterns = (
    project if included else [*project, path("integrations/shopify/", include("apps.integrations.oauth_urls"))]
)

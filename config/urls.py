from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from apps.core.views import healthz
from apps.dashboard.forms import LoginForm
from apps.dashboard.language_views import language_switch
from apps.dashboard.onboarding_views import signup

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard:home", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/language/", language_switch, name="language_switch"),
    path("accounts/signup/", signup, name="signup"),
    path("dashboard/", include("apps.dashboard.urls")),
    path("webhooks/", include("apps.integrations.urls")),
    path("integrations/shopify/", include("apps.integrations.oauth_urls")),
    path("api/v1/", include("apps.integrations.api.urls")),
    path("", include("apps.tracking.urls")),
    path("", include("apps.feedback.urls")),
    path("", include("apps.reviews.urls")),
    path("anymail/", include("apps.campaigns.esp_urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_BARE_VIEW:  # `make bench` only: the floor of a Django response under the same server
    from django.http import HttpResponse

    urlpatterns.append(path("bench/bare/", lambda request: HttpResponse(b"ok", content_type="text/plain")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

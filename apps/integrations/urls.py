from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("<str:source>/<slug:store_slug>/", views.webhook, name="webhook"),
]

from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("t/<str:token>/", views.tracking_page, name="page"),
    path("track/<slug:store_slug>/", views.order_lookup, name="lookup"),
]

from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("t/<str:token>/", views.tracking_page, name="page"),
    path("t/<str:token>/live/", views.tracking_live, name="live"),
    path("t/<str:token>/newsletter/", views.newsletter, name="newsletter"),
    path("t/<str:token>/go/<slug:block>/", views.go, name="go"),
    path("track/<slug:store_slug>/", views.order_lookup, name="lookup"),
    path("track/<slug:store_slug>/order/<str:signed>/", views.lookup_result, name="lookup_result"),
    path("track/<slug:store_slug>/order/<str:signed>/live/", views.lookup_result_live, name="lookup_result_live"),
]

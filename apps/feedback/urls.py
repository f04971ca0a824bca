from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("nps/<str:token>/<int:score>/", views.nps, name="nps"),
    path("nps/<str:token>/thanks/", views.nps_thanks, name="nps_thanks"),
    path("cart/<str:token>/<slug:reason>/", views.cart_reason, name="cart_reason"),
    path("r/<str:token>/", views.referral, name="referral"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

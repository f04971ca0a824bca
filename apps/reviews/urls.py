from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("review/<str:token>/", views.write, name="write"),
    path("review/<str:token>/thanks/", views.thanks, name="thanks"),
    path("reviews/<slug:store_slug>/google-product-reviews.xml", views.google_feed, name="google_feed"),
    path("reviews/<slug:store_slug>/products/<str:product_id>.json", views.product_json, name="product_json"),
    path("reviews/<slug:store_slug>/products/<str:product_id>/widget/", views.widget, name="widget"),
]

from django.urls import path

from . import import_views, message_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("switch-store/", views.store_switch, name="store_switch"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("shipments/<int:pk>/", views.shipment_detail, name="shipment_detail"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("imports/<int:pk>/errors.csv", import_views.import_errors, name="import_errors"),
    path("feeds/", import_views.feed_list, name="feed_list"),
    path("feeds/<int:pk>/refresh/", import_views.feed_refresh, name="feed_refresh"),
    path("messages/", message_views.message_list, name="message_list"),
    path("messages/<int:pk>/", message_views.message_detail, name="message_detail"),
    path("messages/<int:pk>/body/", message_views.message_body, name="message_body"),
    path("inbound/", views.inbound_list, name="inbound_list"),
    path("inbound/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path("inbound/<int:pk>/replay/", views.inbound_replay, name="inbound_replay"),
]

from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "apps.shipments"
    label = "shipments"

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import checks  # noqa: F401  (registers the start-up checks)
        from .timestamps import use_psycopg_loader

        connection_created.connect(use_psycopg_loader, dispatch_uid="core.timestamps")

"""The merchant removed our app in Shopify: its token is dead, so stop calling the shop."""

from django.utils import timezone

from apps.stores.models import Store

from ...models import Connection, ConnectionState
from .client import shop_domain as normalised

REASON = "The app was uninstalled in Shopify."


def connection_mark_uninstalled(*, store: Store, source: str = "shopify", shop_domain: str = "") -> int:
    """Disconnect the store's connection (one UPDATE; a second uninstall changes nothing). Returns the rows changed.

    `shop_domain` (the delivery's X-Shopify-Shop-Domain) must be the connected shop's: a store that moved to
    another shop keeps that connection when the old shop's uninstall arrives. Shopify drops our webhook
    subscriptions itself on uninstall, so they are forgotten too.
    """
    rows = Connection.objects.filter(store=store, source=source)
    address = rows.values_list("address", flat=True).first()
    if address is None:
        return 0
    connected, delivered = normalised(address), normalised(shop_domain)
    if connected and delivered and connected != delivered:
        return 0
    already = {"state": ConnectionState.DISCONNECTED, "enabled": False, "api_token__isnull": True}
    return rows.exclude(**already).update(
        state=ConnectionState.DISCONNECTED,
        enabled=False,
        api_token=None,
        webhooks=[],
        last_error=REASON,
        last_error_at=timezone.now(),
        modified_at=timezone.now(),
    )

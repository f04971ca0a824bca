from .adapters import Adapter
from .sources.shopify import ShopifyAdapter

ADAPTERS: dict[str, Adapter] = {adapter.source: adapter for adapter in (ShopifyAdapter(),)}


def adapter_for(source: str) -> Adapter | None:
    return ADAPTERS.get(source)

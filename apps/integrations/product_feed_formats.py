"""Product catalogue feeds → ProductIn: Yandex Market Language (YML) and Google Merchant (RSS/Atom).

Parsed as a stream, so a feed of hundreds of thousands of offers needs little memory. The standard
library parser with a current expat refuses entity-expansion bombs and never fetches external entities.
"""

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from apps.core.bounds import InputError
from apps.orders.inputs import ProductIn

from .adapters import PayloadError

GOOGLE_NS = "http://base.google.com/ns/1.0"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _decimal(text: str | None) -> Decimal | None:
    match = re.search(r"\d+(?:[.,]\d+)?", (text or "").replace(" ", "").replace("\u00a0", ""))
    if not match:
        return None
    try:
        return Decimal(match.group(0).replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _currency(text: str | None) -> str:
    match = re.search(r"\b([A-Z]{3})\b", text or "")
    code = match.group(1) if match else ""
    return {"RUR": "RUB"}.get(code, code)


def _offer(**fields) -> Iterator[ProductIn]:
    """One product of the feed, or none when a value does not fit its column (a price of 1e30, say):
    one bad offer is skipped, the rest of the catalogue still loads."""
    try:
        yield ProductIn(**fields)
    except InputError:
        return


def detect_format(head: bytes) -> str:
    text = head[:4096].decode("utf-8", "replace").lower()
    if "<yml_catalog" in text:
        return "yml"
    if GOOGLE_NS in text or "<rss" in text or "<feed" in text:
        return "google"
    raise PayloadError("Not a YML or Google Merchant feed: the root element is neither yml_catalog nor rss/feed.")


def parse_feed(content: bytes) -> Iterator[ProductIn]:
    fmt = detect_format(content)
    return parse_yml(content) if fmt == "yml" else parse_google(content)


def _iter_elements(content: bytes, names: set[str]):
    try:
        for _, element in ET.iterparse(io.BytesIO(content), events=("end",)):
            if _local(element.tag) in names:
                yield element
    except ET.ParseError as exc:
        raise PayloadError(f"The feed is not well-formed XML: {exc}") from exc


def parse_yml(content: bytes) -> Iterator[ProductIn]:
    categories: dict[str, str] = {}
    default_currency = ""
    for element in _iter_elements(content, {"category", "currency", "offer"}):
        name = _local(element.tag)
        if name == "category":
            categories[element.get("id", "")] = (element.text or "").strip()
            continue
        if name == "currency":
            if element.get("rate") in ("1", None) and not default_currency:
                default_currency = _currency(element.get("id"))
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in element}
        offer_id = element.get("id") or fields.get("vendorCode") or ""
        title = fields.get("name") or " ".join(
            part for part in (fields.get("typePrefix"), fields.get("vendor"), fields.get("model")) if part
        )
        if not offer_id or not title:
            element.clear()
            continue
        yield from _offer(
            external_id=offer_id[:100],
            name=title[:255],
            sku=fields.get("vendorCode", "")[:100],
            url=fields.get("url", "")[:500],
            image_url=fields.get("picture", "")[:500],
            price=_decimal(fields.get("price")),
            currency=_currency(fields.get("currencyId")) or default_currency,
            category=categories.get(fields.get("categoryId", ""), "")[:120],
            in_stock=element.get("available", "true").lower() != "false",
        )
        element.clear()


def parse_google(content: bytes) -> Iterator[ProductIn]:
    for element in _iter_elements(content, {"item", "entry"}):
        fields: dict[str, str] = {}
        for child in element:
            key = _local(child.tag)
            value = (child.text or child.get("href") or "").strip()
            fields.setdefault(key, value)  # the first of repeated tags (additional_image_link) wins
        offer_id = fields.get("id", "")
        title = fields.get("title", "")
        if not offer_id or not title:
            element.clear()
            continue
        price_text = fields.get("sale_price") or fields.get("price")
        yield from _offer(
            external_id=offer_id[:100],
            name=title[:255],
            sku=fields.get("mpn", "")[:100],
            url=(fields.get("link") or "")[:500],
            image_url=fields.get("image_link", "")[:500],
            price=_decimal(price_text),
            currency=_currency(price_text),
            category=(fields.get("product_type") or fields.get("google_product_category") or "")
            .split(">")[-1]
            .strip()[:120],
            in_stock=fields.get("availability", "in_stock").replace(" ", "_").lower()
            in ("in_stock", "preorder", "backorder"),
        )
        element.clear()

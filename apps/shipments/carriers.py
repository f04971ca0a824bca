"""Carriers we know by code: display name and public tracking page."""

import re
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url: str  # with {number}

    def url_for(self, tracking_number: str) -> str:
        return self.tracking_url.format(number=quote(tracking_number, safe=""))


CARRIERS: dict[str, Carrier] = {
    carrier.code: carrier
    for carrier in (
        Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
        Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"),
        Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
        Carrier("dhl", "DHL Express", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"),
        Carrier("royal_mail", "Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{number}"),
        Carrier(
            "poste_italiane", "Poste Italiane", "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}"
        ),
        Carrier("brt", "BRT", "https://vas.brt.it/vas/sped_det_show.hsm?referer=sped_numspe_par.htm&Nspediz={number}"),
        Carrier("russian_post", "Почта России", "https://www.pochta.ru/tracking?barcode={number}"),
        Carrier("cdek", "СДЭК", "https://www.cdek.ru/ru/tracking?order_id={number}"),
        Carrier("kazpost", "Казпочта", "https://post.kz/mail/search/track/{number}"),
        Carrier(
            "korea_post", "우체국택배", "https://service.epost.go.kr/trace.RetrieveDomRigiTraceList.comm?sid1={number}"
        ),
        Carrier("cj_logistics", "CJ대한통운", "https://trace.cjlogistics.com/next/tracking.html?wblNo={number}"),
    )
}


def carrier_choices() -> list[tuple[str, str]]:
    return [(carrier.code, carrier.name) for carrier in CARRIERS.values()]


# UPU S10 international numbers (RR123456785DE): the last two letters name the posting country.
S10 = re.compile(r"^[A-Z]{2}(\d{8})(\d)([A-Z]{2})$")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_POSTS = {
    "US": "usps",
    "GB": "royal_mail",
    "IT": "poste_italiane",
    "RU": "russian_post",
    "KZ": "kazpost",
    "KR": "korea_post",
}

# Carrier-specific formats, most distinctive first. Pure digits are ambiguous between carriers:
# those rules are tried last, and `prefer` (e.g. the store's market) breaks ties.
PATTERNS: list[tuple[str, re.Pattern]] = [
    ("ups", re.compile(r"^1Z[0-9A-Z]{16}$")),
    ("usps", re.compile(r"^(94|93|92|95|91)\d{20}$")),
    ("usps", re.compile(r"^420\d{5}(94|93|92|95|91)\d{20}$")),
    ("dhl", re.compile(r"^JJD\d{12,20}$|^JVGL\d{16}$")),
    ("fedex", re.compile(r"^(96\d{20}|\d{15})$")),
    ("dhl", re.compile(r"^\d{10}$")),
    ("cdek", re.compile(r"^\d{10}$")),
    ("fedex", re.compile(r"^\d{12}$")),  # FedEx's 12 digits travel the world; CJ's only a Korean store's
    ("cj_logistics", re.compile(r"^\d{10}$|^\d{12}$")),
    ("korea_post", re.compile(r"^\d{13}$")),
    ("russian_post", re.compile(r"^\d{14}$")),
    ("brt", re.compile(r"^\d{19}$|^\d{11}$")),
]


def _s10_valid(digits: str, check: str) -> bool:
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, S10_WEIGHTS, strict=True)) % 11
    expected = {10: 0, 11: 5}.get(remainder, remainder)
    return int(check) == expected


# The carriers a store's market ships with, by the store's currency: they win when a number fits several
# (a Russian store's 10 digits are CDEK, not DHL; a Korean store's 12 digits are CJ, not FedEx).
MARKET_CARRIERS: dict[str, tuple[str, ...]] = {
    "RUB": ("cdek", "russian_post"),
    "KZT": ("kazpost", "cdek"),
    "KRW": ("cj_logistics", "korea_post"),
}


def preferred_carriers(store) -> tuple[str, ...]:
    return MARKET_CARRIERS.get(getattr(store, "currency", ""), ())


def detect_carrier(tracking_number: str, *, prefer: tuple[str, ...] = ()) -> str | None:
    """The carrier a tracking number most likely belongs to, or None when nothing fits.

    `prefer` lists carrier codes to favour when a number fits several (a Russian store's 10-digit
    number is CDEK rather than DHL).
    """
    number = re.sub(r"[\s-]", "", tracking_number or "").upper()
    if not number:
        return None
    s10 = S10.match(number)
    if s10 and _s10_valid(s10.group(1), s10.group(2)):
        return S10_POSTS.get(s10.group(3))
    matches = [code for code, pattern in PATTERNS if pattern.match(number)]
    for code in prefer:
        if code in matches:
            return code
    return matches[0] if matches else None


# Names stores and aggregators use for carriers, lower-cased → our code.
NAME_ALIASES = {
    "ups": "ups", "united parcel service": "ups", "usps": "usps", "united states postal service": "usps",
    "fedex": "fedex", "federal express": "fedex", "dhl": "dhl", "dhl express": "dhl", "dhlexpress": "dhl",
    "royal mail": "royal_mail", "royalmail": "royal_mail", "poste italiane": "poste_italiane",
    "posteitaliane": "poste_italiane", "brt": "brt", "bartolini": "brt", "russian post": "russian_post",
    "почта россии": "russian_post", "cdek": "cdek", "сдэк": "cdek", "kazpost": "kazpost", "казпочта": "kazpost",
    "korea post": "korea_post", "우체국택배": "korea_post", "cj logistics": "cj_logistics",
    "cj korea express": "cj_logistics", "cj대한통운": "cj_logistics",
}  # fmt: skip


def carrier_code_for_name(name: str) -> str:
    """Our code for a carrier name as a store or aggregator writes it; '' when unknown."""
    key = re.sub(r"[\s_\-]+", " ", (name or "").strip().lower())
    return NAME_ALIASES.get(key) or NAME_ALIASES.get(key.replace(" ", "")) or (key if key in CARRIERS else "")

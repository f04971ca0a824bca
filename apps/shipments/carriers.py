"""Carriers we know by code: display name and public tracking page."""

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

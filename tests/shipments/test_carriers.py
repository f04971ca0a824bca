import pytest

from apps.shipments.carriers import CARRIERS, detect_carrier


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("1Z999AA10123456784", "ups"),
        ("1z 999 aa1 0123456784", "ups"),
        ("9400111899223197428490", "usps"),
        ("RR123456785US", "usps"),
        ("RR123456785GB", "royal_mail"),
        ("RR123456785IT", "poste_italiane"),
        ("RR123456785RU", "russian_post"),
        ("RR123456785KZ", "kazpost"),
        ("RR123456785KR", "korea_post"),
        ("JJD000390007827463", "dhl"),
        ("1234567890", "dhl"),
        ("9612345678901234567890", "fedex"),
        ("123456789012345", "fedex"),
        ("6012345678901", "korea_post"),
        ("80085312345678", "russian_post"),
        ("0123456789012345678", "brt"),
    ],
)
def test_common_numbers_are_recognised(number, carrier):
    assert detect_carrier(number) == carrier


def test_an_ambiguous_number_follows_the_stores_market():
    assert detect_carrier("1234567890", prefer=("cdek",)) == "cdek"
    assert detect_carrier("123456789012", prefer=("cj_logistics",)) == "cj_logistics"


def test_an_s10_number_with_a_wrong_check_digit_is_not_taken_for_a_post():
    assert detect_carrier("RR123456789RU") is None


def test_nothing_fits_gives_none():
    assert detect_carrier("") is None
    assert detect_carrier("hello") is None


def test_every_carrier_has_a_public_tracking_link():
    for carrier in CARRIERS.values():
        url = carrier.url_for("AB 12/3")
        assert url.startswith("https://")
        assert "AB%2012%2F3" in url


def test_a_fedex_12_digit_number_is_fedex_outside_korea():
    assert detect_carrier("794612345678") == "fedex"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("currency", "number", "carrier"),
    [
        ("RUB", "1234567890", "cdek"),  # a Russian store's 10 digits: CDEK, not DHL
        ("KZT", "1234567890", "cdek"),
        ("EUR", "1234567890", "dhl"),
        ("KRW", "794612345678", "cj_logistics"),  # a Korean store's 12 digits: CJ
        ("USD", "794612345678", "fedex"),
    ],
)
def test_a_stores_parcel_gets_the_carrier_of_its_market(currency, number, carrier):
    from apps.shipments.inputs import ShipmentIn
    from apps.shipments.services import shipment_upsert
    from tests.orders.factories import OrderFactory

    order = OrderFactory(store__currency=currency)
    for _ in range(2):  # delivered twice: one shipment
        shipment, _created = shipment_upsert(order=order, data=ShipmentIn(tracking_number=number))
    assert shipment.carrier == carrier

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

"""The sender domain check: SPF, DKIM and DMARC looked up through a resolver the tests replace (no network)."""

import dns.resolver
import pytest

from apps.stores import sender_domain
from apps.stores.sender_domain import DnsUnreachable, check_sender_domain, resolve_txt, sender_domain_ok
from apps.stores.services import store_check_sender_domain
from tests.stores.factories import StoreFactory

pytestmark = pytest.mark.django_db

PUBLISHED = {
    "shop.example": ["google-site-verification=abc", "v=spf1 include:spf.esp.example ~all"],
    "s1._domainkey.shop.example": ["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1"],
    "_dmarc.shop.example": ["v=DMARC1; p=none; rua=mailto:hello@shop.example"],
}


def fake_dns(published):
    asked = []

    def resolve(name):
        asked.append(name)
        return list(published.get(name, []))

    resolve.asked = asked
    return resolve


def unreachable(name):
    raise DnsUnreachable("The DNS operation timed out.")


def test_all_three_records_published_are_ok(monkeypatch, settings):
    # given a domain with SPF (with the ESP's include), DKIM and DMARC
    settings.SENDER_SPF_INCLUDE = "spf.esp.example"
    monkeypatch.setattr(sender_domain, "resolve_txt", fake_dns(PUBLISHED))
    store = StoreFactory(sender_email="Hello@Shop.example")
    # when the check runs
    report = store_check_sender_domain(store=store, dkim_selector="s1")
    # then each is ok, the report is kept, and the sender domain counts as set up
    assert (report["spf"], report["dkim"], report["dmarc"]) == ("ok", "ok", "ok")
    store.refresh_from_db()
    assert store.sender_domain_report["domain"] == "shop.example"
    assert store.sender_domain_checked_at is not None
    assert sender_domain_ok(store)


def test_missing_records_are_missing_and_an_spf_without_the_include_too(monkeypatch):
    resolve = fake_dns({"shop.example": ["v=spf1 include:other.example ~all"]})
    report = check_sender_domain(
        sender_email="hello@shop.example", selector="s1", spf_include="spf.esp.example", resolve=resolve
    )
    assert (report["spf"], report["dkim"], report["dmarc"]) == ("missing", "missing", "missing")
    assert resolve.asked == ["shop.example", "s1._domainkey.shop.example", "_dmarc.shop.example"]


def test_without_a_selector_dkim_is_not_checked_and_the_domain_is_not_set_up(monkeypatch):
    monkeypatch.setattr(sender_domain, "resolve_txt", fake_dns(PUBLISHED))
    store = StoreFactory(sender_email="hello@shop.example")
    report = store_check_sender_domain(store=store)
    assert (report["spf"], report["dkim"], report["dmarc"]) == ("ok", "unchecked", "ok")
    assert not sender_domain_ok(store)


def test_unreachable_dns_is_said_plainly_and_asked_only_once(monkeypatch):
    # given DNS that does not answer
    calls = []

    def slow(name):
        calls.append(name)
        unreachable(name)

    monkeypatch.setattr(sender_domain, "resolve_txt", slow)
    store = StoreFactory(sender_email="hello@shop.example")
    # when the check runs, then it reports it could not check, without raising, after one try
    report = store_check_sender_domain(store=store, dkim_selector="s1")
    assert report["unreachable"] is True
    assert (report["spf"], report["dkim"], report["dmarc"]) == ("error", "error", "error")
    assert len(calls) == 1
    assert not sender_domain_ok(store)


def test_a_check_of_a_former_sender_address_does_not_count(monkeypatch):
    monkeypatch.setattr(sender_domain, "resolve_txt", fake_dns(PUBLISHED))
    store = StoreFactory(sender_email="hello@shop.example")
    store_check_sender_domain(store=store, dkim_selector="s1")
    store.sender_email = "hello@elsewhere.example"
    assert not sender_domain_ok(store)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (dns.resolver.NXDOMAIN(), []),
        (dns.resolver.NoAnswer(), []),
        (dns.resolver.LifetimeTimeout(timeout=3.0, errors=[]), DnsUnreachable),
        (dns.resolver.NoNameservers(), DnsUnreachable),
        (OSError("Network is unreachable"), DnsUnreachable),
    ],
)
def test_resolve_txt_turns_dnspython_answers_into_records_or_unreachable(monkeypatch, raised, expected):
    # given dnspython's resolver answering with an error (no network needed)
    def resolve(self, name, rdtype, **kwargs):
        raise raised

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", resolve)
    monkeypatch.setattr(dns.resolver.Resolver, "read_resolv_conf", lambda self, filename: None)
    # when a TXT record is asked for, then a missing name is no records and no answer is DnsUnreachable
    if expected is DnsUnreachable:
        with pytest.raises(DnsUnreachable):
            resolve_txt("_dmarc.shop.example")
    else:
        assert resolve_txt("_dmarc.shop.example") == expected

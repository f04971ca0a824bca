"""The sender domain's DNS: the records a store's mail needs to be trusted (SPF, DKIM, DMARC), and a check
that looks them up.

Every lookup goes through `resolve_txt`, so tests replace that one function and need no network. A lookup
that gets no answer at all (no network, a timeout, no resolver) is said plainly, never raised to the page.
"""

import re
from dataclasses import dataclass

DNS_TIMEOUT_SECONDS = 3.0

OK = "ok"
MISSING = "missing"
ERROR = "error"
UNCHECKED = "unchecked"  # DKIM, until the merchant tells us the selector their ESP uses

RECORD_KEYS = ("spf", "dkim", "dmarc")

# A DKIM selector is one or more DNS labels: letters, digits, hyphens and underscores, dots between labels.
SELECTOR_RE = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*$")
_DKIM_KEY_RE = re.compile(r"(^|;)\s*p=[A-Za-z0-9+/=]+", re.IGNORECASE)


class DnsUnreachable(Exception):
    """DNS gave no answer at all: no network, no resolver configured, or no reply within the time allowed."""


def resolve_txt(name: str, *, timeout: float = DNS_TIMEOUT_SECONDS) -> list[str]:
    """The TXT strings published at `name`; [] when the name or its TXT record does not exist.

    Raises DnsUnreachable when DNS cannot be asked or does not answer within `timeout` seconds.
    """
    import dns.exception
    import dns.resolver

    try:
        resolver = dns.resolver.Resolver()
    except (dns.exception.DNSException, OSError) as exc:  # no /etc/resolv.conf, say
        raise DnsUnreachable(str(exc) or exc.__class__.__name__) from exc
    resolver.timeout = timeout
    resolver.lifetime = timeout
    try:
        answer = resolver.resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError) as exc:  # timeout, no nameserver answered, network down
        raise DnsUnreachable(str(exc) or exc.__class__.__name__) from exc
    return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


def domain_of(email: str) -> str:
    """`Hello@Shop.Example` → `shop.example`; "" for an empty or malformed address."""
    local, _at, domain = (email or "").strip().rpartition("@")
    return domain.strip().rstrip(".").lower() if local and domain else ""


@dataclass(frozen=True)
class DnsRecord:
    key: str  # spf, dkim, dmarc
    host: str  # where the record goes
    value: str  # what it says ("" when only the ESP can say it, as for DKIM)
    type: str = "TXT"


def spf_value(spf_include: str) -> str:
    return f"v=spf1 include:{spf_include or '<ESP include>'} ~all"


def dmarc_value(sender_email: str) -> str:
    return f"v=DMARC1; p=none; rua=mailto:{sender_email}"


def dkim_host(domain: str, selector: str) -> str:
    return f"{selector or '<selector>'}._domainkey.{domain}"


def expected_records(*, sender_email: str, selector: str = "", spf_include: str = "") -> list[DnsRecord]:
    """The three records to add for the domain of `sender_email`, in the order the page explains them."""
    domain = domain_of(sender_email)
    return [
        DnsRecord(key="spf", host=domain, value=spf_value(spf_include)),
        DnsRecord(key="dkim", host=dkim_host(domain, selector), value=""),
        DnsRecord(key="dmarc", host=f"_dmarc.{domain}", value=dmarc_value(sender_email)),
    ]


def _spf_status(records: list[str], spf_include: str) -> tuple[str, str]:
    spf = [r for r in records if r.strip().lower().startswith("v=spf1")]
    if not spf:
        return MISSING, ""
    if len(spf) > 1:
        return ERROR, " | ".join(spf)  # two SPF records make both invalid (RFC 7208, 4.5)
    found = spf[0]
    if spf_include and f"include:{spf_include.lower()}" not in found.lower().split():
        return MISSING, found
    return OK, found


def _dkim_status(records: list[str]) -> tuple[str, str]:
    keys = [r for r in records if _DKIM_KEY_RE.search(r)]
    return (OK, keys[0]) if keys else (MISSING, records[0] if records else "")


def _dmarc_status(records: list[str]) -> tuple[str, str]:
    dmarc = [r for r in records if r.strip().lower().startswith("v=dmarc1")]
    return (OK, dmarc[0]) if dmarc else (MISSING, "")


def check_sender_domain(*, sender_email: str, selector: str = "", spf_include: str = "", resolve=None) -> dict:
    """Look the records up and say, for each, ok / missing / error (unchecked: DKIM without a selector).

    `resolve(name) -> list[str]` defaults to `resolve_txt` (looked up at call time, so tests can replace it).
    After the first lookup DNS does not answer, the others are not tried: the page answers within seconds.
    """
    resolve = resolve or resolve_txt
    domain = domain_of(sender_email)
    lookups = {
        "spf": (domain, lambda records: _spf_status(records, spf_include)),
        "dkim": (dkim_host(domain, selector), _dkim_status) if selector else None,
        "dmarc": (f"_dmarc.{domain}", _dmarc_status),
    }
    report: dict = {"domain": domain, "selector": selector, "unreachable": False, "found": {}}
    for key in RECORD_KEYS:
        if lookups[key] is None:
            report[key] = UNCHECKED
            continue
        if report["unreachable"]:
            report[key] = ERROR
            continue
        host, judge = lookups[key]
        try:
            records = resolve(host)
        except DnsUnreachable as exc:
            report.update({key: ERROR, "unreachable": True, "error": str(exc)[:300]})
            continue
        report[key], report["found"][key] = judge(records)
    return report


def sender_domain_ok(store) -> bool:
    """The store's sender domain passed its last check: SPF, DKIM and DMARC found, for today's sender address."""
    report = store.sender_domain_report or {}
    domain = domain_of(store.sender_email)
    return bool(domain) and report.get("domain") == domain and all(report.get(key) == OK for key in RECORD_KEYS)


def sender_domain_status(*, store, spf_include: str = "") -> dict:
    """What the sender domain page shows: the domain, each record to add with its state at the last check (of
    today's sender address: a check of a former address counts for nothing), and whether all are in place."""
    domain = domain_of(store.sender_email)
    report = store.sender_domain_report or {}
    if not domain or report.get("domain") != domain:
        report = {}
    selector = report.get("selector", "")
    found = report.get("found", {})
    rows = []
    if domain:
        records = expected_records(sender_email=store.sender_email, selector=selector, spf_include=spf_include)
        rows = [{"record": r, "status": report.get(r.key, ""), "found": found.get(r.key, "")} for r in records]
    return {
        "domain": domain,
        "selector": selector,
        "rows": rows,
        "report": report,
        "all_ok": sender_domain_ok(store),
        "checked_at": store.sender_domain_checked_at if report else None,
        "spf_include": spf_include,
    }

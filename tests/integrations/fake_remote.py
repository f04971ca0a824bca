"""A stand-in source for the runners' tests (history, registration, coupons): it records what it was asked
and answers what the test scripted. The sources' own calls are tested against local HTTP servers."""

from dataclasses import dataclass, field, replace

from apps.integrations import registry
from apps.integrations.remotes import CredentialField, HistoryPage, Registration, Remote, SetupResult


@dataclass
class Script:
    pages: dict[str, list[HistoryPage]] = field(default_factory=dict)  # stage → pages in order
    fetched: list[tuple[str, str]] = field(default_factory=list)  # (stage, cursor) asked for
    applied: list[tuple[str, tuple]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)  # raised by the next calls, in order
    coupons: list[str] = field(default_factory=list)
    registered: list[list[str]] = field(default_factory=list)
    outcome: dict[str, Registration] = field(default_factory=dict)  # tracking number → outcome
    setup_result: SetupResult = field(default_factory=SetupResult)


def install(monkeypatch, source: str, *, kind: str = "shop", batch: int = 2) -> Script:
    """Replace `source`'s REMOTE by a scripted one for this test."""
    script = Script()

    def fail_if_scripted():
        if script.failures:
            raise script.failures.pop(0)

    def setup(connection):
        fail_if_scripted()
        return script.setup_result

    def history_page(connection, stage, cursor, since):
        fail_if_scripted()
        script.fetched.append((stage, cursor))
        pages = script.pages.get(stage, [])
        index = int(cursor or 0)
        if index >= len(pages):
            return HistoryPage(items=[], next_cursor=None, total=0)
        page = pages[index]
        return replace(page, next_cursor=str(index + 1) if index + 1 < len(pages) else None)

    def history_apply(connection, stage, items):
        script.applied.append((stage, tuple(items)))
        return len(items)

    def coupon_create(connection, coupon):
        fail_if_scripted()
        script.coupons.append(coupon.code)
        return f"gid://shop/Discount/{len(script.coupons)}"

    def tracking_register(connection, shipments):
        fail_if_scripted()
        script.registered.append([s.tracking_number for s in shipments])
        return {
            s.pk: script.outcome.get(s.tracking_number, Registration(ok=True, external_id=f"t-{s.pk}"))
            for s in shipments
        }

    fields = (CredentialField("token", "API token", "api_token"),)
    remote = Remote(
        source=source,
        kind=kind,
        fields=fields,
        setup=setup,
        history_page=history_page if kind == "shop" else None,
        history_apply=history_apply if kind == "shop" else None,
        coupon_create=coupon_create if kind == "shop" else None,
        tracking_register=tracking_register if kind == "tracking" else None,
        register_batch_size=batch,
    )
    monkeypatch.setitem(registry.remotes(), source, remote)
    return script

"""axe-core (vendored in tests/browser/vendor/axe-core) run in the page: the violations a person using a
screen reader, a keyboard or a zoomed screen would trip over, critical and serious ones only."""

import json
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"critical", "serious"}


def axe_violations(page) -> list[str]:
    """Run axe on the page as it is; the browser context must be made with bypass_csp=True (axe is injected
    inline, which the pages' CSP rightly refuses)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    results = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[node['target'] for node in v['nodes'][:3]]}"
        for v in json.loads(results)
        if v["impact"] in BLOCKING
    ]

"""mypy (with django-stubs, configured in pyproject.toml) against the committed baseline, mypy-baseline.txt.

    python scripts/typecheck.py              # `make typecheck`: fails on an error not in the baseline, and on
                                             # one the baseline lists that is gone (remove it: see below)
    python scripts/typecheck.py --baseline   # `make typecheck-baseline`: rewrite the baseline from today's
                                             # errors; refuses to add any unless --allow-new-errors

The baseline may only shrink: fixing an error means regenerating it, which removes the line; a new error is
fixed, not added. Lines carry no line numbers (mypy-baseline strips them), so edits above an old error do
not disturb it. mypy's own failure (a crash, a bad configuration: exit code 2) fails both.
"""

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BASELINE = ROOT / "mypy-baseline.txt"
MYPY = [str(BIN / "mypy"), "--cache-dir", "var/.mypy_cache", "--no-color-output", "--no-error-summary"]
MYPY_BASELINE = [str(BIN / "mypy-baseline")]


def run_mypy() -> str:
    (ROOT / "var").mkdir(exist_ok=True)
    done = subprocess.run(MYPY, cwd=ROOT, capture_output=True, text=True)
    if done.returncode > 1:  # 1: type errors found; 2: mypy could not check at all
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"mypy failed to run (exit code {done.returncode})")
    return done.stdout


def baseline_lines() -> Counter:
    if not BASELINE.exists():
        return Counter()
    return Counter(line for line in BASELINE.read_text(encoding="utf-8").splitlines() if line.strip())


def check(output: str) -> int:
    done = subprocess.run(
        [*MYPY_BASELINE, "filter", "--no-colors", "--baseline-path", str(BASELINE)], cwd=ROOT, input=output, text=True
    )
    if done.returncode:
        print(
            "\nmake typecheck: fix the new errors above; if it reports errors fixed, "
            "run `make typecheck-baseline` and commit mypy-baseline.txt.",
            file=sys.stderr,
        )
    return done.returncode


def rewrite_baseline(output: str, *, allow_new: bool) -> int:
    before = baseline_lines()
    previous_text = BASELINE.read_text(encoding="utf-8") if BASELINE.exists() else None
    subprocess.run(
        [*MYPY_BASELINE, "sync", "--sort-baseline", "--no-colors", "--baseline-path", str(BASELINE)],
        cwd=ROOT,
        input=output,
        text=True,
    )
    after = baseline_lines()
    added = after - before
    if previous_text is not None and added and not allow_new:
        BASELINE.write_text(previous_text, encoding="utf-8")
        for line in sorted(added.elements()):
            print(f"new: {line}", file=sys.stderr)
        print(f"{sum(added.values())} errors are not in the baseline: fix them (baseline unchanged).", file=sys.stderr)
        return 1
    print(f"mypy-baseline.txt: {sum(after.values())} errors ({sum((before - after).values())} fixed since last time)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="rewrite mypy-baseline.txt from today's errors")
    parser.add_argument("--allow-new-errors", action="store_true", help="with --baseline: let it grow (first run)")
    args = parser.parse_args()
    output = run_mypy()
    if args.baseline:
        return rewrite_baseline(output, allow_new=args.allow_new_errors)
    return check(output)


if __name__ == "__main__":
    sys.exit(main())

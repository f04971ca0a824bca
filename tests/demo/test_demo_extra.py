"""The demo is not product code: only apps/demo imports its extra (factory-boy, Faker), and without the extra
the product still starts while seed_demo says what is missing."""

import ast
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.stores.models import Store

APPS = Path(__file__).resolve().parents[2] / "apps"
DEMO_EXTRA = {"factory", "faker"}


def imported_top_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_demo_app_imports_the_demo_extra():
    # given every Python file of the product apps
    offenders = [
        str(path.relative_to(APPS))
        for path in APPS.rglob("*.py")
        if "demo" not in path.relative_to(APPS).parts[:1] and imported_top_modules(path) & DEMO_EXTRA
    ]
    # then none of them imports factory-boy or Faker
    assert offenders == []


def test_the_demo_app_loads_its_extra_only_when_the_seed_runs():
    # given the modules Django imports at start-up for apps.demo (its config) and the command's module
    demo = APPS / "demo"
    at_start_up = [demo / "__init__.py", demo / "apps.py", demo / "profiles.py"]
    # then none of them imports the extra at module level
    for path in at_start_up:
        assert not imported_top_modules(path) & DEMO_EXTRA, path
    command = ast.parse((demo / "management" / "commands" / "seed_demo.py").read_text(encoding="utf-8"))
    top_level = {node.module for node in command.body if isinstance(node, ast.ImportFrom)}
    assert "apps.demo.seed" not in top_level and "apps.demo.catalogue" not in top_level


@pytest.mark.django_db
def test_without_the_demo_extra_seed_demo_says_what_to_install(settings, monkeypatch):
    # given an install without factory-boy (the seed's modules not imported yet)
    settings.DEBUG = True
    for name in [name for name in sys.modules if name.startswith("apps.demo.") and "profiles" not in name]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "factory", None)
    # when the demo is seeded, then the error names the extra, and nothing was written
    with pytest.raises(CommandError, match=r"demo extra \(factory is not installed\)"):
        call_command("seed_demo", "--scale", "3")
    assert not Store.objects.filter(slug="demo").exists()

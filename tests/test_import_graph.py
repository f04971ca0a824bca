"""The apps import each other without a cycle and only down their layers (scripts/import_graph.py --check, also a
CI step), and the check sees an import however it is made: at module level, inside a function, or through
importlib with a literal name. Typing-only imports (under `if TYPE_CHECKING:`) run nothing and do not count."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "import_graph.py"


def check(root: Path = ROOT, layers: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, str(SCRIPT), "--check", "--root", str(root)]
    if layers is not None:
        command += ["--layers", layers]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def tree(root: Path, files: dict[str, str]) -> Path:
    """A tiny project: apps/<app>/__init__.py for every app named, and the files given."""
    for name, text in files.items():
        path = root / "apps" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for package in (path.parent, *path.parent.parents):
            if package == root:
                break
            (package / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return root


def test_the_apps_of_this_repository_import_each_other_without_a_cycle():
    done = check()
    assert done.returncode == 0, done.stderr
    assert "No import cycle" in done.stdout and "every import goes down the layers" in done.stdout


LOWER = {"low/models.py": "X = 1\n", "high/models.py": "from apps.low.models import X\n"}


def test_one_way_imports_pass(tmp_path):
    done = check(tree(tmp_path, LOWER), "low,high")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "back",
    [
        pytest.param("from apps.high.models import Y\n", id="module level"),
        pytest.param("def f():\n    from apps.high import models\n    return models\n", id="inside a function"),
        pytest.param("class C:\n    def m(self):\n        import apps.high.models\n", id="inside a method"),
        pytest.param("from . import models\nfrom ..high import models as other\n", id="relative"),
        pytest.param(
            "import importlib\n\ndef f():\n    return importlib.import_module('apps.high.models')\n", id="importlib"
        ),
    ],
)
def test_a_cycle_fails_the_check_however_the_import_is_written(tmp_path, back):
    done = check(tree(tmp_path, {**LOWER, "low/services.py": back}), "low,high")
    assert done.returncode == 1
    assert "import cycle between apps" in done.stderr
    assert "high, low" in done.stderr
    assert "low imports high, which is above it in the layers" in done.stderr


def test_a_typing_only_import_back_is_no_cycle(tmp_path):
    back = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from apps.high.models import Y\n"
    done = check(tree(tmp_path, {**LOWER, "low/services.py": back}), "low,high")
    assert done.returncode == 0, done.stderr


def test_migrations_are_left_out(tmp_path):
    done = check(tree(tmp_path, {**LOWER, "low/migrations/0001_initial.py": "import apps.high.models\n"}), "low,high")
    assert done.returncode == 0, done.stderr


def test_an_import_up_the_layers_fails_without_a_cycle(tmp_path):
    files = {**LOWER, "low/services.py": "def f():\n    from apps.high.models import Y\n", "high/models.py": "Y = 1\n"}
    done = check(tree(tmp_path, files), "low,high")
    assert done.returncode == 1
    assert "import cycle" not in done.stderr
    assert "low imports high, which is above it in the layers" in done.stderr


def test_apps_of_one_layer_import_neither_each_other(tmp_path):
    done = check(tree(tmp_path, LOWER), "low|high")
    assert done.returncode == 1
    assert "high imports low, which is beside it in the layers" in done.stderr


def test_an_app_without_a_layer_fails(tmp_path):
    done = check(tree(tmp_path, {**LOWER, "new/models.py": "X = 1\n"}), "low,high")
    assert done.returncode == 1
    assert "new has no place in the layers" in done.stderr

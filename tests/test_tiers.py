"""The fast tier's list of slow modules names files that exist: a renamed module does not slip into it."""

from tests.tiers import SLOW_MODULES, TESTS, is_slow


def test_every_slow_module_exists_and_is_marked_slow():
    missing = sorted(module for module in SLOW_MODULES if not (TESTS / module).is_file())
    assert not missing, f"tests/tiers.py names modules that do not exist: {missing}"
    assert all(is_slow(TESTS / module) for module in SLOW_MODULES)
    assert is_slow(TESTS / "browser" / "test_anything.py")
    assert not is_slow(TESTS / "core" / "test_safe_values.py")

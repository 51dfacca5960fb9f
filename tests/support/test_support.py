"""The test helpers themselves, and bench/'s independence from the tests (no broker needed)."""
import subprocess
import sys

import pytest

from tests.support.waiting import holds_for, wait_for


def test_wait_for_returns_the_first_truthy_answer():
    answers = iter([None, 0, [], "ready"])
    assert wait_for(lambda: next(answers), 5, 0.001) == "ready"


def test_wait_for_fails_naming_what_it_waited_for_and_the_last_value():
    with pytest.raises(AssertionError, match=r"waited 0.05 s for the grant: last value \[\]"):
        wait_for(lambda: [], 0.05, 0.01, message="the grant")


def test_wait_for_asks_again_after_an_ignored_error_and_reports_it():
    def broken():
        raise ConnectionError("broker away")
    with pytest.raises(AssertionError, match="broker away"):
        wait_for(broken, 0.05, 0.01, ignore=(ConnectionError,))
    with pytest.raises(ConnectionError):
        wait_for(broken, 0.05, 0.01)


def test_holds_for_fails_as_soon_as_the_condition_breaks():
    answers = iter([True, True, False, True])
    with pytest.raises(AssertionError, match="one effect stopped holding"):
        holds_for(lambda: next(answers), 5, 0.001, message="one effect")
    assert holds_for(lambda: "still", 0.02, 0.005) == "still"


def test_bench_imports_no_test_module():
    code = ("import sys, pkgutil, importlib, bench\n"
            "for m in pkgutil.iter_modules(bench.__path__):\n"
            "    if m.name != '__main__': importlib.import_module('bench.' + m.name)\n"
            "print(' '.join(m for m in sys.modules if m == 'tests' or m.startswith('tests.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == [], f"bench/ imports test modules: {loaded}"

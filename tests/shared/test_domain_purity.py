"""Every ``services/*/domain`` module is plain Python: importing it loads none of nameko, kombu,
eventlet or pymongo, not even indirectly (issue 13; README, "Layout"). Each module is imported in
a fresh interpreter, since this test process has them all loaded already."""
import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORBIDDEN = ("nameko", "kombu", "eventlet", "pymongo")
PLAIN_SHARED = ("shared.principal", "shared.errors", "shared.events", "shared.calendar")


def _modules():
    paths = glob.glob(os.path.join(ROOT, "services", "*", "domain", "**", "*.py"), recursive=True)
    return sorted(os.path.relpath(p, ROOT)[:-3].replace(os.sep, ".").removesuffix(".__init__") for p in paths)


def _loads(module: str) -> list[str]:
    code = ("import sys, importlib; importlib.import_module(sys.argv[1]); "
            f"print(' '.join(x for x in {FORBIDDEN!r} if x in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, f"{module} does not import: {done.stderr.strip().splitlines()[-1:]}"
    return done.stdout.split()


def test_every_domain_module_is_plain_python():
    offenders = {m: loaded for m in _modules() + list(PLAIN_SHARED) if (loaded := _loads(m))}
    assert not offenders, f"domain modules that load messaging or database libraries: {offenders}"


@pytest.mark.parametrize("module", ["shared.principal", "shared.errors"])
def test_the_shared_values_domain_code_uses_are_plain(module):
    assert _loads(module) == []


def test_the_gateway_loads_no_domain_code():
    """The published schemas import only their service's ``contract`` and ``shared/`` (issue 13):
    importing the gateway loads no ``services.*.domain`` module and no service's storage."""
    code = ("import sys, gateway.service; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('services.') "
            "and m.split('.')[-1] not in ('schemas', 'contract') and m.count('.') > 1)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]
    assert done.stdout.split() == [], f"the gateway loads service internals: {done.stdout.split()}"

"""Tests poll, never sleep and hope: ``wait_for`` until something is true, ``holds_for`` that it stays so."""
from __future__ import annotations

import time


def wait_for(check, timeout: float = 15.0, interval: float = 0.05, *, message: str = "",
             ignore: tuple[type[BaseException], ...] = ()):
    """Call ``check()`` until it returns something truthy, and return that; after ``timeout``
    seconds fail with ``message``, the last value and the last ignored error. ``ignore``: errors
    that mean "ask again" (e.g. ``Exception`` while a broker comes back after a fault)."""
    deadline = time.monotonic() + timeout
    value, error = None, None
    while True:
        try:
            value, error = check(), None
        except ignore as exc:
            value, error = None, exc
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    what = message or getattr(check, "__name__", "the condition")
    detail = f"; last error: {error!r}" if error is not None else ""
    raise AssertionError(f"waited {timeout:g} s for {what}: last value {value!r}{detail}")


def holds_for(check, seconds: float, interval: float = 0.05, *, message: str = ""):
    """``check()`` stays truthy for ``seconds`` (e.g. a late redelivery changes nothing); fails at the
    first falsy answer. Returns the last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if not value:
            raise AssertionError(f"{message or 'the condition'} stopped holding: {value!r}")
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)

"""Broker faults for the ``slow`` tests: the broker drops every connection, a container is stopped
(or killed) and started again on the same data. Never used by fast tests: closing every
connection disturbs every test run on this broker."""
from __future__ import annotations

import subprocess


def close_all_connections(reason: str = "fault injected by test") -> None:
    """The broker drops every client connection (``rabbitmqctl close_all_connections``)."""
    result = subprocess.run(["rabbitmqctl", "close_all_connections", reason],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"rabbitmqctl close_all_connections failed: {result.stderr}"


def start(container_factory, cls, config):
    """A started container of ``cls`` (stopped by nameko's fixture at the end of the test)."""
    container = container_factory(cls, config)
    container.start()
    return container


def restart(container_factory, container, cls=None, *, kill: bool = False):
    """Stop (or ``kill``: no graceful end, unacked messages go back to the queue) ``container`` and
    start a new one of ``cls`` (default: the same class) on the same config; with
    ``MONGO_URI=memory://NAME`` it finds its data again."""
    config = container.config
    cls = cls or container.service_cls
    if kill:
        container.kill()
    else:
        container.stop()
    return start(container_factory, cls, config)

"""The whole system in one process for the browser tests: every service of config ``SERVICES``
and the gateway (which serves console/dist), on the vhost, port and embedded store given in the
environment, exactly as ``skillmaster-service`` runs each of them.

Until the shared admin clock lands, the registry's clock is moved through stdin: a line
``today YYYY-MM-DD`` sets every service's ``Clock`` provider that has a ``fixed`` date and
answers ``ok``. ``stop`` (or end of input) stops everything.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import datetime as dt  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")

BEIJING = dt.timezone(dt.timedelta(hours=8))


def main() -> int:
    import os
    # answers on the original stdout; everything else (JSON logs) goes to stderr
    control = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from eventlet import tpool
    from nameko.runners import ServiceRunner

    from shared.config import load_config
    from shared.logs import setup_logging
    from shared.topology import declare_topology, load_service_class

    config = load_config()
    setup_logging(config.get("LOG_LEVEL", "WARNING"))
    classes = [load_service_class(path) for path in config["SERVICES"].values()]
    declare_topology(config["AMQP_URI"], classes)
    runner = ServiceRunner(config)
    for cls in classes:
        runner.add_service(cls)
    runner.start()
    print("started", file=control)

    def move_clock(day: dt.date) -> int:
        moved = 0
        for container in runner.containers:
            for dep in container.dependencies:
                if type(dep).__name__ == "Clock" and hasattr(dep, "fixed"):
                    # the registry's clock is a date; the others take a moment (09:00 Beijing that day)
                    registry = type(dep).__module__.startswith("services.registry")
                    dep.fixed = day if registry else dt.datetime.combine(day, dt.time(9), BEIJING)
                    moved += 1
        return moved

    while True:
        line = tpool.execute(sys.stdin.readline)
        if not line or line.strip() == "stop":
            break
        parts = line.split()
        if len(parts) == 2 and parts[0] == "today":
            moved = move_clock(dt.date.fromisoformat(parts[1]))
            print(f"ok {moved}", file=control)
        else:
            print(f"unknown command {line.strip()!r}", file=control)
    runner.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Move the running system's clock (DEMO_MODE rehearsal): ``python move_clock.py AMQP_URI YYYY-MM-DD``.

Calls ``set_clock`` on the registry as an admin over RabbitMQ (shared/clock.py: the registry
takes the move at once and publishes ``clock.moved`` to every other service). The journeys move
the clock as set-up between users' steps, behind the scenes; the admin's own screen (演示时钟,
``PUT /api/v1/admin/clock``) is tested in test_supervision_clock_screens.py. Prints the
registry's clock state."""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")


def main(amqp_uri: str, day: str) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.principal import ADMIN, PRINCIPAL_KEY, Principal

    admin = Principal(user="demo-admin", role=ADMIN, tenant_id=None, unit_id=None)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"}, timeout=20,
                         context_data={PRINCIPAL_KEY: admin.to_header()}) as proxy:
        state = proxy.registry.set_clock(today=day, reason="console browser test: after the notice")
    print(json.dumps(state, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

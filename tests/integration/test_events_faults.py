"""Fault injection over the real broker (issue #10): a broker that drops every connection in
the middle of a burst, and a consumer killed between its write and its ack. Each test prints
what it injected and what it counted; RANDOM seeds are printed so a failing run can be replayed
(FAULT_SEED=… make test)."""
import os
import random
from functools import partial

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.topology import declare_topology
from tests.conftest import make_config
from tests.support.broker import close_all_connections, restart
from tests.support.event_services import EmitterService, SinkService
from tests.support.waiting import wait_for as wait

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))


# the broker is coming back after a fault: an error means "ask again"
wait_for = partial(wait, timeout=60.0, interval=0.25, ignore=(Exception,))


def call(cfg, service, method, *args, **kwargs):
    with ClusterRpcProxy(cfg, timeout=20) as proxy:
        return getattr(getattr(proxy, service), method)(*args, **kwargs)


@pytest.fixture
def cfg(rabbit_config):
    return make_config(rabbit_config["AMQP_URI"], OUTBOX_POLL_SECONDS=0.2, EVENT_RETRY_BASE_SECONDS=0.2)


def test_a_burst_of_200_survives_the_broker_dropping_every_connection(cfg, container_factory):
    rng = random.Random(SEED)
    declare_topology(cfg["AMQP_URI"], [SinkService])
    for cls in (EmitterService, SinkService):
        container_factory(cls, cfg).start()
    burst = eventlet.spawn(call, cfg, "emitter", "make_many", "burst", 200)
    eventlet.sleep(rng.uniform(0.05, 0.4))  # somewhere in the middle of the burst
    close_all_connections()
    try:
        burst.wait()
    except Exception:
        pass  # our own RPC connection was dropped too; the emitter's writes carry on
    made = wait_for(lambda: call(cfg, "sink", "ping") and _count_made(cfg))  # both answer again
    assert made
    applied = wait_for(lambda: call(cfg, "sink", "effect_count") == _count_made(cfg), timeout=90)
    effects = call(cfg, "sink", "effects")
    print(f"seed={SEED} injected: close_all_connections during a burst of 200; "
          f"counted: {_count_made(cfg)} recorded, {len(effects)} applied, "
          f"{len(effects) - len(set(effects))} duplicated")
    assert applied and len(effects) == len(set(effects)) == _count_made(cfg)
    assert call(cfg, "emitter", "ping")["outbox_pending"] == 0


def _count_made(cfg):
    # every thing the emitter recorded (the RPC burst may have been cut short with its connection)
    return call(cfg, "emitter", "made_count")


def test_a_consumer_killed_between_its_write_and_its_ack_applies_the_event_once(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [SinkService])
    container_factory(EmitterService, cfg).start()
    sink = container_factory(SinkService, cfg)
    sink.start()
    call(cfg, "emitter", "make", "hang", hang_after_write=True)
    assert wait_for(lambda: call(cfg, "sink", "effect_count") == 1, timeout=20)
    # the worker wrote its effect and hangs before the ack: killed, the message goes back
    restarted = restart(container_factory, sink, kill=True)
    # the redelivery reaches the inbox, which finds the effect and changes nothing
    assert wait_for(lambda: _inbox_has(restarted, "hang"), timeout=20)
    assert call(cfg, "sink", "effects") == ["hang"]
    print("injected: consumer killed after its write, before its ack; counted: 1 redelivery, 1 effect")


def _inbox_has(container, thing_id):
    from shared.inbox import INBOX
    from shared.storage import container_db
    return container_db(container)[INBOX].count_documents({}) == 1

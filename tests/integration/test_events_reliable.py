"""The event mechanism every service uses (issue #10) over the real broker: outbox, declared
queues, inbox, retries and the dead-letter store — with faults injected, counted and printed."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from nameko.standalone.events import get_event_exchange
from nameko.amqp.publish import Publisher
from shared.topology import declare_topology
from tests.conftest import make_config
from tests.support.event_services import EmitterService, SinkService
from tests.support.waiting import holds_for, wait_for


@pytest.fixture
def cfg(rabbit_config):
    # the session's wire store, databases of this test's own: a restarted service keeps its data
    return make_config(rabbit_config["AMQP_URI"], EVENT_RETRY_LIMIT=3, EVENT_RETRY_BASE_SECONDS=0.1, OUTBOX_POLL_SECONDS=0.2)


def rpc(cfg):
    return ClusterRpcProxy(cfg, timeout=10)


def test_event_published_before_the_subscriber_runs_is_applied_once_it_starts(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [SinkService])  # the deploy step: queues before publishers
    emitter = container_factory(EmitterService, cfg)
    emitter.start()
    with rpc(cfg) as proxy:
        proxy.emitter.make("t1")
        assert wait_for(lambda: proxy.emitter.ping()["outbox_pending"] == 0)
        sink = container_factory(SinkService, cfg)
        sink.start()
        assert wait_for(lambda: proxy.sink.effects() == ["t1"])
    print("injected: sink down while publishing; counted: 1 effect")


def test_unroutable_event_stays_pending_until_a_queue_is_bound(cfg, container_factory):
    emitter = container_factory(EmitterService, cfg)
    emitter.start()
    with rpc(cfg) as proxy:
        proxy.emitter.make("t2")
        status = wait_for(lambda: (lambda s: s if s["outbox_unroutable_types"] else None)(proxy.emitter.ping()),
                          message="the emitter to find thing.made unroutable")
        assert status["outbox_pending"] == 1  # not dropped: mandatory publish came back
        assert status["outbox_unroutable_types"] == ["thing.made"]
        declare_topology(cfg["AMQP_URI"], [SinkService])
        assert wait_for(lambda: proxy.emitter.ping()["outbox_pending"] == 0)
        sink = container_factory(SinkService, cfg)
        sink.start()
        assert wait_for(lambda: proxy.sink.effects() == ["t2"])


def test_the_same_event_delivered_three_times_concurrently_has_one_effect(cfg, container_factory):
    sink = container_factory(SinkService, cfg)
    sink.start()
    envelope = {"event_id": "dup-1", "source": "emitter", "type": "thing.made", "tenant_id": "dongcheng",
                "occurred_at": "2026-01-01T00:00:00+00:00", "request_id": None, "data": {"thing_id": "t3"}}
    publisher = Publisher(cfg["AMQP_URI"])
    exchange = get_event_exchange("emitter", cfg)
    for _ in range(3):
        publisher.publish(envelope, exchange=exchange, routing_key="thing.made")
    with rpc(cfg) as proxy:
        assert wait_for(lambda: proxy.sink.effects() == ["t3"])
        holds_for(lambda: proxy.sink.effects() == ["t3"], 0.5, message="one effect of three deliveries")
    print("injected: 3 concurrent deliveries of one event; counted: 1 effect")


def test_handler_failing_twice_then_succeeding_applies_once(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [SinkService])
    for cls in (EmitterService, SinkService):
        container_factory(cls, cfg).start()
    with rpc(cfg) as proxy:
        proxy.emitter.make("t4", fail_times=2)
        assert wait_for(lambda: proxy.sink.effects() == ["t4"])
        assert wait_for(lambda: proxy.sink.ping()["retrying"] == 0)
        assert proxy.sink.ping()["dead_letters"] == 0
    print("injected: 2 failures; counted: 1 effect, 0 dead letters")


def test_poison_event_is_parked_does_not_block_others_and_replays_once_fixed(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [SinkService])
    for cls in (EmitterService, SinkService):
        container_factory(cls, cfg).start()
    admin = {"principal": '{"user": "ops", "role": "admin"}'}
    with rpc(cfg) as proxy:
        proxy.emitter.make("poison", always_fail=True)
        proxy.emitter.make("after-1")
        proxy.emitter.make("after-2")
        assert wait_for(lambda: proxy.sink.effects() == ["after-1", "after-2"])
        assert wait_for(lambda: proxy.sink.ping()["dead_letters"] == 1)
    with ClusterRpcProxy(cfg, timeout=10, context_data=admin) as proxy:
        parked = proxy.sink.list_dead_letters()["items"]
        assert len(parked) == 1 and parked[0]["attempts"] == 3 and "poison" in parked[0]["last_error"]
        proxy.sink.fix("poison")
        proxy.sink.replay_dead_letter(parked[0]["id"])
        assert wait_for(lambda: proxy.sink.effects() == ["after-1", "after-2", "poison"])
        assert proxy.sink.ping()["dead_letters"] == 0
    print("injected: 1 poison event (3 attempts) before 2 good ones; counted: 2 effects, 1 parked, 1 after replay")


def test_dead_letters_are_for_admins_only(cfg, container_factory):
    container_factory(SinkService, cfg).start()
    tenant = {"principal": '{"user": "t", "role": "tenant", "tenant_id": "dongcheng"}'}
    from nameko.exceptions import RemoteError
    with ClusterRpcProxy(cfg, timeout=10, context_data=tenant) as proxy:
        with pytest.raises(RemoteError, match="forbidden"):
            proxy.sink.list_dead_letters()

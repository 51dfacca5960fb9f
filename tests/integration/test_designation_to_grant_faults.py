"""Issue #10 over the real broker with the real services: a designation in ``registry`` must
become exactly one 300,000 CNY grant in ``ledger``, a revocation exactly one clawback — with
the ledger stopped, the broker dropping every connection mid-burst, the ledger killed between
its write and its ack, and handlers failing. Each test prints what it injected and what it
counted; ``FAULT_SEED=<n>`` replays a run's random choices."""
import os
import random
from functools import partial

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.ledger.service import LedgerService
from services.registry.service import RegistryService
from shared.storage import container_db
from shared.topology import declare_topology
from tests.conftest import make_config
from bench.designations import designate_directly
from tests.support.broker import close_all_connections, restart, start
from tests.support.waiting import holds_for, wait_for as wait

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))
GRANT_FEN = 30_000_000
ADMIN = {"principal": '{"user": "ops", "role": "admin"}'}


# the broker may be coming back after a fault: an error means "ask again"
wait_for = partial(wait, timeout=60.0, interval=0.25, ignore=(Exception,))


@pytest.fixture
def cfg(rabbit_config):
    # the session's wire store, databases of this test's own: a killed ledger container restarts on its data
    return make_config(rabbit_config["AMQP_URI"], OUTBOX_POLL_SECONDS=0.2, EVENT_RETRY_BASE_SECONDS=0.2, EVENT_RETRY_LIMIT=3)


def grants(ledger_container) -> list[str]:
    entries = container_db(ledger_container)["entries"]
    return [e["studio_id"] for e in entries.find({"kind": "grant"}, {"studio_id": 1})]


def test_designated_while_the_ledger_is_stopped_gives_exactly_one_grant_when_it_starts(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [LedgerService])  # the deploy step (make run, compose)
    registry = start(container_factory, RegistryService, cfg)
    [studio_id] = designate_directly(registry, 1, "stopped")
    with ClusterRpcProxy(cfg, timeout=10) as proxy:
        assert wait_for(lambda: proxy.registry.ping()["outbox_pending"] == 0, timeout=20)  # published, queued
    ledger = start(container_factory, LedgerService, cfg)
    assert wait_for(lambda: grants(ledger) == [studio_id], timeout=20)
    holds_for(lambda: grants(ledger) == [studio_id], 0.5, message="one grant")
    entry = container_db(ledger)["entries"].find_one({"kind": "grant"})
    assert grants(ledger) == [studio_id] and entry["amount_fen"] == GRANT_FEN
    print("injected: ledger stopped during the designation; counted: 1 grant of 300,000 CNY")


def test_200_designations_in_a_burst_while_the_broker_drops_every_connection(cfg, container_factory):
    rng = random.Random(SEED)
    declare_topology(cfg["AMQP_URI"], [LedgerService])
    registry = start(container_factory, RegistryService, cfg)
    ledger = start(container_factory, LedgerService, cfg)
    burst = eventlet.spawn(designate_directly, registry, 200, "burst")
    eventlet.sleep(rng.uniform(0.05, 0.5))
    close_all_connections()
    studio_ids = burst.wait()
    got = wait_for(lambda: len(grants(ledger)) >= 200 and grants(ledger), timeout=120)
    holds_for(lambda: len(grants(ledger)) == len(got), 1.0,  # a late redelivery must change nothing
              message="no grant booked twice")
    booked = grants(ledger)
    print(f"seed={SEED} injected: close_all_connections in a burst of 200 designations; counted: "
          f"{len(studio_ids)} designated, {len(set(booked))} granted, {len(booked) - len(set(booked))} "
          f"duplicated, {len(set(studio_ids) - set(booked))} lost")
    assert got and sorted(booked) == sorted(studio_ids)


class LedgerHangingAfterWrite(LedgerService):
    """The real ledger, except that the first delivery of each designation hangs after the
    grant is written and before nameko can ack it (where a SIGKILL would hit)."""

    hung: set = set()

    def _designated(self, event):
        super()._designated(event)
        if event["event_id"] not in self.hung:
            self.hung.add(event["event_id"])
            eventlet.sleep(3600)


def test_a_ledger_killed_between_its_write_and_its_ack_applies_the_event_once(cfg, container_factory):
    declare_topology(cfg["AMQP_URI"], [LedgerService])
    registry = start(container_factory, RegistryService, cfg)
    ledger = start(container_factory, LedgerHangingAfterWrite, cfg)
    [studio_id] = designate_directly(registry, 1, "killed")
    assert wait_for(lambda: grants(ledger) == [studio_id], timeout=20)  # written, not acked
    # killed, its connection goes with it: the broker puts the unacked event back
    restarted = restart(container_factory, ledger, LedgerService, kill=True)
    inbox = container_db(restarted)["_inbox"]
    assert wait_for(lambda: inbox.count_documents({}) == 1, timeout=20)  # the redelivery reached the inbox
    assert grants(restarted) == [studio_id]
    print("injected: ledger killed after writing the grant, before the ack; counted: 1 redelivery, 1 grant")


def test_a_revocation_that_arrives_before_its_designation_waits_then_applies_once(cfg, container_factory):
    """R-20: no account yet, so the clawback waits (its attempts do not count against the retry
    limit, EVENT_RETRY_LIMIT=3 here); the designation, published after more than three attempts,
    opens the account and wakes it: one grant, one clawback, nothing parked."""
    declare_topology(cfg["AMQP_URI"], [LedgerService])
    ledger = start(container_factory, LedgerService, cfg)
    from bench.designations import revoked_event, designated_event
    publish = _publisher(cfg)
    publish(revoked_event("early", "rev-early"))
    failures = container_db(ledger)["_event_failures"]
    waiting = wait_for(lambda: failures.find_one({"attempts": {"$gte": 4}}), timeout=20)
    assert waiting["status"] in ("retrying", "requeued") and waiting["waiting_for"] == "studio.designated:early"
    publish(designated_event("early"))
    entries = container_db(ledger)["entries"]
    assert wait_for(lambda: entries.count_documents({"kind": "clawback"}) == 1, timeout=20)
    assert entries.count_documents({"kind": "grant"}) == 1
    assert wait_for(lambda: failures.count_documents({}) == 0, timeout=10)
    print(f"injected: revocation {waiting['attempts']} attempts before its designation; counted: "
          "1 grant, 1 clawback, 0 parked")


def test_a_revocation_whose_designation_never_comes_is_parked_after_the_wait_others_flow_and_an_admin_replays_it(
        rabbit_config, container_factory):
    cfg = make_config(rabbit_config["AMQP_URI"], OUTBOX_POLL_SECONDS=0.2, EVENT_RETRY_BASE_SECONDS=0.2,
                      EVENT_RETRY_LIMIT=3, EVENT_WAIT_SECONDS=2)
    declare_topology(cfg["AMQP_URI"], [LedgerService])
    ledger = start(container_factory, LedgerService, cfg)
    from bench.designations import designated_event, revoked_event
    publish = _publisher(cfg)
    publish(revoked_event("ghost", "rev-ghost"))
    for i in range(3):
        publish(designated_event(f"after-{i}"))
    entries = container_db(ledger)["entries"]
    assert wait_for(lambda: entries.count_documents({"kind": "grant"}) == 3, timeout=20)  # not blocked by it
    with ClusterRpcProxy(cfg, timeout=10, context_data=ADMIN) as proxy:
        parked = wait_for(lambda: proxy.ledger.list_dead_letters()["items"], timeout=30)
        assert len(parked) == 1 and parked[0]["waiting_for"] == "studio.designated:ghost"
        publish(designated_event("ghost"))  # the cause is fixed: the studio now exists
        assert wait_for(lambda: entries.count_documents({"kind": "grant"}) == 4, timeout=20)
        assert entries.count_documents({"kind": "clawback"}) == 0   # parked stays parked
        proxy.ledger.replay_dead_letter(parked[0]["id"])
        assert wait_for(lambda: entries.count_documents({"kind": "clawback"}) == 1, timeout=20)
        assert proxy.ledger.ping()["dead_letters"] == 0
    print(f"injected: 1 revocation whose designation did not come within 2 s ({parked[0]['attempts']} attempts) "
          "before 3 designations; counted: 3 grants, 1 parked, after replay 1 clawback")


def _publisher(cfg):
    from nameko.amqp.publish import Publisher
    from nameko.standalone.events import get_event_exchange
    publisher = Publisher(cfg["AMQP_URI"], mandatory=True)

    def publish(envelope):
        publisher.publish(envelope, exchange=get_event_exchange(envelope["source"], cfg),
                          routing_key=envelope["type"])
    return publish

"""The ledger's worker *process* killed with SIGKILL in the middle of a burst of designations
(issue #10): after a restart every designation has exactly one grant — nothing lost, nothing
twice. The store outlives the process: the session's MongoDB-wire store (tests/support/
wire_store.py), or the server ``TEST_MONGO_URI=mongodb://…`` names."""
import os
import random
import signal
import subprocess
import sys

import pytest

from bench.designations import designate_directly
from services.ledger.service import LedgerService
from services.registry.service import RegistryService
from shared.topology import declare_topology
from tests.conftest import make_config
from tests.support.waiting import holds_for, wait_for

pytestmark = [pytest.mark.slow]

SEED = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))


def ledger_process(cfg):
    env = {**os.environ, "AMQP_URI": cfg["AMQP_URI"], "MONGO_URI": cfg["MONGO_URI"], "MONGO_DB_PREFIX": cfg["MONGO_DB_PREFIX"],
           "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "shared.cli", "service", "ledger"], env=env)


def test_ledger_process_sigkilled_mid_burst_books_every_grant_exactly_once(rabbit_config, container_factory,
                                                                            wire_store):
    from pymongo import MongoClient
    MONGO = wire_store
    rng = random.Random(SEED)
    prefix = f"sigkill{rng.randrange(1 << 30)}"
    cfg = make_config(rabbit_config["AMQP_URI"], MONGO_URI=MONGO, MONGO_DB_PREFIX=prefix)
    declare_topology(cfg["AMQP_URI"], [LedgerService])
    registry = container_factory(RegistryService, cfg)
    registry.start()
    entries = MongoClient(MONGO)[f"{prefix}_ledger"]["entries"]
    ledger = ledger_process(cfg)
    try:
        studio_ids = designate_directly(registry, 50, "kill")
        kill_after = rng.randint(1, 25)
        wait_for(lambda: entries.count_documents({"kind": "grant"}) >= kill_after, 30, 0.01,
                 message=f"{kill_after} grants before the kill")
        ledger.send_signal(signal.SIGKILL)
        ledger.wait()
        killed_at = entries.count_documents({"kind": "grant"})
        ledger = ledger_process(cfg)
        wait_for(lambda: entries.count_documents({"kind": "grant"}) >= 50, 90, 0.2, message="50 grants")
        holds_for(lambda: entries.count_documents({"kind": "grant"}) == 50, 1.0,  # no late duplicate
                  message="50 grants, none twice")
        granted = [e["studio_id"] for e in entries.find({"kind": "grant"})]
        print(f"seed={SEED} injected: SIGKILL after {killed_at} grants; counted: {len(set(granted))} granted, "
              f"{len(granted) - len(set(granted))} duplicated, {len(set(studio_ids) - set(granted))} lost")
        assert sorted(granted) == sorted(studio_ids)
    finally:
        ledger.kill()
        MongoClient(MONGO).drop_database(f"{prefix}_ledger")
        MongoClient(MONGO).drop_database(f"{prefix}_registry")

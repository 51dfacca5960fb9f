"""End-to-end event throughput: designation → grant visible (issue #10).

Three runs on one throw-away vhost of the local RabbitMQ, in the same process and store kind:

- **reliable**: the registry's own designation write (studio + event in one document, the
  outbox relay publishing with confirms and ``mandatory``) → the ledger's inbox → the grant;
- **bare**: the same studio write, then nameko's plain ``EventDispatcher`` → a handler that
  books the same grant through the same ledger code, without inbox or retries;
- **trivial** (context only): nameko dispatch → a handler that does nothing.

It prints each rate and reliable / bare. Target: at least 0.5× the bare rate.
"""
from __future__ import annotations

import datetime as dt
import os
import time

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc as plain_rpc
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy

from bench._broker import temporary_vhost
from services.ledger.service import LedgerService
from services.registry.storage import studios
from services.registry.service import RegistryService
from services.registry.storage import INDEXES as REGISTRY_INDEXES, SCOPES as REGISTRY_SCOPES
from shared.config import load_config
from shared.events import new_event
from shared.storage import Mongo, Store, container_db
from shared.topology import declare_topology
from bench.designations import BUREAU, designate_directly, synthetic_application

COUNT = int(os.environ.get("BENCH_EVENTS", "300"))


class BareRegistry:
    """The same designation write, then a plain nameko dispatch (no outbox)."""
    name = "bareregistry"
    store = Mongo("bareregistry", REGISTRY_SCOPES, REGISTRY_INDEXES)
    dispatch = EventDispatcher()

    @plain_rpc
    def designate_many(self, count, tag):
        store = Store(self.store.db, REGISTRY_SCOPES, lambda: BUREAU)

        def make_event(type_, data, *, tenant_id):
            return new_event("registry", type_, data, tenant_id=tenant_id)

        for i in range(count):
            doc = studios.create_from_application(store, synthetic_application(i, tag),
                                                  dt.date(2001 + i // 10, 6, 1), make_event)
            self.dispatch("studio.designated", doc["_outbox"][0])
        return count


class BareLedger(LedgerService):
    """The ledger's grant booking behind a plain handler: no inbox, no retries."""
    name = "bareledger"

    @event_handler("bareregistry", "studio.designated", requeue_on_error=False)  # bench only
    def on_bare_designated(self, payload):
        self._designated(payload)


class TrivialSource:
    name = "trivialsource"
    dispatch = EventDispatcher()

    @plain_rpc
    def emit(self, count):
        for i in range(count):
            self.dispatch("tick", {"i": i})


class TrivialSink:
    name = "trivialsink"
    seen = 0

    @event_handler("trivialsource", "tick", requeue_on_error=False)  # bench only
    def on_tick(self, payload):
        type(self).seen += 1


def _config(amqp_uri: str) -> dict:
    config = load_config(environ={})
    config.update({"AMQP_URI": amqp_uri, "MONGO_URI": "", "DEMO_MODE": False, "LOG_LEVEL": "ERROR",
                   "OUTBOX_POLL_SECONDS": 1.0, "JWT_SECRET": "x" * 40})
    return config


def _grants(container) -> int:
    return container_db(container)["entries"].count_documents({"kind": "grant"})


def _wait(check, count, seconds=300) -> float:
    deadline = time.monotonic() + seconds
    while check() < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {check()} of {count} arrived in {seconds} s")
        time.sleep(0.02)
    return time.monotonic()


def _run(config, classes, go, done) -> float:
    declare_topology(config["AMQP_URI"], classes)
    runner = ServiceRunner(config)
    for cls in classes:
        runner.add_service(cls)
    runner.start()
    try:
        containers = {c.service_name: c for c in runner.containers}
        started = time.monotonic()
        go(containers)
        return _wait(lambda: done(containers), COUNT) - started
    finally:
        runner.stop()


def main():
    import logging
    logging.disable(logging.WARNING)
    with temporary_vhost("bench_events") as amqp_uri:
        config = _config(amqp_uri)
        reliable = _run(config, [RegistryService, LedgerService],
                        lambda c: designate_directly(c["registry"], COUNT, "rel"),
                        lambda c: _grants(c["ledger"]))

        def bare_go(c):
            with ClusterRpcProxy(config, timeout=300) as proxy:
                proxy.bareregistry.designate_many(COUNT, "bare")
        bare = _run(config, [BareRegistry, BareLedger], bare_go, lambda c: _grants(c["bareledger"]))

        def trivial_go(c):
            with ClusterRpcProxy(config, timeout=300) as proxy:
                proxy.trivialsource.emit(COUNT)
        trivial = _run(config, [TrivialSource, TrivialSink], trivial_go, lambda c: TrivialSink.seen)
    rate = lambda seconds: COUNT / seconds  # noqa: E731
    print(f"designation → grant, {COUNT} events (embedded store, local RabbitMQ)")
    print(f"  reliable (outbox + inbox):      {reliable:7.2f} s  {rate(reliable):8.1f} events/s")
    print(f"  bare (dispatch → same booking): {bare:7.2f} s  {rate(bare):8.1f} events/s")
    print(f"  trivial (dispatch → no-op):     {trivial:7.2f} s  {rate(trivial):8.1f} events/s  (context)")
    print(f"  ratio reliable / bare: {rate(reliable) / rate(bare):.2f}×  (target ≥ 0.5×)")


if __name__ == "__main__":
    import eventlet
    eventlet.monkey_patch()
    main()

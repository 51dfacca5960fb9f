"""Transactional outbox: a state change and the event it causes are one atomic write.

A domain function that changes a document pushes the event envelope into that same
document's ``_outbox`` array in the same update (single-document writes are atomic in
MongoDB and in the stand-in, no transaction needed). The ``Outbox`` provider of the
service runs a relay that publishes pending events with publisher confirms and
``mandatory`` (an event no queue is bound for comes back and stays pending instead of
vanishing), and removes each from ``_outbox`` only after the broker confirmed it.

A crash between the confirm and the removal publishes the event again later: delivery
is at-least-once, consumers drop duplicates by ``event_id`` (shared/inbox.py). Several
replicas of a service may race on the same pending event for the same reason, harmlessly.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Sequence

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from shared.events import check_event, new_event
from shared.logs import log_event
from shared.principal import REQUEST_ID_KEY
from shared.storage import Index, container_db

log = logging.getLogger("skillmaster.outbox")

OUTBOX_FIELD = "_outbox"
SENT, UNROUTABLE, BROKER_ERROR = "sent", "unroutable", "broker_error"   # outcomes of publish()
UNROUTABLE_MAX_BACKOFF = 300.0  # seconds between tries of a type no queue is bound for, at most


def outbox_indexes(collections: Sequence[str]) -> list[Index]:
    return [Index(c, [(f"{OUTBOX_FIELD}.event_id", 1)], sparse=True, name="outbox_pending")
            for c in collections]


class EventRecorder:
    """What a worker gets: builds envelopes carrying the worker's request id."""

    def __init__(self, provider: "Outbox", worker_ctx):
        self.provider = provider
        self.source = provider.container.service_name
        self.worker_ctx = worker_ctx
        self._touched = provider._touched

    def event(self, type_: str, data: dict, *, tenant_id: str | None) -> dict:
        """The envelope, checked against its type's contract (shared/events.py) before it is
        recorded: a producer that breaks the contract fails here, not in every consumer."""
        event = check_event(new_event(self.source, type_, data, tenant_id=tenant_id,
                                      request_id=self.worker_ctx.data.get(REQUEST_ID_KEY)))
        self._touched.add(self.worker_ctx)
        return event


class Outbox(DependencyProvider):
    """Relay of pending events for the given collections of this service's ``Mongo`` store."""

    def __init__(self, collections: Sequence[str]):
        self.collections = list(collections)
        self._touched: set = set()
        self._wake = GreenEvent()
        self._stopped = False
        # event type -> (monotonic time before which it is not tried again, current back-off)
        self._unroutable: dict[str, tuple[float, float]] = {}

    def setup(self):
        config = self.container.config
        self.poll = float(config.get("OUTBOX_POLL_SECONDS", 1.0))
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, mandatory=True,
                                   delivery_mode=PERSISTENT, serializer="json",
                                   retry=True, retry_policy={"max_retries": 2, "interval_start": 0.5,
                                                             "interval_step": 0.5, "interval_max": 1})

    def start(self):
        self._stopped = False
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._stopped = True
        self.wake()

    def kill(self):
        self.stop()

    def db(self):
        # not a property: nameko inspects extensions' attributes before Mongo is set up
        return container_db(self.container)

    def get_dependency(self, worker_ctx):
        return EventRecorder(self, worker_ctx)

    def worker_teardown(self, worker_ctx):
        if worker_ctx in self._touched:
            self._touched.discard(worker_ctx)
            self.wake()

    def wake(self, retry_unroutable: bool = False):
        """Run the relay now (workers that recorded an event call it when they end);
        ``retry_unroutable`` forgets the back-off of types that had no queue."""
        if retry_unroutable:
            self._unroutable.clear()
        if not self._wake.ready():
            self._wake.send(True)

    def _run(self):
        while not self._stopped:
            try:
                self._wake.wait(self.poll)
            finally:
                if self._wake.ready():
                    self._wake.reset()
            if self._stopped:
                break
            try:
                self.flush()
            except Exception:  # a broken broker must not kill the service; retry next round
                log.exception("outbox relay round failed; events stay pending")
                eventlet.sleep(self.poll)

    def waiting_types(self) -> set[str]:
        """Event types that found no queue bound on their last try (they wait for a subscriber)."""
        return set(self._unroutable)

    def _pending_docs(self, name: str) -> list[dict]:
        return list(self.db()[name].find({f"{OUTBOX_FIELD}.event_id": {"$exists": True}}, {OUTBOX_FIELD: 1}))

    def pending(self) -> int:
        """How many events wait to be published (reported by /readyz)."""
        return sum(len(doc.get(OUTBOX_FIELD) or []) for name in self.collections
                   for doc in self._pending_docs(name))

    def flush(self) -> int:
        """Publish every pending event, oldest first; returns how many were confirmed."""
        sent = 0
        now = time.monotonic()
        # types no queue is bound for (routing is by type) wait, with back-off, for a subscriber
        unroutable = {t for t, (until, _) in self._unroutable.items() if until > now}
        for name in self.collections:
            coll = self.db()[name]
            for doc in self._pending_docs(name):
                for event in list(doc.get(OUTBOX_FIELD) or []):
                    if event["type"] in unroutable:
                        continue
                    outcome = self.publish(event)
                    if outcome != SENT:
                        if outcome == UNROUTABLE:
                            # it waits for a subscriber, and every later event of its type with
                            # it (their order is kept); events of other types still go out
                            unroutable.add(event["type"])
                            backoff = min(UNROUTABLE_MAX_BACKOFF,
                                          self._unroutable.get(event["type"], (0, self.poll))[1] * 2)
                            self._unroutable[event["type"]] = (now + backoff, backoff)
                            continue
                        return sent  # broker trouble: keep order, retry later
                    self._unroutable.pop(event["type"], None)
                    coll.update_one({"_id": doc["_id"]},
                                    {"$pull": {OUTBOX_FIELD: {"event_id": event["event_id"]}},
                                     "$set": {"_last_event_sent_at": datetime.now(timezone.utc)}})
                    sent += 1
        return sent

    def publish(self, event: dict) -> str:
        exchange = get_event_exchange(event["source"], self.container.config)
        headers = {"nameko.event_id": event["event_id"]}
        if event.get("request_id"):
            headers[f"nameko.{REQUEST_ID_KEY}"] = event["request_id"]
        try:
            self.publisher.publish(event, exchange=exchange, routing_key=event["type"],
                                   headers=headers, declare=[exchange])
        except UndeliverableMessage:
            log_event(log, "event unroutable: no queue bound yet, it stays pending", logging.WARNING,
                      event_id=event["event_id"], type=event["type"], request_id=event.get("request_id"))
            return UNROUTABLE
        except Exception as exc:
            log_event(log, "event publish failed, it stays pending", logging.WARNING,
                      event_id=event["event_id"], type=event["type"], error=repr(exc))
            return BROKER_ERROR
        log_event(log, "event published", event_id=event["event_id"], type=event["type"],
                  tenant_id=event.get("tenant_id"), request_id=event.get("request_id"))
        return SENT

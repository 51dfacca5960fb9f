"""One service's entry points in-process, without a broker: nameko's ``worker_factory`` on an
embedded store (mongomock-ng, the service's own indexes), with an outbox that records the
events a worker makes and an inbox reduced to its contract.

    harness = ServiceHarness(LedgerService, INDEXES, SCOPES, asset_policy=DEFAULT_THRESHOLDS)
    worker = harness.worker(FINANCE, clock=Now(T0))      # any dependency can be overridden
    worker.book_entry(...); harness.db.entries.find(...); harness.outbox.events; harness.inbox.outcomes

Dependencies the service does not declare are left out; the rest are MagicMocks (worker_factory).
"""
from __future__ import annotations

import mongomock_ng
from nameko.testing.services import worker_factory
from pymongo.errors import DuplicateKeyError

from shared.events import new_event
from shared.inbox import AlreadyApplied
from shared.storage import Store, ensure_indexes


class RecordingOutbox:
    """What a worker's ``outbox`` gives: envelopes of the service's events, also kept in ``events``
    (the relay itself is tested over the real broker)."""

    def __init__(self, source: str):
        self.source = source
        self.events: list[dict] = []

    def event(self, type_, data, *, tenant_id):
        envelope = new_event(self.source, type_, data, tenant_id=tenant_id)
        self.events.append(envelope)
        return envelope

    def wake(self):
        pass


class DirectInbox:
    """shared.inbox's contract without the broker: an effect that finds its event applied
    (AlreadyApplied / a duplicate key) is a duplicate; one that raises is a failure (the real
    inbox stores it and retries it later)."""

    def __init__(self):
        self.outcomes: list[str] = []
        self.failures: list[Exception] = []
        self.woken: list[str] = []

    def apply(self, payload, effect, *, wakes=None):
        try:
            effect(payload)
            outcome = "applied"
        except (AlreadyApplied, DuplicateKeyError):
            outcome = "duplicate"
        except Exception as exc:
            self.failures.append(exc)
            outcome = "failed"
        self.outcomes.append(outcome)
        if wakes is not None and outcome != "failed":
            self.woken.append(wakes)
        return outcome


def embedded_db(name: str, indexes=None):
    """A fresh embedded database with ``indexes`` (a service's ``storage.INDEXES``)."""
    db = mongomock_ng.MongoClient(tz_aware=True)[name]
    if indexes:
        ensure_indexes(db, indexes)
    return db


class ServiceHarness:
    def __init__(self, service_cls, indexes, scopes, *, db_name: str | None = None, **dependencies):
        self.service_cls = service_cls
        self.scopes = scopes
        self.db = embedded_db(db_name or f"skillmaster_{service_cls.name}", indexes)
        self.outbox = RecordingOutbox(service_cls.name)
        self.inbox = DirectInbox()
        self.dependencies = dependencies

    def store(self, principal) -> Store:
        return Store(self.db, self.scopes, lambda: principal)

    def worker(self, principal, **overrides):
        """A worker of the service for ``principal`` (its store is scoped to it)."""
        given = {"store": self.store(principal), "outbox": self.outbox, "inbox": self.inbox,
                 **self.dependencies, **overrides}
        return worker_factory(self.service_cls, **{name: dep for name, dep in given.items()
                                                   if hasattr(self.service_cls, name)})

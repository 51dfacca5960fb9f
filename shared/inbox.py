"""Inbox: apply each event once, retry failures with back-off, park poison events.

Every event handler is declared ``requeue_on_error=True`` and hands the payload to
``self.inbox.apply(payload, effect)``:

- ``effect(event)`` must write its result under a unique key derived from
  ``event["event_id"]`` (the ledger's journal entry carries it as its idempotency key),
  so the record that the event was applied and the effect are one atomic write. A second
  delivery, even a concurrent one, hits that unique index: it is logged as a duplicate and
  changes nothing. ``_inbox`` additionally lists applied event ids (a fast path and a log).
- The payload is checked against its type's contract (shared/events.py) first; a breach is a
  failure like any other (retried, then parked), and ``effect`` never sees it.
- If ``effect`` raises, the event is stored in ``_event_failures`` and acked, so it never
  blocks the events behind it; the provider's retry loop sends it back to the same
  handler's queue after ``EVENT_RETRY_BASE_SECONDS * 2**(attempt-1)``. After
  ``EVENT_RETRY_LIMIT`` failed attempts it is parked (dead letter) until an admin replays it.
- An effect that raises ``Waits`` depends on another event not applied here yet (a revocation
  whose designation is still in another queue, or parked). Its attempts do not count: it is
  retried with back-off capped at ``EVENT_RETRY_MAX_SECONDS`` for ``EVENT_WAIT_SECONDS`` after
  its first failure, and the handler that applies what it waits for sends it back at once
  (``apply(…, wakes=key)``). It is parked only after that wait (a busy subscriber must not turn
  order into a dead letter).
- If even storing the failure fails (the store is down), the exception propagates and
  nameko requeues the message (requeue_on_error=True): nothing is lost.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import datetime, timedelta, timezone

import eventlet
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.audit import AuditPublisher, StoreSpool, event_record
from shared.errors import NotFound
from shared.events import check_event
from shared.logs import log_event
from shared.principal import ADMIN, Principal, REQUEST_ID_KEY
from shared.storage import Index, container_db, page_args, public

log = logging.getLogger("skillmaster.inbox")

INBOX = "_inbox"
FAILURES = "_event_failures"
RETRYING, REQUEUED, PARKED = "retrying", "requeued", "parked"
REQUEUE_STALE_SECONDS = 60

INBOX_INDEXES = [
    Index(FAILURES, [("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
    Index(FAILURES, [("waiting_for", ASCENDING)]),
]


class AlreadyApplied(Exception):
    """An effect may raise this when it finds its event applied already."""


class Waits(Exception):
    """An effect raises this when its event depends on another one not applied here yet;
    ``key`` names what it waits for (``apply(…, wakes=key)`` where that is applied)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def _event_key(payload) -> str:
    if isinstance(payload, dict) and payload.get("event_id"):
        return str(payload["event_id"])
    raw = json.dumps(payload, sort_keys=True, default=str).encode()
    return "unidentified-" + hashlib.sha256(raw).hexdigest()[:24]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def next_attempt(attempts: int, now: datetime, *, retry_limit: int, base: float, cap: float,
                 waiting: bool, waited: float, wait_limit: float) -> tuple[str, datetime | None]:
    """(status, next attempt) after ``attempts`` failures: a failure is parked after
    ``retry_limit`` attempts; one that waits for another event after ``wait_limit`` seconds."""
    if (waited >= wait_limit) if waiting else (attempts >= retry_limit):
        return PARKED, None
    delay = min(cap, base * 2 ** min(attempts - 1, 30))
    return RETRYING, now + timedelta(seconds=delay)


class InboxHandle:
    def __init__(self, provider: "Inbox", worker_ctx):
        self.provider = provider
        self.worker_ctx = worker_ctx

    @property
    def handler(self) -> str:
        return f"{self.worker_ctx.service_name}.{self.worker_ctx.entrypoint.method_name}"

    def apply(self, payload, effect, *, wakes: str | None = None) -> str:
        """Run ``effect(payload)`` once per event id; returns applied | duplicate | failed. Once
        applied (or found applied), what waits for ``wakes`` (``Waits``) is sent back at once."""
        outcome = self._apply(payload, effect)
        if wakes is not None and outcome != "failed":
            self.provider.wake(wakes)
        return outcome

    def _apply(self, payload, effect) -> str:
        db = self.provider.db()
        event_id = _event_key(payload)
        key = f"{self.handler}:{event_id}"
        fields = {"event_id": event_id, "handler": self.handler,
                  "type": payload.get("type") if isinstance(payload, dict) else None,
                  "request_id": self.worker_ctx.data.get(REQUEST_ID_KEY)}
        log_event(log, "event delivered", **fields)
        if db[INBOX].find_one({"_id": key}, {"_id": 1}):
            log_event(log, "event duplicate: already applied, nothing changed", **fields)
            return "duplicate"
        try:
            if not isinstance(payload, dict) or "event_id" not in payload:
                raise ValueError("the event has no event_id: not an envelope of shared/events.py")
            check_event(payload)   # its type's contract (shared/events.py); a breach is retried, then parked
            effect(payload)
            outcome = "applied"
        except (AlreadyApplied, DuplicateKeyError):
            outcome = "duplicate"
        except Exception as exc:
            self.provider.record_failure(key, self.handler, self.queue_name, payload, exc)
            return "failed"
        db[INBOX].update_one({"_id": key}, {"$setOnInsert": {"applied_at": _now(), **fields}},
                             upsert=True)
        db[FAILURES].delete_one({"_id": key})
        if outcome == "duplicate":
            log_event(log, "event duplicate: already applied, nothing changed", **fields)
        else:
            log_event(log, "event applied", **fields)
            audit = getattr(self.provider, "audit", None)   # the effect's audit record (shared/audit.py)
            if audit is not None:
                audit.publish(event_record(service=self.worker_ctx.service_name, handler=self.handler,
                                           payload=payload, outcome=outcome,
                                           request_id=fields["request_id"] or payload.get("request_id")))
        return outcome

    @property
    def queue_name(self) -> str:
        return self.worker_ctx.entrypoint.queue.name


class Inbox(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.retry_limit = int(config.get("EVENT_RETRY_LIMIT", 5))
        self.retry_base = float(config.get("EVENT_RETRY_BASE_SECONDS", 1.0))
        self.retry_max = float(config.get("EVENT_RETRY_MAX_SECONDS", 30.0))
        self.wait_limit = float(config.get("EVENT_WAIT_SECONDS", 3600.0))
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, mandatory=True,
                                   delivery_mode=PERSISTENT, serializer="json")
        self.audit = AuditPublisher(config, spool=StoreSpool(self.db))
        self.audit_resend_seconds = float(config.get("AUDIT_RESEND_SECONDS", 10.0))
        self._stopped = False

    def start(self):
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._stopped = True

    def kill(self):
        self._stopped = True

    def db(self):
        # not a property: nameko inspects extensions' attributes before Mongo is set up
        return container_db(self.container)

    def get_dependency(self, worker_ctx):
        return InboxHandle(self, worker_ctx)

    # -- failures ----------------------------------------------------------------------
    def record_failure(self, key, handler, queue, payload, exc) -> dict:
        now = _now()
        waiting_for = exc.key if isinstance(exc, Waits) else None
        doc = self.db()[FAILURES].find_one_and_update(
            {"_id": key},
            {"$inc": {"attempts": 1},
             "$set": {"handler": handler, "queue": queue, "event": payload, "updated_at": now,
                      "last_error": f"{type(exc).__name__}: {exc}"[:1000], "waiting_for": waiting_for},
             "$setOnInsert": {"first_failed_at": now}},
            upsert=True, return_document=ReturnDocument.AFTER)
        attempts = doc["attempts"]
        since = _aware(doc.get("replayed_at") or doc.get("first_failed_at") or now)   # a replay waits anew
        status, next_at = next_attempt(attempts, now, retry_limit=self.retry_limit, base=self.retry_base,
                                       cap=self.retry_max, waiting=waiting_for is not None,
                                       waited=(now - since).total_seconds(), wait_limit=self.wait_limit)
        self.db()[FAILURES].update_one({"_id": key}, {"$set": {"status": status, "next_attempt_at": next_at}})
        log_event(log, "event parked in the dead-letter store" if status == PARKED else "event failed, will retry",
                  logging.WARNING, event_id=key.rsplit(":", 1)[-1], handler=handler, attempts=attempts,
                  error=doc["last_error"], next_attempt_at=next_at, waiting_for=waiting_for)
        return doc

    def wake(self, key: str) -> int:
        """What waited for ``key`` (``Waits``) is sent back now, not at its next back-off."""
        result = self.db()[FAILURES].update_many({"waiting_for": key, "status": RETRYING},
                                                 {"$set": {"next_attempt_at": _now()}})
        if result.modified_count:
            log_event(log, "events waiting for it are retried now", waiting_for=key, events=result.modified_count)
        return result.modified_count

    def _run(self):
        resend_at = 0.0   # at start too: records kept before a crash or a restart
        while not self._stopped:
            try:
                self.retry_due()
            except Exception:
                log.exception("retry round failed")
            if time.monotonic() >= resend_at:
                resend_at = time.monotonic() + self.audit_resend_seconds
                try:
                    self.audit.resend()
                except Exception:
                    log.exception("audit resend round failed")
            eventlet.sleep(min(0.5, self.retry_base))

    def retry_due(self) -> int:
        """Send each failure that is due back to its handler's queue; returns how many."""
        failures = self.db()[FAILURES]
        count = 0
        while True:
            now = _now()
            # claim before publishing: the handler may fail again before this loop resumes
            doc = failures.find_one_and_update(
                {"$or": [{"status": RETRYING, "next_attempt_at": {"$lte": now}},
                         {"status": REQUEUED, "requeued_at": {"$lte": now - timedelta(seconds=REQUEUE_STALE_SECONDS)}}]},
                {"$set": {"status": REQUEUED, "requeued_at": now}}, return_document=ReturnDocument.AFTER)
            if doc is None:
                return count
            try:
                # the default exchange routes by queue name straight to the failed handler
                self.publisher.publish(doc["event"], exchange=Exchange(""), routing_key=doc["queue"],
                                       headers={"nameko.event_id": doc["_id"]})
            except Exception as exc:
                failures.update_one({"_id": doc["_id"], "status": REQUEUED},
                                    {"$set": {"status": RETRYING, "next_attempt_at": now + timedelta(seconds=self.retry_base)}})
                log_event(log, "event retry could not be sent; will try again", logging.WARNING,
                          event_id=doc["_id"], error=repr(exc))
                return count
            count += 1

    # -- admin -------------------------------------------------------------------------
    def counts(self) -> dict:
        failures = self.db()[FAILURES]
        return {"dead_letters": failures.count_documents({"status": PARKED}),
                "retrying": failures.count_documents({"status": {"$in": [RETRYING, REQUEUED]}})}

    def list_dead_letters(self, principal: Principal, page=1, page_size=50) -> dict:
        principal.require_role(ADMIN)
        page, page_size = page_args(page, page_size)
        flt = {"status": PARKED}
        total = self.db()[FAILURES].count_documents(flt)
        docs = self.db()[FAILURES].find(flt).sort("first_failed_at", ASCENDING) \
            .skip((page - 1) * page_size).limit(page_size)
        return {"items": [_dead_letter(self.container.service_name, d) for d in docs],
                "page": page, "page_size": page_size, "total": total}

    def replay(self, principal: Principal, dead_letter_id: str) -> dict:
        principal.require_role(ADMIN)
        doc = self.db()[FAILURES].find_one_and_update(
            {"_id": dead_letter_id, "status": PARKED},
            {"$set": {"status": RETRYING, "next_attempt_at": _now(), "attempts": 0, "replayed_at": _now()},
             "$inc": {"replays": 1}},
            return_document=ReturnDocument.AFTER)
        if doc is None:
            raise NotFound(f"dead letter {dead_letter_id} not found")
        log_event(log, "dead letter replayed", event_id=dead_letter_id, user=principal.user)
        return _dead_letter(self.container.service_name, doc)


def _dead_letter(service: str, doc: dict) -> dict:
    out = public(doc)
    out["service"] = service
    for k in ("first_failed_at", "updated_at", "next_attempt_at", "requeued_at", "replayed_at"):
        if isinstance(out.get(k), datetime):
            out[k] = out[k].isoformat()
    return out

"""The audit trail's one way in (issue 18): an append-only record of every write through the
gateway and of every event's effect in a service.

Records are published to the ``audit`` service's exchange as ``audit.recorded`` with publisher
confirms and ``mandatory`` (the audit queue is declared before anything publishes), and
retried a few times. A record the broker still refuses is kept in a spool and sent again
until it is delivered (the write it records stands, so its record must not be lost): each
service keeps it in its own store (``_audit_spool``), the gateway in files under
``AUDIT_SPOOL_DIR`` (``DATA_DIR/audit-spool``). Only a record that cannot even be kept is
logged at ERROR level with its content. The gateway publishes one for each write it answered (before the answer leaves);
``shared/inbox.py`` publishes one for each event it applied, so every service records its
events' effects the same way, with no code of its own. The audit service stores each record
once (its id is the key) and offers no way to change or delete one.
"""
from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

from nameko.amqp.publish import Publisher
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange

from shared.logs import log_event

log = logging.getLogger("skillmaster.audit")

AUDIT_SOURCE = "audit"
AUDIT_RECORDED = "audit.recorded"
REQUEST, EVENT = "request", "event"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def record_ids(value: Any, limit: int = 20) -> list[str]:
    """The record ids named in a payload or answer: ``id`` and every ``*_id`` (first level and
    ``data``), as ``name=value`` strings."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for source in (value, value.get("data") if isinstance(value.get("data"), Mapping) else {}):
            for key, item in source.items():
                if (key == "id" or key.endswith("_id")) and isinstance(item, (str, int)) and item not in ("", None):
                    entry = f"{key}={item}"
                    if entry not in found and key not in ("event_id", "request_id"):
                        found.append(entry)
    return found[:limit]


def request_record(*, principal, method: str, route: str, path: str, path_values: Mapping, status: int,
                   answer: Any, request_id: str) -> dict:
    """The record of one write through the gateway."""
    answer_ids = record_ids(answer) if 200 <= status < 300 else []
    tenant = answer.get("tenant_id") if isinstance(answer, Mapping) and isinstance(answer.get("tenant_id"), str) \
        else None
    return {"id": uuid.uuid4().hex, "kind": REQUEST, "at": _now(),
            "user": principal.user if principal else None, "role": principal.role if principal else None,
            "tenant_id": tenant or (principal.tenant_id if principal else None),
            "unit_id": principal.unit_id if principal else None,
            "method": method, "route": route, "path": path, "status": status, "request_id": request_id,
            "before": [f"{k}={v}" for k, v in path_values.items()], "after": answer_ids}


def event_record(*, service: str, handler: str, payload: Mapping, outcome: str, request_id: str | None) -> dict:
    """The record of one event's effect in a service (what the inbox applied)."""
    event_id = str(payload.get("event_id", ""))
    return {"id": f"{handler}:{event_id}", "kind": EVENT, "at": _now(), "user": f"system:{service}",
            "role": "system", "tenant_id": payload.get("tenant_id"), "unit_id": (payload.get("data") or {}).get("unit_id")
            if isinstance(payload.get("data"), Mapping) else None,
            "method": "EVENT", "route": handler, "path": str(payload.get("type", "")), "status": outcome,
            "request_id": request_id, "event_id": event_id, "before": [], "after": record_ids(payload)}


class StoreSpool:
    """Undelivered records in a service's own store (``_audit_spool``), oldest first."""

    COLLECTION = "_audit_spool"

    def __init__(self, db_source):
        self._db = db_source            # a callable: the provider's store is set up after us

    def keep(self, record: dict) -> None:
        self._db()[self.COLLECTION].update_one({"_id": record["id"]},
                                               {"$setOnInsert": {"record": record, "kept_at": _now()}}, upsert=True)

    def pending(self, limit: int) -> list[tuple[str, dict]]:
        docs = self._db()[self.COLLECTION].find().sort("kept_at", 1).limit(limit)
        return [(d["_id"], d["record"]) for d in docs]

    def sent(self, key: str) -> None:
        self._db()[self.COLLECTION].delete_one({"_id": key})


class FileSpool:
    """Undelivered records as files in a folder (the gateway has no store), oldest first."""

    def __init__(self, folder: str):
        self.folder = folder

    def keep(self, record: dict) -> None:
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"{uuid.uuid4().hex}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(path + ".tmp", path)   # whole or absent, never half a record

    def pending(self, limit: int) -> list[tuple[str, dict]]:
        if not os.path.isdir(self.folder):
            return []
        paths = [os.path.join(self.folder, n) for n in os.listdir(self.folder) if n.endswith(".json")]
        out = []
        for path in sorted(paths, key=_mtime)[:limit]:
            try:
                with open(path, encoding="utf-8") as fh:
                    out.append((path, json.load(fh)))
            except (OSError, ValueError):
                continue
        return out

    def sent(self, key: str) -> None:
        try:
            os.remove(key)
        except FileNotFoundError:
            pass


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def gateway_spool(config: Mapping) -> FileSpool:
    folder = config.get("AUDIT_SPOOL_DIR") or os.path.join(config.get("DATA_DIR") or ".data", "audit-spool")
    return FileSpool(os.path.abspath(folder))


class AuditPublisher:
    """Publishes audit records with confirms (shared by the gateway and every service's inbox);
    what the broker refuses goes to ``spool`` and ``resend()`` sends it later."""

    def __init__(self, config: Mapping, spool=None):
        self.config = config
        self.spool = spool
        self.exchange = get_event_exchange(AUDIT_SOURCE, config)
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, mandatory=True, delivery_mode=PERSISTENT,
                                   serializer="json", retry=True,
                                   retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5,
                                                 "interval_max": 1})

    def _send(self, record: dict) -> None:
        self.publisher.publish(record, exchange=self.exchange, routing_key=AUDIT_RECORDED, declare=[self.exchange])

    def publish(self, record: dict) -> bool:
        try:
            self._send(record)
            return True
        except Exception as exc:
            if self.spool is not None:
                try:
                    self.spool.keep(record)
                    log_event(log, "audit record kept to send again", logging.WARNING, error=repr(exc),
                              record_id=record.get("id"), request_id=record.get("request_id"))
                    return False
                except Exception as spool_exc:  # noqa: BLE001 - then the log line is all there is
                    exc = spool_exc
            # the write stands; the loss is loud and carries the record
            log_event(log, "audit record not delivered", logging.ERROR, error=repr(exc), record=record,
                      request_id=record.get("request_id"))
            return False

    def resend(self, limit: int = 200) -> int:
        """Send the kept records again, oldest first; stops at the first the broker refuses."""
        if self.spool is None:
            return 0
        count = 0
        for key, record in self.spool.pending(limit):
            try:
                self._send(record)
            except Exception as exc:  # noqa: BLE001 - still refused: the next round tries again
                log_event(log, "audit records still not delivered; kept", logging.WARNING, error=repr(exc))
                break
            self.spool.sent(key)      # sent twice after a crash here: the audit service keeps one (its id)
            count += 1
        if count:
            log_event(log, "kept audit records delivered", records=count)
        return count

"""The audit trail's one way in (issue 18): an append-only record of every write through the
gateway and of every event's effect in a service.

Records are published to the ``audit`` service's exchange as ``audit.recorded`` with publisher
confirms and ``mandatory`` (the audit queue is declared before anything publishes), and
retried a few times; a record that cannot be delivered is logged at ERROR level with its
content. The gateway publishes one for each write it answered (before the answer leaves);
``shared/inbox.py`` publishes one for each event it applied, so every service records its
events' effects the same way, with no code of its own. The audit service stores each record
once (its id is the key) and offers no way to change or delete one.
"""
from __future__ import annotations

import logging
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


class AuditPublisher:
    """Publishes audit records with confirms (shared by the gateway and every service's inbox)."""

    def __init__(self, config: Mapping):
        self.config = config
        self.exchange = get_event_exchange(AUDIT_SOURCE, config)
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, mandatory=True, delivery_mode=PERSISTENT,
                                   serializer="json", retry=True,
                                   retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5,
                                                 "interval_max": 1})

    def publish(self, record: dict) -> bool:
        try:
            self.publisher.publish(record, exchange=self.exchange, routing_key=AUDIT_RECORDED,
                                   declare=[self.exchange])
            return True
        except Exception as exc:  # the write stands; the loss is loud and carries the record
            log_event(log, "audit record not delivered", logging.ERROR, error=repr(exc), record=record,
                      request_id=record.get("request_id"))
            return False

"""The gateway's side of the audit trail (shared/audit.py): every write it answered, recorded
before the answer leaves (a publish confirmed by the broker); what the broker refuses is kept in
files (shared/audit.py ``FileSpool``) and sent again every ``AUDIT_RESEND_SECONDS``."""
from __future__ import annotations

import json
import logging

import eventlet
from nameko.extensions import SharedExtension

from shared.audit import WRITE_METHODS, AuditPublisher, gateway_spool, request_record

log = logging.getLogger("skillmaster.audit")


class AuditTrail(SharedExtension):
    def setup(self):
        config = self.container.config
        self.publisher = AuditPublisher(config, spool=gateway_spool(config))
        self.resend_seconds = float(config.get("AUDIT_RESEND_SECONDS", 10.0))
        self._stopped = False

    def start(self):
        self.container.spawn_managed_thread(self._resend_kept)

    def stop(self):
        self._stopped = True

    def kill(self):
        self._stopped = True

    def _resend_kept(self):
        while not self._stopped:   # at start too: records kept before a restart
            try:
                self.publisher.resend()
            except Exception:
                log.exception("audit resend round failed")
            eventlet.sleep(self.resend_seconds)

    def record(self, route, request, principal, response, request_id: str) -> None:
        if request.method not in WRITE_METHODS or principal is None:
            return  # reads, and public calls (login: throttled and logged instead)
        answer = None
        if response.mimetype == "application/json" and 200 <= response.status_code < 300:
            try:
                answer = json.loads(response.get_data())
            except ValueError:
                answer = None
        self.publisher.publish(request_record(
            principal=principal, method=request.method, route=route.url, path=request.path,
            path_values=getattr(request, "path_values", None) or {}, status=response.status_code,
            answer=answer, request_id=request_id))

"""The gateway's side of the audit trail (shared/audit.py): every write it answered, recorded
before the answer leaves (a publish confirmed by the broker)."""
from __future__ import annotations

import json

from nameko.extensions import SharedExtension

from shared.audit import WRITE_METHODS, AuditPublisher, request_record


class AuditTrail(SharedExtension):
    def setup(self):
        self.publisher = AuditPublisher(self.container.config)

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

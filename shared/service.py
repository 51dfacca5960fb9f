"""What every service has besides its domain: ``ping`` (readiness) and the dead-letter admin RPCs.

Services inherit these entry points (nameko finds entry points on base classes) and declare
their own ``store`` (Mongo), ``caller`` (Caller) and, where they take part in events,
``outbox`` (Outbox) and ``inbox`` (Inbox) dependencies.
"""
from __future__ import annotations

from shared.errors import NotFound
from shared.logs import EntrypointLogger
from shared.rpc import rpc


class ServiceBase:
    name: str = ""
    entrypoint_log = EntrypointLogger()

    @rpc(public=True)
    def ping(self):
        """Readiness: answers with the outbox backlog and the dead-letter count."""
        status = {"service": self.name, "status": "ok"}
        outbox = getattr(self, "outbox", None)
        if outbox is not None:
            status["outbox_pending"] = outbox.provider.pending()
            status["outbox_unroutable_types"] = sorted(outbox.provider.waiting_types())
        inbox = getattr(self, "inbox", None)
        if inbox is not None:
            status.update(inbox.provider.counts())
        return status

    @rpc
    def list_dead_letters(self, page=1, page_size=50):
        inbox = getattr(self, "inbox", None)
        if inbox is None:
            self.caller.require_role("admin")
            return {"items": [], "page": 1, "page_size": page_size, "total": 0}
        return inbox.provider.list_dead_letters(self.caller.get(), page, page_size)

    @rpc
    def replay_dead_letter(self, dead_letter_id):
        inbox = getattr(self, "inbox", None)
        if inbox is None:
            self.caller.require_role("admin")
            raise NotFound(f"dead letter {dead_letter_id} not found")
        return inbox.provider.replay(self.caller.get(), dead_letter_id)

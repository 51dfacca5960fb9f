"""What every service has besides its domain: ``ping`` (readiness) and the dead-letter admin RPCs.

Services inherit these entry points and the ``clock`` (shared/clock.py) and ``caller``
(shared/caller.py) dependencies (nameko finds both on base classes), and declare their own
``store`` (Mongo) and, where they take part in events, ``outbox`` (Outbox) and ``inbox``
(Inbox) dependencies. ``get_clock``/``set_clock`` and the ``clock.moved`` handlers are here
so that a clock moved in DEMO_MODE reaches every service and every replica.
"""
from __future__ import annotations

import logging

from nameko.events import BROADCAST, event_handler

from shared.caller import Caller
from shared.clock import CLOCK_MOVED, Clock
from shared.errors import NotFound
from shared.logs import EntrypointLogger, log_event
from shared.rpc import rpc

log = logging.getLogger("skillmaster.service")


class ServiceBase:
    name: str = ""
    entrypoint_log = EntrypointLogger()
    clock = Clock()
    caller = Caller()

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

    # -- the clock (DEMO_MODE rehearsals; see shared/clock.py) ---------------------------
    @rpc
    def get_clock(self):
        """What this service's clock reads: ``{now, today, offset_seconds, demo_mode, moved_at, moved_by}``."""
        self.caller.get()
        return self.clock.provider.state()

    @rpc
    def set_clock(self, now=None, today=None, reset=False, reason=None):
        """Move every service's clock (admin, DEMO_MODE only): to ``now`` (ISO date-time with an
        offset) or ``today`` (ISO date, 09:00 Beijing), or ``reset`` to the configured start."""
        principal = self.caller.get()
        provider = self.clock.provider
        payload = provider.plan_move(principal, now=now, today=today, reset=bool(reset), reason=reason)
        provider.apply_move(payload)
        provider.publish_move(payload)
        log_event(log, "clock move requested", logging.WARNING, service=self.name,
                  user=principal.user, reason=reason, offset_seconds=payload["offset_seconds"])
        return provider.state()

    # Every replica takes the move at once (broadcast: one exclusive queue per instance) ...
    @event_handler(*CLOCK_MOVED, handler_type=BROADCAST, reliable_delivery=False,
                   requeue_on_error=False)   # a lost broadcast is covered by the durable handler
    def on_clock_moved(self, payload):
        self._take_clock_move(payload)

    # ... and the service as a whole gets it even if it was down (durable queue; idempotent:
    # an older or equal ``moved_at`` changes nothing).
    @event_handler(*CLOCK_MOVED, requeue_on_error=True)
    def on_clock_moved_stored(self, payload):
        self._take_clock_move(payload)

    def _take_clock_move(self, payload):
        try:
            self.clock.provider.apply_move(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:   # malformed: never loops
            log_event(log, "clock.moved payload refused", logging.ERROR, service=self.name,
                      error=repr(exc))

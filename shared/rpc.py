"""The RPC entrypoint every service uses: nameko's ``rpc`` that refuses a call without a principal.

The check runs before a worker is spawned, so the caller gets an ``Unauthenticated``
error reply (nameko sends one for any exception raised while handling the message)
instead of a worker that fails half-way. ``@rpc(public=True)`` marks the few entry points
that are called before anyone is known (``ping``, ``authenticate``).

Requests expire (issue 14): a caller that waits ``timeout`` seconds publishes its request
with ``deadline_options(timeout)``: the broker drops it once it has waited in the queue for
half of that (per-message ``expiration``), and the entrypoint refuses, before spawning a
worker, one whose deadline (header ``x-skillmaster-deadline``, epoch seconds) has passed. A
request that starts has the other half of the caller's timeout to finish, so a request the
caller gave up on (503) never starts: not later, not after a restart. (One that starts and
then runs longer than that half may still finish after the 503: that is what retrying with
the same ``Idempotency-Key`` is for.)
"""
from __future__ import annotations

import logging
import time

from nameko.rpc import Rpc

from shared.errors import ServiceUnavailable
from shared.principal import PRINCIPAL_KEY, principal_from_context

log = logging.getLogger("skillmaster.rpc")

DEADLINE_HEADER = "x-skillmaster-deadline"
START_WITHIN_FRACTION = 0.5  # of the caller's timeout; the rest is the time a started call has


def deadline_options(timeout: float, now: float | None = None) -> dict:
    """Publish options (for nameko's ServiceProxy) of a call its caller waits ``timeout`` s for."""
    start_within = max(0.05, timeout * START_WITHIN_FRACTION)
    now = time.time() if now is None else now
    return {"expiration": start_within, "headers": {DEADLINE_HEADER: now + start_within}}


def deadline_passed(headers, now: float | None = None) -> float | None:
    """How many seconds ago the request's deadline passed; None if it has none or it has not."""
    value = (headers or {}).get(DEADLINE_HEADER)
    if value is None:
        return None
    try:
        late = (time.time() if now is None else now) - float(value)
    except (TypeError, ValueError):
        return None
    return late if late > 0 else None


class ScopedRpc(Rpc):
    def __init__(self, public: bool = False, **kwargs):
        self.public = public
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        late = deadline_passed(message.headers)
        if late is not None:
            log.warning("refused %s: its caller's deadline passed %.1f s ago; nothing was done", self.method_name,
                        late, extra={"fields": {"method": self.method_name, "late_seconds": round(late, 3)}})
            raise ServiceUnavailable(f"the request expired {late:.1f} s before it could start; nothing was done")
        if not self.public:
            # raises Unauthenticated; RpcConsumer turns it into the error reply
            principal_from_context(self.unpack_message_headers(message))
        return super().handle_message(body, message)


rpc = ScopedRpc.decorator

__all__ = ["rpc", "ScopedRpc", "PRINCIPAL_KEY", "DEADLINE_HEADER", "deadline_options", "deadline_passed"]

"""Token revocation on the gateway's side (issue 18). A bearer token carries the user's token
version (``ver``) and an id (``jti``); each authenticated request checks the version against
the registry's (``token_state``), kept here for ``TOKEN_STATE_CACHE_SECONDS`` (default 5) so
that a revoked token stops working within seconds without an RPC on every request. Logout,
a password change and disabling a user move the version on (services/registry/storage/sessions.py).

One lookup per user at a time: when a user's entry is stale, the first request asks the registry
and the user's other requests arriving meanwhile wait for that answer instead of each asking
(200 concurrent requests of one user made up to 200 ``token_state`` calls each time the entry went
stale). No answer is older than before: it was fetched after those requests arrived.
"""
from __future__ import annotations

import sys
import time

from eventlet.event import Event
from nameko.extensions import DependencyProvider

from shared.errors import Unauthenticated


class TokenStateCache:
    def __init__(self, ttl_seconds: float, clock=time.monotonic):
        self.ttl = ttl_seconds
        self.clock = clock
        self._states: dict[str, tuple[float, dict]] = {}
        self._lookups: dict[str, Event] = {}     # user -> the lookup under way
        self._remembered: dict[str, int] = {}    # user -> revocations made here (a lookup older loses)

    def state(self, services, user: str) -> dict:
        now = self.clock()
        cached = self._states.get(user)
        if cached is not None and cached[0] > now:
            return cached[1]
        under_way = self._lookups.get(user)
        if under_way is not None:
            return under_way.wait()  # raises what the lookup raised
        lookup = self._lookups[user] = Event()
        remembered = self._remembered.get(user, 0)
        try:
            state = services.registry.token_state()
        except BaseException:
            lookup.send_exception(*sys.exc_info())
            raise
        finally:
            del self._lookups[user]
        if self._remembered.get(user, 0) == remembered:  # no revocation made here meanwhile
            self._states[user] = (now + self.ttl, state)
        if len(self._states) > 10000:
            self._states = {u: c for u, c in self._states.items() if c[0] > now}
            self._remembered = {u: n for u, n in self._remembered.items() if u in self._states}
        lookup.send(state)
        return state

    def check(self, services, user: str, token_version: int) -> None:
        """401 when the token's version is not the user's current one, or the user is disabled."""
        state = self.state(services, user)
        if state.get("disabled"):
            raise Unauthenticated("this user is disabled")
        if int(token_version) != int(state.get("version", 0)):
            raise Unauthenticated("the token has been revoked (logout, password change): log in again")

    def remember(self, user: str, state: dict) -> None:
        """After a revocation made through this gateway: it applies here at once."""
        self._remembered[user] = self._remembered.get(user, 0) + 1
        self._states[user] = (self.clock() + self.ttl, state)


class TokenStates(DependencyProvider):
    def setup(self):
        self.cache = TokenStateCache(float(self.container.config.get("TOKEN_STATE_CACHE_SECONDS", 5)))

    def get_dependency(self, worker_ctx):
        return self.cache

"""Token revocation on the gateway's side (issue 18). A bearer token carries the user's token
version (``ver``) and an id (``jti``); each authenticated request checks the version against
the registry's (``token_state``), kept here for ``TOKEN_STATE_CACHE_SECONDS`` (default 5) so
that a revoked token stops working within seconds without an RPC on every request. Logout,
a password change and disabling a user move the version on (services/registry/storage/sessions.py).
"""
from __future__ import annotations

import time

from nameko.extensions import DependencyProvider

from shared.errors import Unauthenticated


class TokenStateCache:
    def __init__(self, ttl_seconds: float, clock=time.monotonic):
        self.ttl = ttl_seconds
        self.clock = clock
        self._states: dict[str, tuple[float, dict]] = {}

    def check(self, services, user: str, token_version: int) -> None:
        """401 when the token's version is not the user's current one, or the user is disabled."""
        now = self.clock()
        cached = self._states.get(user)
        if cached is None or cached[0] <= now:
            state = services.registry.token_state()
            self._states[user] = (now + self.ttl, state)
            if len(self._states) > 10000:
                self._states = {u: c for u, c in self._states.items() if c[0] > now}
        else:
            state = cached[1]
        if state.get("disabled"):
            raise Unauthenticated("this user is disabled")
        if int(token_version) != int(state.get("version", 0)):
            raise Unauthenticated("the token has been revoked (logout, password change): log in again")

    def remember(self, user: str, state: dict) -> None:
        """After a revocation made through this gateway: it applies here at once."""
        self._states[user] = (self.clock() + self.ttl, state)


class TokenStates(DependencyProvider):
    def setup(self):
        self.cache = TokenStateCache(float(self.container.config.get("TOKEN_STATE_CACHE_SECONDS", 5)))

    def get_dependency(self, worker_ctx):
        return self.cache

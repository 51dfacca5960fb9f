"""``Caller``: the DependencyProvider that gives a worker its ``Principal`` (shared/principal.py)."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from shared.principal import Principal, principal_from_context


class Caller(DependencyProvider):
    """Injects the worker's ``Principal`` (or raises Unauthenticated when it is used and absent).

    Injection itself never raises: nameko would then never answer the caller. Refusal
    happens in the entrypoint (shared/rpc.py) or at first use.
    """

    def get_dependency(self, worker_ctx):
        return _LazyPrincipal(worker_ctx.data)


class _LazyPrincipal:
    def __init__(self, data: dict):
        self._data = data
        self._principal: Principal | None = None

    def get(self) -> Principal:
        if self._principal is None:
            self._principal = principal_from_context(self._data)
        return self._principal

    def __getattr__(self, name):
        return getattr(self.get(), name)

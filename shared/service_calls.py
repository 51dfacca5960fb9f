"""Service-to-service calls, bounded by a timeout (nameko 2.14's RpcProxy has none).

``services = ServiceCalls()`` on a service gives each worker a client:

- ``self.services.ledger.compliance(studio_id)`` — on behalf of the worker's caller: the
  principal and request id travel in the context data, so the callee scopes the call to the
  same person (an RPC entry point calling on).
- ``self.services.as_system("assessment round 2027: compliance").ledger.compliance(sid)`` — as
  the service itself, for timers and event handlers, which carry no principal. The principal
  is ``Principal.system(reason)`` (role ``system``: city-wide read and act); every such call
  is logged with the reason and the callee's logs name ``system:<reason>`` as the user.

A callee that does not answer within ``RPC_TIMEOUT_SECONDS`` (or ``timeout=`` per call), or a
broker that cannot be reached, gives ``ServiceUnavailable``; an error the callee raised on
purpose comes back as the same ``shared.errors`` class (``from_remote``).
"""
from __future__ import annotations

import logging
import socket

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy

from shared.errors import ServiceUnavailable, from_remote
from shared.logs import log_event
from shared.principal import PRINCIPAL_KEY, Principal

log = logging.getLogger("skillmaster.calls")


class _ContextAs:
    """The worker's context with another principal in it (the system's)."""

    def __init__(self, worker_ctx, principal: Principal):
        self._worker_ctx = worker_ctx
        self.container = worker_ctx.container
        self.principal = principal

    @property
    def context_data(self):
        data = dict(self._worker_ctx.context_data)
        data[PRINCIPAL_KEY] = self.principal.to_header()
        return data


class Calls:
    def __init__(self, worker_ctx, reply_listener, timeout: float, reason: str | None = None):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self.timeout = timeout
        self.reason = reason

    def as_system(self, reason: str) -> "Calls":
        """The same client acting as the service itself, for ``reason`` (logged)."""
        principal = Principal.system(reason)
        return Calls(_ContextAs(self._worker_ctx, principal), self._reply_listener, self.timeout, reason)

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        limit = self.timeout if timeout is None else timeout
        if self.reason is not None:
            log_event(log, "system call", service=service, method=method, reason=self.reason,
                      caller=self._worker_ctx.container.service_name)
        timer = eventlet.Timeout(limit)
        try:
            proxy = ServiceProxy(self._worker_ctx, service, self._reply_listener)
            return getattr(proxy, method).call_async(*args, **kwargs).result()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            raise ServiceUnavailable(f"{service} did not answer within {limit:g} s", service=service)
        except (OperationalError, socket.error, ConnectionError) as exc:
            raise ServiceUnavailable(f"the message broker cannot be reached: {exc}", service=service)
        except RemoteError as exc:
            raise (from_remote(exc.value) or exc) from exc
        finally:
            timer.cancel()

    def __getattr__(self, service: str) -> "_Service":
        if service.startswith("_"):
            raise AttributeError(service)
        return _Service(self, service)


class _Service:
    def __init__(self, calls: Calls, name: str):
        self._calls, self._name = calls, name

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self._calls.call(self._name, method, *args, **kwargs)


class ServiceCalls(DependencyProvider):
    reply_listener = ReplyListener()

    def setup(self):
        self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", 10))

    def get_dependency(self, worker_ctx):
        return Calls(worker_ctx, self.reply_listener, self.timeout)

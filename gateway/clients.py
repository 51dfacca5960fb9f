"""Calls from the gateway to the services, bounded by a timeout (nameko 2.14's RpcProxy has none).

The caller's principal and the request id are already in the worker's context data (the
entrypoint put them there), and nameko copies context data into every RPC's headers.
A service that does not answer within ``RPC_TIMEOUT_SECONDS``, or a broker that cannot be
reached, gives ``ServiceUnavailable`` (503) instead of a hang.
"""
from __future__ import annotations

import socket

import eventlet
from kombu.exceptions import OperationalError
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy

from shared.errors import ServiceUnavailable


class ServiceCalls:
    def __init__(self, worker_ctx, reply_listener, timeout: float):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self.timeout = timeout

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        limit = self.timeout if timeout is None else timeout
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
        finally:
            timer.cancel()

    def __getattr__(self, service: str) -> "_Service":
        if service.startswith("_"):
            raise AttributeError(service)
        return _Service(self, service)


class _Service:
    def __init__(self, calls: ServiceCalls, name: str):
        self._calls, self._name = calls, name

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self._calls.call(self._name, method, *args, **kwargs)


class Services(DependencyProvider):
    reply_listener = ReplyListener()

    def setup(self):
        self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", 10))

    def get_dependency(self, worker_ctx):
        return ServiceCalls(worker_ctx, self.reply_listener, self.timeout)

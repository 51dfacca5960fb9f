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

Requests expire (issue 14): every call carries its deadline (shared/rpc.py
``deadline_options``: AMQP expiration and a deadline header the callee's entry point checks
before any worker runs), so a call its caller gave up on never takes effect. Fail fast: a
callee with no process consuming its queue (``ConsumerCounts``: the broker's consumer count
of ``rpc-<service>``, at most a second old) is ``ServiceUnavailable`` at once.
"""
from __future__ import annotations

import logging
import socket
import time

import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy

from shared.errors import ServiceUnavailable, from_remote
from shared.logs import log_event
from shared.principal import PRINCIPAL_KEY, Principal
from shared.rpc import deadline_options

log = logging.getLogger("skillmaster.calls")

RETRY_HINT = "the request did not and will not take effect; retry it (with the same Idempotency-Key)"


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
    def __init__(self, worker_ctx, reply_listener, timeout: float, reason: str | None = None,
                 consumers: "ConsumerCounts | None" = None):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self.timeout = timeout
        self.reason = reason
        self._consumers = consumers

    def as_system(self, reason: str) -> "Calls":
        """The same client acting as the service itself, for ``reason`` (logged)."""
        principal = Principal.system(reason)
        return Calls(_ContextAs(self._worker_ctx, principal), self._reply_listener, self.timeout, reason,
                     self._consumers)

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        limit = self.timeout if timeout is None else timeout
        if self.reason is not None:
            log_event(log, "system call", service=service, method=method, reason=self.reason,
                      caller=self._worker_ctx.container.service_name)
        if self._consumers is not None and not self._consumers.has_consumer(service):
            raise ServiceUnavailable(f"{service} is not running (no process takes its requests); {RETRY_HINT}",
                                     service=service)
        timer = eventlet.Timeout(limit)
        try:
            proxy = ServiceProxy(self._worker_ctx, service, self._reply_listener, **deadline_options(limit))
            return getattr(proxy, method).call_async(*args, **kwargs).result()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            raise ServiceUnavailable(f"{service} did not answer within {limit:g} s; {RETRY_HINT}", service=service)
        except (OperationalError, socket.error, ConnectionError) as exc:
            raise ServiceUnavailable(f"the message broker cannot be reached: {exc}; {RETRY_HINT}", service=service)
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


class ConsumerCounts:
    """How many processes consume a service's RPC queue (``rpc-<service>``), cached for
    ``ttl`` seconds; one broker connection, one check at a time."""

    def __init__(self, amqp_uri: str, ttl: float = 1.0):
        self.amqp_uri = amqp_uri
        self.ttl = ttl
        self._seen: dict[str, tuple[float, int]] = {}
        self._lock = Semaphore()
        self._connection = None

    def has_consumer(self, service: str) -> bool:
        seen = self._seen.get(service)
        if seen is None or time.monotonic() - seen[0] > self.ttl:
            with self._lock:
                seen = self._seen.get(service)
                if seen is None or time.monotonic() - seen[0] > self.ttl:
                    count = self._count(service)
                    if count is None:
                        return True  # the broker did not say: let the call try (its timeout bounds it)
                    seen = self._seen[service] = (time.monotonic(), count)
        return seen[1] > 0

    def _count(self, service: str) -> int | None:
        try:
            if self._connection is None:
                self._connection = Connection(self.amqp_uri, connect_timeout=2)
            channel = self._connection.channel()
            try:
                return channel.queue_declare(queue=f"rpc-{service}", passive=True).consumer_count
            finally:
                try:
                    channel.close()
                except Exception:  # a failed passive declare has closed it already
                    pass
        except Exception as exc:
            if getattr(exc, "code", None) == 404:  # no such queue: the service never started
                return 0
            log.warning("consumer count of rpc-%s unknown: %s", service, exc)
            self.close()
            return None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                pass
            self._connection = None


class ServiceCalls(DependencyProvider):
    reply_listener = ReplyListener()

    def setup(self):
        self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", 10))
        self.consumers = ConsumerCounts(self.container.config["AMQP_URI"])

    def stop(self):
        self.consumers.close()

    def kill(self):
        self.consumers.close()

    def get_dependency(self, worker_ctx):
        return Calls(worker_ctx, self.reply_listener, self.timeout, consumers=self.consumers)

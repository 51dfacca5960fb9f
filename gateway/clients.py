"""Calls from the gateway to the services, bounded by a timeout (nameko 2.14's RpcProxy has none).

The caller's principal and the request id are already in the worker's context data (the
entrypoint put them there), and nameko copies context data into every RPC's headers.
A service that does not answer within ``RPC_TIMEOUT_SECONDS``, or a broker that cannot be
reached, gives ``ServiceUnavailable`` (503) instead of a hang. Every request carries its
deadline (shared/rpc.py: ``deadline_options``), so one the gateway gave up on never takes
effect. A service with no process consuming its queue answers 503 at once (fail fast): the
queue's consumer count is asked of the broker (a passive declare), at most once a second.
"""
from __future__ import annotations

import logging
import socket
import time

import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy

from shared.errors import ServiceUnavailable
from shared.rpc import deadline_options

log = logging.getLogger("skillmaster.gateway.clients")

RETRY_HINT = "the request did not and will not take effect; retry it (with the same Idempotency-Key)"


class ServiceCalls:
    def __init__(self, worker_ctx, reply_listener, timeout: float, consumers: "ConsumerCounts | None" = None):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self._consumers = consumers
        self.timeout = timeout

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        limit = self.timeout if timeout is None else timeout
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


class Services(DependencyProvider):
    reply_listener = ReplyListener()

    def setup(self):
        self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", 10))
        self.consumers = ConsumerCounts(self.container.config["AMQP_URI"])

    def stop(self):
        self.consumers.close()

    def kill(self):
        self.consumers.close()

    def get_dependency(self, worker_ctx):
        return ServiceCalls(worker_ctx, self.reply_listener, self.timeout, self.consumers)

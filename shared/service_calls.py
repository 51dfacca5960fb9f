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

The request itself (``RequestPublisher``, issue 14's concurrency work): one producer pool per
process instead of nameko's ``ServiceProxy``, which builds a kombu ``Connection`` (URI parsing,
pool lookup) on every call, waits for a publisher confirm and publishes the request persistent.
None of that buys anything for a request whose caller waits for the reply with a deadline:
a request the broker lost (no confirm) is a timeout, i.e. a 503 that did not take effect;
``mandatory`` (which needs confirms) only detected an unbound queue, which ``ConsumerCounts``
reports first; and a persistent request would only outlive a broker restart to be refused at
its deadline. So requests are published transient, without confirms.
"""
from __future__ import annotations

import logging
import socket
import time
from functools import partial

import eventlet
from eventlet.semaphore import Semaphore
import uuid

from kombu import Connection
from kombu.exceptions import OperationalError
from kombu.pools import producers
from nameko.constants import (AMQP_SSL_CONFIG_KEY, DEFAULT_RETRY_POLICY, DEFAULT_SERIALIZER, DEFAULT_TRANSPORT_OPTIONS,
                              LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT, SERIALIZER_CONFIG_KEY)
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.messaging import HeaderEncoder, QueueConsumer
from nameko.rpc import ReplyListener, RpcReply, get_rpc_exchange

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


_HEADERS = HeaderEncoder()


class _Reply(RpcReply):
    def __init__(self, reply_event, reply_listener, correlation_id: str):
        super().__init__(reply_event)
        self._reply_listener, self.correlation_id = reply_listener, correlation_id

    def forget(self) -> None:
        """The caller stopped waiting (timeout): a late reply is dropped, nothing is kept for it."""
        self._reply_listener._reply_events.pop(self.correlation_id, None)


class RequestPublisher:
    """Publishes RPC requests for one process: a producer pool made once, no publisher
    confirms, transient messages (see the module's docstring)."""

    def __init__(self, config: dict):
        self.exchange = get_rpc_exchange(config)
        self.serializer = config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
        options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False}
        self._producers = producers[Connection(config["AMQP_URI"], transport_options=options,
                                               ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                               login_method=config.get(LOGIN_METHOD_CONFIG_KEY))]

    def call_async(self, worker_ctx, reply_listener, service: str, method: str, args, kwargs,
                   timeout: float) -> _Reply:
        """Send ``service.method(*args, **kwargs)``; the reply (``.result()``) comes to ``reply_listener``."""
        options = deadline_options(timeout)
        headers = {**options["headers"], **_HEADERS.get_message_headers(worker_ctx)}
        correlation_id = str(uuid.uuid4())
        reply_event = reply_listener.get_reply_event(correlation_id)
        try:
            with self._producers.acquire(block=True) as producer:
                producer.publish({"args": args, "kwargs": kwargs}, exchange=self.exchange,
                                 routing_key=f"{service}.{method}", reply_to=reply_listener.routing_key,
                                 correlation_id=correlation_id, headers=headers, expiration=options["expiration"],
                                 delivery_mode=NON_PERSISTENT, serializer=self.serializer, retry=True,
                                 retry_policy=DEFAULT_RETRY_POLICY)
        except BaseException:
            reply_listener._reply_events.pop(correlation_id, None)
            raise
        return _Reply(reply_event, reply_listener, correlation_id)


class Calls:
    def __init__(self, worker_ctx, reply_listener, timeout: float, reason: str | None = None,
                 consumers: "ConsumerCounts | None" = None, publisher: RequestPublisher | None = None):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self.timeout = timeout
        self.reason = reason
        self._consumers = consumers
        self._publisher = publisher

    def as_system(self, reason: str) -> "Calls":
        """The same client acting as the service itself, for ``reason`` (logged)."""
        principal = Principal.system(reason)
        return Calls(_ContextAs(self._worker_ctx, principal), self._reply_listener, self.timeout, reason,
                     self._consumers, self._publisher)

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        limit = self.timeout if timeout is None else timeout
        if self.reason is not None:
            log_event(log, "system call", service=service, method=method, reason=self.reason,
                      caller=self._worker_ctx.container.service_name)
        if self._consumers is not None and not self._consumers.has_consumer(service):
            raise ServiceUnavailable(f"{service} is not running (no process takes its requests); {RETRY_HINT}",
                                     service=service)
        timer = eventlet.Timeout(limit)
        reply = None
        try:
            reply = self._publisher.call_async(self._worker_ctx, self._reply_listener, service, method, args, kwargs,
                                               limit)
            return reply.result()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            if reply is not None:
                reply.forget()
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


class ReplyConsumer(QueueConsumer):
    """The reply queue's consumer: without acks, each reply handed to its waiter in the consuming
    greenthread. nameko's acks every reply (a frame to the broker and the broker's bookkeeping)
    and spawns a greenthread for each only to set an Event. A reply the process never reads
    (it died) is lost either way: its waiter is gone, and the caller answered 503."""

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            self._consumers[provider] = consumer_cls(queues=[provider.queue], accept=self.accept, no_ack=True,
                                                     callbacks=[partial(self.handle_message, provider)])
        return self._consumers.values()

    def handle_message(self, provider, body, message):
        provider.handle_message(body, message)

    def ack_message(self, message):
        pass  # consumed without acks


class Replies(ReplyListener):
    """nameko's ReplyListener on the ``ReplyConsumer``: the same reply queue, routing and waiters."""
    queue_consumer = ReplyConsumer()

    def handle_message(self, body, message):
        client_event = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if client_event is not None:
            client_event.send(body)


class ServiceCalls(DependencyProvider):
    reply_listener = Replies()

    def setup(self):
        self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", 10))
        self.consumers = ConsumerCounts(self.container.config["AMQP_URI"])
        self.publisher = RequestPublisher(self.container.config)

    def stop(self):
        self.consumers.close()

    def kill(self):
        self.consumers.close()

    def get_dependency(self, worker_ctx):
        return Calls(worker_ctx, self.reply_listener, self.timeout, consumers=self.consumers,
                     publisher=self.publisher)

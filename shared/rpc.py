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

Replies (``ReplyingRpcConsumer``): nameko's responder builds a kombu ``Connection`` for every
reply, serializes the result twice, publishes it persistent and waits for the broker's confirm
before the request is acked. A reply goes to its caller's in-memory waiter through a
short-lived reply queue: persisting it or confirming it keeps nothing that a broker failure
would not lose anyway (the caller then answers 503 after its timeout, and the retry with the
same ``Idempotency-Key`` takes effect once). So replies are serialized once and published
transient, without confirms, from one producer pool per process.
"""
from __future__ import annotations

import inspect
import logging
import sys
import time

import kombu.serialization
from kombu import Connection
from kombu.pools import producers
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_RETRY_POLICY,
                              DEFAULT_TRANSPORT_OPTIONS, LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT)
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

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


class ReplyingRpcConsumer(RpcConsumer):
    """nameko's RpcConsumer with a lean reply (see the module's docstring); the same reply body."""

    def setup(self):
        super().setup()
        config = self.container.config
        self._exchange = get_rpc_exchange(config)
        options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False}
        self._producers = producers[Connection(config[AMQP_URI_CONFIG_KEY], transport_options=options,
                                               ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                               login_method=config.get(LOGIN_METHOD_CONFIG_KEY))]

    def handle_result(self, message, result, exc_info):
        # encoded the way the request was, as nameko's Responder does
        serializer = kombu.serialization.registry.type_to_name[message.properties["content_type"]]
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:
            # an unserializable result: the caller gets the error instead (never a dead worker)
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            result = None
            content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
        with self._producers.acquire(block=True) as producer:
            producer.publish(body, content_type=content_type, content_encoding=encoding, exchange=self._exchange,
                             routing_key=message.properties["reply_to"],
                             correlation_id=message.properties.get("correlation_id"),
                             delivery_mode=NON_PERSISTENT, retry=True, retry_policy=DEFAULT_RETRY_POLICY)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class QuickSignatureCheck:
    """nameko's ``check_signature`` with the method's signature read once: ``inspect.getcallargs``
    reads it again on every call (~60 µs a request here); the same TypeError, the same refusal."""

    def check_signature(self, args, kwargs):
        signature = getattr(self, "_signature", None)
        if signature is None:
            signature = self._signature = inspect.signature(getattr(self.container.service_cls, self.method_name))
        try:
            signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc))


class ScopedRpc(QuickSignatureCheck, Rpc):
    rpc_consumer = ReplyingRpcConsumer()

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

__all__ = ["rpc", "ScopedRpc", "ReplyingRpcConsumer", "PRINCIPAL_KEY", "DEADLINE_HEADER", "deadline_options", "deadline_passed"]

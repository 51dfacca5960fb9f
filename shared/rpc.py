"""The RPC entrypoint every service uses: nameko's ``rpc`` that refuses a call without a principal.

The check runs before a worker is spawned, so the caller gets an ``Unauthenticated``
error reply (nameko sends one for any exception raised while handling the message)
instead of a worker that fails half-way. ``@rpc(public=True)`` marks the few entry points
that are called before anyone is known (``ping``, ``authenticate``).
"""
from __future__ import annotations

from nameko.rpc import Rpc

from shared.principal import PRINCIPAL_KEY, principal_from_context


class ScopedRpc(Rpc):
    def __init__(self, public: bool = False, **kwargs):
        self.public = public
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        if not self.public:
            # raises Unauthenticated; RpcConsumer turns it into the error reply
            principal_from_context(self.unpack_message_headers(message))
        return super().handle_message(body, message)


rpc = ScopedRpc.decorator

__all__ = ["rpc", "ScopedRpc", "PRINCIPAL_KEY"]

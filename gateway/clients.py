"""Calls from the gateway to the services: the shared client, bounded by a timeout
(shared/service_calls.py). The caller's principal and the request id are already in the
worker's context data, and nameko copies context data into every RPC's headers. A service that
does not answer within ``RPC_TIMEOUT_SECONDS``, or a broker that cannot be reached, gives
``ServiceUnavailable`` (503) instead of a hang; one with no running process gives it at once;
a request the gateway gave up on never takes effect (its deadline travels with it).
"""
from shared.service_calls import Calls as ServiceCalls  # noqa: F401
from shared.service_calls import ServiceCalls as Services  # noqa: F401

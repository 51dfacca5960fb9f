"""The gateway's token-state cache (gateway/sessions.py): one registry lookup per user at a
time, never an answer older than the requests it serves, revocations made here win."""
import eventlet
import pytest

from gateway.sessions import TokenStateCache
from shared.errors import ServiceUnavailable, Unauthenticated


class _Registry:
    """``services.registry.token_state()`` answering ``states`` in turn, each after a yield."""

    def __init__(self, *states, fail=None):
        self.states = list(states)
        self.fail = fail
        self.calls = 0
        self.gate = eventlet.event.Event()

    def token_state(self):
        self.calls += 1
        self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


class _Services:
    def __init__(self, registry):
        self.registry = registry


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _concurrently(count, fn):
    pool = eventlet.GreenPool(count)
    threads = [pool.spawn(fn) for _ in range(count)]
    eventlet.sleep(0)  # every request is waiting now
    return threads


def test_concurrent_requests_of_a_user_share_one_lookup_and_its_answer():
    registry = _Registry({"user": "u", "version": 3, "disabled": False})
    cache, services = TokenStateCache(5, clock=_Clock()), _Services(registry)
    threads = _concurrently(50, lambda: cache.check(services, "u", 3))
    registry.gate.send(None)
    for thread in threads:
        thread.wait()
    print(f"injected: 50 concurrent requests of one user with a stale entry; counted: {registry.calls} lookup(s)")
    assert registry.calls == 1


def test_a_stale_entry_is_looked_up_again_and_a_disabled_user_is_refused_by_every_waiter():
    clock = _Clock()
    registry = _Registry({"user": "u", "version": 0, "disabled": False}, {"user": "u", "version": 0, "disabled": True})
    cache, services = TokenStateCache(5, clock=clock), _Services(registry)
    registry.gate.send(None)
    cache.check(services, "u", 0)
    clock.now += 5.01   # the entry is stale: the next requests see the user disabled
    registry.gate = eventlet.event.Event()
    threads = _concurrently(10, lambda: cache.check(services, "u", 0))
    registry.gate.send(None)
    refused = 0
    for thread in threads:
        with pytest.raises(Unauthenticated, match="disabled"):
            thread.wait()
        refused += 1
    assert registry.calls == 2 and refused == 10


def test_a_failed_lookup_fails_its_waiters_and_the_next_request_asks_again():
    registry = _Registry({"user": "u", "version": 0, "disabled": False},
                         fail=ServiceUnavailable("registry did not answer"))
    cache, services = TokenStateCache(5, clock=_Clock()), _Services(registry)
    threads = _concurrently(5, lambda: cache.check(services, "u", 0))
    registry.gate.send(None)
    for thread in threads:
        with pytest.raises(ServiceUnavailable):
            thread.wait()
    registry.fail = None
    cache.check(services, "u", 0)
    assert registry.calls == 2


def test_a_revocation_made_here_during_a_lookup_is_not_overwritten_by_the_older_answer():
    registry = _Registry({"user": "u", "version": 0, "disabled": False})
    cache, services = TokenStateCache(5, clock=_Clock()), _Services(registry)
    (thread,) = _concurrently(1, lambda: cache.check(services, "u", 0))
    cache.remember("u", {"user": "u", "version": 1, "disabled": False})   # logout, answered meanwhile
    registry.gate.send(None)
    thread.wait()   # the request that was already checking passes on the answer it asked for
    with pytest.raises(Unauthenticated, match="revoked"):
        cache.check(services, "u", 0)
    assert registry.calls == 1

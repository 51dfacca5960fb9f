"""Login throttling (issue 18): failures for a user or from an address are slowed, then refused
for a while (429 with Retry-After); every refusal ends; a success clears the user's count."""
from __future__ import annotations

import pytest

from gateway.security import LoginAttempts, LoginPolicy, secure_headers
from shared.errors import TooManyRequests


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def attempts(**policy):
    clock = Clock()
    return LoginAttempts(LoginPolicy(**policy), clock=clock), clock


def test_a_user_is_slowed_then_refused_for_a_while_then_let_in_again():
    a, clock = attempts(lock_user_after=5, base_lock_seconds=30, max_lock_seconds=900)
    delays = [a.failed("alice", f"10.0.0.{i}") for i in range(4)]
    assert delays[:3] == [0, 0, 0] and delays[3] > 0          # slowed after 3 failures
    a.check("alice", "10.0.0.9")                              # 4 failures: still allowed
    a.failed("alice", "10.0.0.9")                             # the 5th: refused for 30 s
    with pytest.raises(TooManyRequests) as refused:
        a.check("alice", "10.0.0.10")
    assert refused.value.status == 429 and refused.value.extra["retry_after"] == 30
    clock.now += 31
    a.check("alice", "10.0.0.10")                             # bounded: allowed again


def test_refusals_grow_but_never_past_the_maximum_and_refused_attempts_do_not_extend_them():
    a, clock = attempts(lock_user_after=2, base_lock_seconds=30, max_lock_seconds=120)
    for _ in range(12):
        try:
            a.check("bob", "1.1.1.1")
        except TooManyRequests as exc:
            assert exc.extra["retry_after"] <= 120
            clock.now += exc.extra["retry_after"]
            continue
        a.failed("bob", "1.1.1.1")
    with pytest.raises(TooManyRequests) as refused:
        a.check("bob", "2.2.2.2")
    assert refused.value.extra["retry_after"] <= 120
    clock.now += 121
    a.check("bob", "2.2.2.2")


def test_an_address_spraying_user_names_is_refused_and_a_success_clears_the_user():
    a, clock = attempts(lock_address_after=20)
    for i in range(20):
        a.failed(f"user{i}", "6.6.6.6")
    with pytest.raises(TooManyRequests):
        a.check("someone", "6.6.6.6")
    a.check("someone", "7.7.7.7")                              # other addresses are not refused
    a.failed("carol", "8.8.8.8")
    a.succeeded("carol")
    assert ("user", "carol") not in a._records


def test_security_headers_on_json_and_a_strict_policy_for_html():
    from werkzeug.wrappers import Response
    api = secure_headers(Response("{}", mimetype="application/json"))
    assert api.headers["X-Content-Type-Options"] == "nosniff" and api.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in api.headers["Content-Security-Policy"]
    assert api.headers["Referrer-Policy"] == "no-referrer"
    html = secure_headers(Response("<html></html>", mimetype="text/html"))
    csp = html.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp

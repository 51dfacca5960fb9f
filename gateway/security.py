"""The gateway's security measures that are not about who you are (gateway/auth.py is):

- ``secure_headers``: the one place where every response gets its security headers (the route
  entrypoint calls it on every answer, errors included; static files served by the gateway
  go through it too). HTML gets a strict content security policy of its own.
- ``LoginAttempts``: failed logins for a user or from an address are slowed, then refused for a
  while (429 with ``Retry-After``). Every refusal is bounded in time (at most
  ``LOGIN_LOCK_MAX_SECONDS``), refused attempts do not extend it, and a success clears the
  user's count: nobody can lock a user out for ever.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

from shared.errors import TooManyRequests

# Every response: no sniffing, no framing, no referrer leaks, nothing cached by the way.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# JSON, files: nothing may be loaded or run in their context.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The console's HTML: its own scripts, styles and images only; no inline script, no framing.
HTML_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


def secure_headers(response):
    """Set the security headers on ``response`` (a werkzeug Response) and return it. Headers the
    handler set itself (the console's pages: their own policy and caching) are kept."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}   # one pass (setdefault scans every header each time)
    html = (response.mimetype or "").startswith("text/html")
    for name, value in (*SECURITY_HEADERS.items(), ("Content-Security-Policy", HTML_CSP if html else API_CSP),
                        ("Cache-Control", "no-store")):
        if name.lower() not in present:
            headers.add(name, value)
    return response


# -- login throttling ----------------------------------------------------------------------
@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


@dataclass
class LoginPolicy:
    slow_after: int = 3              # failures before answers are slowed
    lock_user_after: int = 5         # failures of one user before it is refused for a while
    lock_address_after: int = 20     # failures from one address (any user)
    base_lock_seconds: float = 30.0  # first refusal; doubles with each further failure
    max_lock_seconds: float = 900.0  # never longer than this
    forget_after_seconds: float = 900.0  # a quiet quarter of an hour forgets the failures
    max_delay_seconds: float = 2.0

    @classmethod
    def from_config(cls, config: dict) -> "LoginPolicy":
        return cls(lock_user_after=int(config.get("LOGIN_LOCK_USER_AFTER", 5)),
                   lock_address_after=int(config.get("LOGIN_LOCK_ADDRESS_AFTER", 20)),
                   base_lock_seconds=float(config.get("LOGIN_LOCK_BASE_SECONDS", 30)),
                   max_lock_seconds=float(config.get("LOGIN_LOCK_MAX_SECONDS", 900)))


@dataclass
class LoginAttempts:
    """Counts failed logins by user and by address (in this gateway process; plain Python)."""
    policy: LoginPolicy = field(default_factory=LoginPolicy)
    clock: callable = time.monotonic
    _records: dict = field(default_factory=dict)

    def _record(self, key) -> _Record:
        now = self.clock()
        record = self._records.get(key)
        if record is None or (now - record.last_failure > self.policy.forget_after_seconds
                              and now >= record.locked_until):
            record = self._records[key] = _Record()
        return record

    def check(self, username: str, address: str) -> None:
        """Raise 429 (with the seconds to wait) while the user or the address is refused."""
        now = self.clock()
        waits = [self._record(key).locked_until - now for key in (("user", username), ("address", address))]
        wait = max(waits)
        if wait > 0:
            raise TooManyRequests("too many failed logins: try again later", retry_after=math.ceil(wait))

    def failed(self, username: str, address: str) -> float:
        """Count a failure; returns the seconds the answer should be slowed by."""
        now = self.clock()
        delay = 0.0
        for key, limit in ((("user", username), self.policy.lock_user_after),
                           (("address", address), self.policy.lock_address_after)):
            record = self._record(key)
            record.failures += 1
            record.last_failure = now
            if record.failures >= limit:
                over = record.failures - limit
                record.locked_until = now + min(self.policy.base_lock_seconds * (2 ** min(over, 20)),
                                                self.policy.max_lock_seconds)
            if key[0] == "user" and record.failures > self.policy.slow_after:
                delay = min(0.25 * 2 ** (record.failures - self.policy.slow_after - 1), self.policy.max_delay_seconds)
        self._prune(now)
        return delay

    def succeeded(self, username: str) -> None:
        self._records.pop(("user", username), None)

    def _prune(self, now: float) -> None:
        if len(self._records) > 10000:  # bounded memory under a spray of user names
            for key in [k for k, r in self._records.items()
                        if now - r.last_failure > self.policy.forget_after_seconds and now >= r.locked_until]:
                del self._records[key]


class LoginThrottle(DependencyProvider):
    """One ``LoginAttempts`` per gateway process, shared by its workers."""

    def setup(self):
        self.attempts = LoginAttempts(LoginPolicy.from_config(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.attempts

"""Errors raised by the ledger's domain logic.

Every error carries a stable ``code`` (``ledger.<something>``), the HTTP ``status`` the
gateway should answer with, and where it applies the ``rule`` (``R-20`` … ``R-25`` of
DOMAIN.md) and the ``field`` of the request that broke it.  The gateway maps by base class
or by ``code``; it never needs to import this module's path (``as_dict()`` gives all it needs
over RPC).

    LedgerError                      base, status 400
    ├── LedgerValidationError        400  malformed input (wrong type, missing id …)
    ├── LedgerRuleViolation          422  valid input that breaks a rule (overspending, category …)
    ├── LedgerConflict               409  wrong state / duplicate
    │   ├── AccountClosed            409  R-20: the account was clawed back (studio revoked)
    │   ├── AlreadyReversed          409  R-24: an entry can be reversed once
    │   └── IdempotencyConflict      409  same idempotency key, different request
    ├── UnknownEntry                 404  the entry / cycle is not in this account
    └── LedgerIntegrityError         500  stored entries that cannot be right (gap, imbalance)

``AlreadyBooked`` is *not* an error: a builder raises it when the idempotency key was
already used for the same request; the caller answers with the first result
(``exc.entry_id``) and writes nothing.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    status = 400
    code = "ledger.error"

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None,
                 code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.field = field
        if code is not None:
            self.code = code
        self.details = details

    def as_dict(self) -> dict:
        """JSON-safe description (what an RPC error payload or a problem+json needs)."""
        out = {"code": self.code, "status": self.status, "message": self.message,
               "rule": self.rule, "field": self.field}
        if self.details:
            out["details"] = {k: (v if isinstance(v, (str, int, bool, type(None))) else str(v))
                              for k, v in self.details.items()}
        return out

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return (f"{type(self).__name__}(code={self.code!r}, rule={self.rule!r}, "
                f"field={self.field!r}, message={self.message!r})")


class LedgerValidationError(LedgerError):
    status = 400
    code = "ledger.invalid"


class LedgerRuleViolation(LedgerError):
    status = 422
    code = "ledger.rule_violation"


class LedgerConflict(LedgerError):
    status = 409
    code = "ledger.conflict"


class AccountClosed(LedgerConflict):
    code = "ledger.account_closed"

    def __init__(self, message: str = "the studio was revoked and its city funds clawed back; "
                                      "the account takes no more movements", **kw: Any) -> None:
        kw.setdefault("rule", "R-20")
        super().__init__(message, **kw)


class AlreadyReversed(LedgerConflict):
    code = "ledger.already_reversed"


class IdempotencyConflict(LedgerConflict):
    code = "ledger.idempotency_conflict"


class UnknownEntry(LedgerError):
    status = 404
    code = "ledger.not_found"


class LedgerIntegrityError(LedgerError):
    status = 500
    code = "ledger.integrity"


class AlreadyBooked(Exception):
    """Signal, not an error: this idempotency key already booked the same request.

    ``entry_id`` is the entry that was booked the first time; answer with it, write nothing.
    """

    def __init__(self, entry_id: str, idempotency_key: str) -> None:
        super().__init__(f"idempotency key {idempotency_key!r} already booked entry {entry_id}")
        self.entry_id = entry_id
        self.idempotency_key = idempotency_key

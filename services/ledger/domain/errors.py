"""Errors raised by the ledger's domain logic: members of the one hierarchy, ``shared.errors``.

Each is the shared class the platform answers with (status, stable wire ``code``, ``rule``,
field ``errors``) and carries the ledger's own stable ``code`` (``ledger.<something>``), sent
over RPC as ``ledger_code``, plus the ``field`` of the request that broke it and ``details``.

    LedgerError (DomainError)                       500  base
    ├── LedgerValidationError  (ValidationFailed)   422  malformed input (wrong type, missing id …)
    ├── LedgerRuleViolation    (RuleViolation)      422  valid input that breaks a rule
    ├── LedgerConflict         (Conflict)           409  wrong state / duplicate
    │   ├── AccountClosed                           409  R-20: the account was clawed back
    │   ├── AlreadyReversed                         409  R-24: an entry can be reversed once
    │   └── IdempotencyConflict                     409  same idempotency key, different request
    ├── UnknownEntry           (NotFound)           404  the entry / cycle is not in this account
    └── LedgerIntegrityError                        500  stored entries that cannot be right

``AlreadyBooked`` is *not* an error: a builder raises it when the idempotency key was
already used for the same request; the caller answers with the first result
(``exc.entry_id``) and writes nothing.
"""

from __future__ import annotations

from typing import Any

from shared.errors import Conflict, DomainError, NotFound, RuleViolation, ValidationFailed


def _json_safe(value: Any) -> Any:
    return value if isinstance(value, (str, int, bool, type(None))) else str(value)


class LedgerError(DomainError):
    ledger_code = "ledger.error"
    field_errors = False        # True: the field is named in ``errors`` (422s); else as ``field``

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None,
                 code: str | None = None, **details: Any) -> None:
        self.message = message
        self.field = field
        if code is not None:
            self.ledger_code = code
        self.details = details
        extra: dict[str, Any] = {"ledger_code": self.ledger_code,
                                 **{k: _json_safe(v) for k, v in details.items()}}
        errors = None
        if self.field_errors:
            errors = {field or "_schema": message}
        elif field and isinstance(self, Conflict):
            extra["field"] = field
        super().__init__(message, errors=errors, rule=rule, **extra)

    @property
    def code(self) -> str:        # the ledger's own code; the wire code is the shared class's
        return self.ledger_code

    def to_dict(self) -> dict:
        body = super().to_dict()
        body["code"] = _wire_code(type(self))
        return body

    def as_dict(self) -> dict:
        """JSON-safe description in the ledger's terms (code, status, message, rule, field, details)."""
        out = {"code": self.code, "status": self.status, "message": self.message,
               "rule": self.rule, "field": self.field}
        if self.details:
            out["details"] = {k: _json_safe(v) for k, v in self.details.items()}
        return out

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return (f"{type(self).__name__}(code={self.code!r}, rule={self.rule!r}, "
                f"field={self.field!r}, message={self.message!r})")


def _wire_code(cls) -> str:
    for klass in cls.__mro__:
        if klass.__module__ == "shared.errors" and "code" in klass.__dict__:
            return klass.__dict__["code"]
    return DomainError.code


class LedgerValidationError(LedgerError, ValidationFailed):
    ledger_code = "ledger.invalid"
    field_errors = True


class LedgerRuleViolation(LedgerError, RuleViolation):
    ledger_code = "ledger.rule_violation"
    field_errors = True


class LedgerConflict(LedgerError, Conflict):
    ledger_code = "ledger.conflict"


class AccountClosed(LedgerConflict):
    ledger_code = "ledger.account_closed"

    def __init__(self, message: str = "the studio was revoked and its city funds clawed back; "
                                      "the account takes no more movements", **kw: Any) -> None:
        kw.setdefault("rule", "R-20")
        super().__init__(message, **kw)


class AlreadyReversed(LedgerConflict):
    ledger_code = "ledger.already_reversed"


class IdempotencyConflict(LedgerConflict):
    ledger_code = "ledger.idempotency_conflict"


class UnknownEntry(LedgerError, NotFound):
    ledger_code = "ledger.not_found"


class LedgerIntegrityError(LedgerError):
    ledger_code = "ledger.integrity"
    title = "Ledger integrity error"


class AlreadyBooked(Exception):
    """Signal, not an error: this idempotency key already booked the same request.

    ``entry_id`` is the entry that was booked the first time; answer with it, write nothing.
    """

    def __init__(self, entry_id: str, idempotency_key: str) -> None:
        super().__init__(f"idempotency key {idempotency_key!r} already booked entry {entry_id}")
        self.entry_id = entry_id
        self.idempotency_key = idempotency_key

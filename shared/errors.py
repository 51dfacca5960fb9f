"""The error model every service raises and the gateway maps to problem+json.

A service never lets the gateway depend on its module paths: each error carries a stable
``code`` and HTTP ``status`` and serialises itself as JSON in ``str(exc)``, which is what
nameko puts in a ``RemoteError``'s ``value``. ``from_remote`` rebuilds it on the caller.
"""
from __future__ import annotations

import json
from typing import Any, Mapping


class DomainError(Exception):
    """Base of every error a service reports on purpose."""

    code = "error"
    status = 500
    title = "Internal error"

    def __init__(self, detail: str = "", *, errors: Mapping[str, Any] | None = None,
                 rule: str | None = None, **extra: Any):
        self.detail = detail or self.title
        self.errors = dict(errors) if errors else None
        self.rule = rule
        self.extra = extra
        super().__init__(self.to_json())

    def to_dict(self) -> dict:
        body: dict[str, Any] = {"code": self.code, "status": self.status,
                                "title": self.title, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        if self.rule:
            body["rule"] = self.rule
        body.update(self.extra)
        return body

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    def __str__(self) -> str:  # what nameko serialises as RemoteError.value
        return self.to_json()


class BadRequest(DomainError):
    code, status, title = "bad_request", 400, "Malformed request"


class Unauthenticated(DomainError):
    code, status, title = "unauthenticated", 401, "Authentication required"


class Forbidden(DomainError):
    code, status, title = "forbidden", 403, "Role not allowed"


class NotFound(DomainError):
    code, status, title = "not_found", 404, "Not found"


class Conflict(DomainError):
    code, status, title = "conflict", 409, "Conflict"


class PayloadTooLarge(DomainError):
    code, status, title = "payload_too_large", 413, "Payload too large"


class UnsupportedMediaType(DomainError):
    code, status, title = "unsupported_media_type", 415, "Unsupported media type"


class ValidationFailed(DomainError):
    """Input that does not fit the schema: ``errors`` maps field paths to messages."""
    code, status, title = "validation_failed", 422, "Invalid input"


class RuleViolation(DomainError):
    """Valid input that breaks a rule of the measures; ``rule`` names it (e.g. ``R-6``)."""
    code, status, title = "rule_violation", 422, "Rule violated"


class TooManyRequests(DomainError):
    """Refused for a while (e.g. failed logins); ``retry_after`` gives the seconds to wait."""
    code, status, title = "too_many_requests", 429, "Too many requests"


class ServiceUnavailable(DomainError):
    code, status, title = "service_unavailable", 503, "Service unavailable"


_BY_CODE = {cls.code: cls for cls in (BadRequest, Unauthenticated, Forbidden, NotFound, Conflict,
                                     PayloadTooLarge, UnsupportedMediaType, ValidationFailed,
                                     RuleViolation, TooManyRequests, ServiceUnavailable)}


def from_remote(value: str) -> DomainError | None:
    """Rebuild a DomainError from a RemoteError's value; None if it was not one of ours."""
    try:
        body = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("code") not in _BY_CODE:
        return None
    cls = _BY_CODE[body.pop("code")]
    body.pop("status", None)
    body.pop("title", None)
    detail = body.pop("detail", "")
    errors = body.pop("errors", None)
    rule = body.pop("rule", None)
    return cls(detail, errors=errors, rule=rule, **body)


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages → {"team.0.role": "Missing data for required field."}."""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            flat.update(flatten_errors(value, path))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = " ".join(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        flat[prefix or "_schema"] = str(messages)
    return flat

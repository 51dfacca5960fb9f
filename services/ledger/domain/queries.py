"""Reading what callers send (pure): query arguments (whole numbers, years, moments) and the
idempotency key of an HTTP booking; names carried by registry events."""
from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time
from typing import Any, Mapping

from shared.errors import ValidationFailed
from shared.principal import Principal

from .journal import SHANGHAI

MAX_CLIENT_KEY = 200


def parse_int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        n = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be a whole number", errors={field: "must be a whole number"})
    if (minimum is not None and n < minimum) or (maximum is not None and n > maximum):
        raise ValidationFailed(f"{field} is out of range", errors={field: f"must be from {minimum} to {maximum}"})
    return n


def parse_moment(value: Any, field: str) -> datetime | None:
    """ISO date (the start of that day in Beijing) or date-time (no offset: Beijing time)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, date):
        return datetime.combine(value, time(), SHANGHAI)
    text = str(value).strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), SHANGHAI)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{field} is not an ISO 8601 date or date-time",
                               errors={field: "an ISO 8601 date (2025-06-30) or date-time"})
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def parse_year(value: Any) -> int:
    year = parse_int(value, "year", minimum=1900, maximum=9998)
    if year is None:
        raise ValidationFailed("year is required", errors={"year": "required, e.g. 2025"})
    return year


def request_key(principal: Principal, client_key: str | None) -> str:
    """The entry's idempotency key for an HTTP booking: the client's Idempotency-Key, namespaced
    by user (keys are the user's; another user's key is another key), or a fresh one."""
    if not client_key:
        return f"req:{uuid.uuid4().hex}"
    if not isinstance(client_key, str) or len(client_key) > MAX_CLIENT_KEY:
        raise ValidationFailed("Idempotency-Key too long",
                               errors={"Idempotency-Key": f"at most {MAX_CLIENT_KEY} characters"})
    key = f"user:{principal.user}:{client_key}"
    if len(key) > 200:  # the journal's limit: keep it readable where it fits, exact always
        key = f"user:{principal.user[:60]}:sha256:{hashlib.sha256(client_key.encode('utf-8')).hexdigest()}"
    return key


def studio_name(data: Mapping) -> str:
    if data.get("name") or data.get("studio_name"):
        return str(data.get("name") or data.get("studio_name"))
    lead = data.get("lead_name") or data.get("lead")
    if isinstance(lead, Mapping):
        lead = lead.get("name")
    return f"{lead}技能大师工作室" if lead else ""


def event_data(event: Mapping, *fields: str) -> dict:
    data = event.get("data")
    if not isinstance(data, Mapping):
        raise ValueError(f"{event.get('type')} event {event.get('event_id')} has no data")
    missing = [f for f in fields if not data.get(f)]
    if missing:
        raise ValueError(f"{event.get('type')} event {event.get('event_id')} lacks {', '.join(missing)}")
    return dict(data)

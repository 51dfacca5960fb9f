"""Small helpers every registry record uses: timestamps, history entries, R-6 keys."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timezone

from services.registry.domain import id_number
from services.registry.domain.workflow import DRAFT
from shared.principal import SYSTEM, UNIT, Principal


def now() -> datetime:
    """Now, to the millisecond the store keeps: an answer made from a new record is what reading it back gives
    (a replay of an Idempotency-Key answers the stored record)."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def history_entry(principal: Principal, action: str, from_state: str | None, to: str, note: str = "") -> dict:
    """Who, when, from, to, note: one line of a record's history."""
    return {"at": now(), "by": principal.user, "role": principal.role, "action": action,
            "from": from_state, "to": to, "note": note or ""}


def occupation_key(occupation: str) -> str:
    return unicodedata.normalize("NFKC", occupation).strip().casefold()


def slot_key(unit_id: str, branch_id: str | None, occupation: str) -> str:
    """R-6: one studio per unit (or per branch of a unit with branches) per occupation."""
    return f"{unit_id}|{branch_id or '-'}|{occupation_key(occupation)}"


def master_key(master: dict) -> str:
    """R-6: one studio per master, whichever unit or tenant (by identity card number)."""
    return id_number.digest(master["id_number"])


def drafts_hidden(principal: Principal) -> dict:
    """A draft is the unit's own work: its tenant and the city see an application once submitted."""
    return {} if principal.role in (UNIT, SYSTEM) else {"status": {"$ne": DRAFT}}

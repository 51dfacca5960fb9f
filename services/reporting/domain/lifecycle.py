"""The life of one record (an agreement, a plan or results of a studio for a year), R-11.

    draft ──submit──▶ submitted ──accept──▶ accepted
      ▲                  │
      │               return (reasons)
      │                  ▼
      └──save_draft── returned ──submit (a resubmission)──▶ submitted

Every submission freezes the draft as a new numbered version; earlier versions stay
readable; ``history`` says who did what when. The record is a plain dict (what storage
keeps); each function checks the transition and returns the changed copy and the event to
publish (or None). Nothing here reads a clock or a store: callers pass ``at`` and ``by``.

A record: {report_id, studio_id, tenant_id, unit_id, year, kind, state, draft, versions:
[{version, content, submitted_at, submitted_by, due_on, late_days, outcome, reasons}],
history: [{at, by, action, version, reasons?}]}.
"""
from __future__ import annotations

import copy
import datetime as _dt
from typing import Mapping, Sequence

from shared.errors import Conflict, ValidationFailed

from .deadlines import late_days
from .records import check_kind, check_year

from services.reporting.contract import ACCEPTED, DRAFT, RETURNED, STATES, SUBMITTED  # noqa: F401

EDITABLE = (DRAFT, RETURNED)
MAX_REASONS = 50


def report_id(studio_id: str, year: int, kind: str) -> str:
    """One record per studio, year and kind: its id says which."""
    return f"{studio_id}:{year}:{kind}"


def new_record(*, studio_id: str, tenant_id: str, unit_id: str, year: int, kind: str) -> dict:
    check_kind(kind)
    check_year(year)
    return {"report_id": report_id(studio_id, year, kind), "studio_id": studio_id, "tenant_id": tenant_id,
            "unit_id": unit_id, "year": year, "kind": kind, "state": DRAFT, "draft": None,
            "versions": [], "history": []}


def _stamp(at: _dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    return at.astimezone(_dt.timezone.utc).isoformat()


def _refuse(record: Mapping, action: str, allowed: Sequence[str]) -> None:
    if record["state"] not in allowed:
        raise Conflict(f"cannot {action} a {record['kind']} that is {record['state']} "
                       f"(only when {' or '.join(allowed)})", rule="R-11",
                       errors={"state": f"is {record['state']}"})


def save_draft(record: Mapping, content: dict, *, by: str, at: _dt.datetime) -> dict:
    """Store ``content`` (already validated) as the editable draft (R-11)."""
    _refuse(record, "edit", EDITABLE)
    out = copy.deepcopy(dict(record))
    out["draft"] = content
    out["history"].append({"at": _stamp(at), "by": by, "action": "draft_saved",
                           "version": len(out["versions"])})
    return out


def submit(record: Mapping, *, by: str, at: _dt.datetime, due_on: _dt.date | None) -> tuple[dict, dict]:
    """Freeze the draft as the next version; (record, ``report.submitted`` payload)."""
    _refuse(record, "submit", EDITABLE)
    if record.get("draft") is None:
        raise ValidationFailed("nothing to submit: save the draft first", rule="R-11",
                               errors={"draft": "is empty (R-11)"})
    out = copy.deepcopy(dict(record))
    number = len(out["versions"]) + 1
    late = late_days(at, due_on)
    out["versions"].append({"version": number, "content": out["draft"], "submitted_at": _stamp(at),
                            "submitted_by": by, "due_on": due_on.isoformat() if due_on else None,
                            "late_days": late, "outcome": None, "reasons": []})
    out["state"] = SUBMITTED
    out["history"].append({"at": _stamp(at), "by": by,
                           "action": "resubmitted" if number > 1 else "submitted", "version": number})
    event = {**_ids(out), "version": number, "submitted_at": _stamp(at),
             "due_on": due_on.isoformat() if due_on else None, "late_days": late}
    return out, event


def accept(record: Mapping, *, by: str, at: _dt.datetime) -> tuple[dict, dict]:
    """The tenant accepts the submitted version; (record, ``report.accepted`` payload)."""
    _refuse(record, "accept", (SUBMITTED,))
    out = copy.deepcopy(dict(record))
    version = out["versions"][-1]
    version["outcome"] = ACCEPTED
    out["state"] = ACCEPTED
    out["history"].append({"at": _stamp(at), "by": by, "action": "accepted", "version": version["version"]})
    return out, {**_ids(out), "version": version["version"], "accepted_at": _stamp(at)}


def return_for_changes(record: Mapping, reasons: Sequence[str], *, by: str,
                       at: _dt.datetime) -> tuple[dict, dict]:
    """The tenant returns the submitted version with reasons; (record, ``report.returned`` payload).

    The returned version's content becomes the draft again, so the unit edits from there.
    """
    _refuse(record, "return", (SUBMITTED,))
    clean = [r.strip() for r in reasons if isinstance(r, str) and r.strip()] if isinstance(reasons, list) else []
    if not clean:
        raise ValidationFailed("a return names at least one reason", rule="R-11",
                               errors={"reasons": "give at least one reason (R-11)"})
    if len(clean) > MAX_REASONS or any(len(r) > 2000 for r in clean):
        raise ValidationFailed("too many or too long reasons", rule="R-11",
                               errors={"reasons": f"at most {MAX_REASONS} reasons of 2,000 characters (R-11)"})
    out = copy.deepcopy(dict(record))
    version = out["versions"][-1]
    version["outcome"], version["reasons"] = RETURNED, clean
    out["state"] = RETURNED
    out["draft"] = copy.deepcopy(version["content"])
    out["history"].append({"at": _stamp(at), "by": by, "action": "returned", "version": version["version"],
                           "reasons": clean})
    return out, {**_ids(out), "version": version["version"], "reasons": clean, "returned_at": _stamp(at)}


def _ids(record: Mapping) -> dict:
    return {k: record[k] for k in ("report_id", "studio_id", "tenant_id", "unit_id", "year", "kind")}


def latest_submitted(record: Mapping | None) -> dict | None:
    """The newest submitted version (whatever its outcome), or None."""
    if not record or not record.get("versions"):
        return None
    return record["versions"][-1]


def first_submitted_at(record: Mapping | None) -> _dt.datetime | None:
    if not record or not record.get("versions"):
        return None
    return _dt.datetime.fromisoformat(record["versions"][0]["submitted_at"])


def version(record: Mapping, number: int) -> dict | None:
    for v in record.get("versions", ()):
        if v["version"] == number:
            return v
    return None

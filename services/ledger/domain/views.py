"""How the ledger shows its records (pure): entries and accounts as the API answers them,
amounts as 元 text, the reconciliation workbook's file payload."""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Mapping

from .journal import SHANGHAI, JournalEntry, as_entry
from .projection import state_from_projection


def yuan_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(SHANGHAI).isoformat(timespec="milliseconds") if t is not None else None


def render_entry(entry: "JournalEntry | Mapping", reversed_by: Mapping[str, str] | None = None) -> dict:
    e = as_entry(entry)
    out = e.to_json()
    for internal in ("schema", "request_hash", "idempotency_key"):
        out.pop(internal, None)
    out["amount_display"] = yuan_text(e.amount_fen)
    out["reversed_by"] = (reversed_by or {}).get(e.entry_id)
    return out


def render_account(doc: Mapping) -> dict:
    out = state_from_projection(doc).summary()
    names = doc.get("names") or {}
    updated = doc.get("updated_at")
    out.update({"id": doc["_id"], "studio_name": names.get("studio", ""), "unit_name": names.get("unit", ""),
                "updated_at": _iso(updated.replace(tzinfo=timezone.utc) if updated and updated.tzinfo is None
                                   else updated)})
    return out


def workbook_payload(report: Mapping, content: bytes) -> dict:
    scope = (report.get("scope") or {}).get("tenant_id")
    name = f"专门账目对账表-{report['year']}" + (f"-{scope}" if scope else "") + ".xlsx"
    return {"filename": name, "content_b64": base64.b64encode(content).decode("ascii")}

"""A tenant's yearly inspection of its studios (R-12) and the rectification items it sets.

An inspection (检查) records the date, the inspectors, what was checked (``CHECK_AREAS``:
activity, use of funds, rules, premises), the findings, a rating (``RATINGS``: good / fair /
poor) and rectification items (整改事项) with due dates. The unit of the studio (or the
tenant) closes an item with evidence; an item closed after its due date is marked late.

Who may do what (``principal`` has ``role``, ``tenant_id``, ``unit_id``, ``user``):

- record an inspection: the studio's tenant (and admin);
- see it: city roles all, a tenant its own, a unit those of its own studios;
- close an item: the studio's unit or its tenant.

Documents are plain dicts (what the repository stores and the schemas dump); dates are ISO
strings, ``recorded_at``/``closed_at`` aware datetimes.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Iterable, Mapping

from services.supervision.contract import CHECK_AREAS, RATINGS
from shared.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from shared.principal import ADMIN, TENANT, UNIT

from .deadlines import parse_date

CHECK_AREA_LABELS = {"activity": "活动开展", "funds": "资金使用", "rules": "制度建设", "premises": "场地设备"}
RATING_LABELS = {"good": "好", "fair": "一般", "poor": "差"}
OPEN, CLOSED = "open", "closed"
MAX_INSPECTORS, MAX_ITEMS = 20, 50

__all__ = ["CHECK_AREAS", "CHECK_AREA_LABELS", "CLOSED", "OPEN", "RATINGS", "RATING_LABELS",
           "close_item", "digest_rows", "may_close", "may_record", "may_see", "new_inspection",
           "open_items", "rectifications_due"]


def may_record(principal, tenant_id: str) -> bool:
    return principal.role == ADMIN or (principal.role == TENANT and principal.tenant_id == tenant_id)


def may_see(principal, inspection: Mapping) -> bool:
    if principal.is_city:
        return True
    if principal.tenant_id != inspection["tenant_id"]:
        return False
    return principal.role != UNIT or principal.unit_id == inspection.get("unit_id")


def may_close(principal, inspection: Mapping) -> bool:
    if principal.role == ADMIN:
        return True
    if principal.tenant_id != inspection["tenant_id"]:
        return False
    if principal.role == UNIT:
        return principal.unit_id == inspection.get("unit_id")
    return principal.role == TENANT


def new_inspection(data: Mapping[str, Any], studio: Mapping[str, Any], *, recorded_by: str,
                   now: datetime, today: date) -> dict:
    """The inspection document from validated input (see ``schemas.InspectionRequestSchema``)
    and the studio read-model row. Raises ValidationFailed / RuleViolation (R-12)."""
    errors: dict[str, str] = {}
    inspected_on = parse_date(data.get("inspected_on"), "inspected_on")
    if inspected_on > today:
        errors["inspected_on"] = "an inspection is recorded after it took place, not in the future"
    inspectors = [str(n).strip() for n in data.get("inspectors") or [] if str(n).strip()]
    if not inspectors:
        errors["inspectors"] = "name at least one inspector"
    elif len(set(inspectors)) != len(inspectors):
        errors["inspectors"] = "an inspector is named twice"
    elif len(inspectors) > MAX_INSPECTORS:
        errors["inspectors"] = f"at most {MAX_INSPECTORS} inspectors"
    checked = list(dict.fromkeys(data.get("checked") or []))
    unknown = [a for a in checked if a not in CHECK_AREAS]
    if unknown:
        errors["checked"] = f"unknown areas {unknown}; one of {', '.join(CHECK_AREAS)}"
    elif not checked:
        errors["checked"] = "say what was checked: " + ", ".join(CHECK_AREAS)
    rating = data.get("rating")
    if rating not in RATINGS:
        errors["rating"] = "one of " + ", ".join(RATINGS)
    raw_items = list(data.get("rectifications") or [])
    if len(raw_items) > MAX_ITEMS:
        errors["rectifications"] = f"at most {MAX_ITEMS} items"
    items = []
    for i, raw in enumerate(raw_items[:MAX_ITEMS]):
        description = str(raw.get("description") or "").strip()
        if not description:
            errors[f"rectifications.{i}.description"] = "say what is to be rectified"
        try:
            due_on = parse_date(raw.get("due_on"), f"rectifications.{i}.due_on")
        except ValidationFailed as exc:
            errors.update(exc.errors or {})
            continue
        if due_on < inspected_on:
            errors[f"rectifications.{i}.due_on"] = "due on or after the inspection"
        items.append({"item_id": str(i + 1), "description": description, "due_on": due_on.isoformat(),
                      "state": OPEN, "closed_on": None, "closed_late": None, "closed_by": None,
                      "evidence": None})
    if errors:
        raise ValidationFailed("the inspection is not complete", errors=errors)
    if rating == "poor" and not items:
        raise RuleViolation("a 'poor' rating sets at least one rectification item", rule="R-12",
                            errors={"rectifications": "required when the rating is poor"})
    return {
        "inspection_id": uuid.uuid4().hex,
        "tenant_id": studio["tenant_id"], "unit_id": studio.get("unit_id"),
        "studio_id": studio["studio_id"], "studio_name": studio.get("name", ""),
        "unit_name": studio.get("unit_name", ""),
        "year": inspected_on.year, "inspected_on": inspected_on.isoformat(),
        "inspectors": inspectors, "checked": checked,
        "findings": str(data.get("findings") or "").strip(), "rating": rating,
        "rectifications": items, "recorded_by": recorded_by, "recorded_at": now,
    }


def close_item(inspection: Mapping, item_id: str, evidence: Mapping[str, Any], *, principal,
               today: date) -> dict:
    """The item closed with its evidence (a note, optional references); returns the new item.
    NotFound for an unknown item or an inspection the principal may not see; Forbidden for one it
    sees but may not close; Conflict (409) if already closed."""
    if not may_see(principal, inspection):
        raise NotFound(f"inspection {inspection.get('inspection_id')} not found")
    if not may_close(principal, inspection):
        raise Forbidden("the studio's unit or its tenant closes a rectification item")
    item = next((it for it in inspection.get("rectifications") or [] if it["item_id"] == str(item_id)), None)
    if item is None:
        raise NotFound(f"rectification item {item_id} not found")
    if item["state"] == CLOSED:
        raise Conflict("this rectification item is already closed", rule="R-12")
    note = str(evidence.get("note") or "").strip()
    if not note:
        raise ValidationFailed("closing needs evidence", errors={"note": "describe what was done"})
    references = [str(r).strip() for r in evidence.get("references") or [] if str(r).strip()]
    return {**item, "state": CLOSED, "closed_on": today.isoformat(),
            "closed_late": today > date.fromisoformat(item["due_on"]),
            "closed_by": principal.user, "evidence": {"note": note, "references": references}}


def open_items(inspection: Mapping) -> list[dict]:
    return [it for it in inspection.get("rectifications") or [] if it["state"] == OPEN]


def rectifications_due(inspections: Iterable[Mapping], today: date, *, days_before: int = 3) -> list[tuple[dict, dict]]:
    """(inspection, item) pairs open and due within ``days_before`` days or overdue."""
    out = []
    for ins in inspections:
        for it in open_items(ins):
            if (date.fromisoformat(it["due_on"]) - today).days <= days_before:
                out.append((ins, it))
    return out


def digest_rows(inspections: Iterable[Mapping], year: int, studios: Iterable[Mapping]) -> list[dict]:
    """One row a studio (``inspection_digest``): the studio's latest inspection of
    ``year`` (``rating`` good/fair/poor, null if none) and its items still open from that year."""
    latest: dict[str, Mapping] = {}
    open_count: dict[str, int] = {}
    for ins in inspections:
        if ins["year"] != year:
            continue
        sid = ins["studio_id"]
        if sid not in latest or ins["inspected_on"] > latest[sid]["inspected_on"]:
            latest[sid] = ins
        open_count[sid] = open_count.get(sid, 0) + len(open_items(ins))
    rows = []
    for st in studios:
        sid = st["studio_id"]
        ins = latest.get(sid)
        rows.append({"studio_id": sid, "tenant_id": st["tenant_id"], "year": year,
                     "inspected": ins is not None,
                     "inspected_on": ins["inspected_on"] if ins else None,
                     "rating": ins["rating"] if ins else None,
                     "open_rectifications": open_count.get(sid, 0)})
    return rows

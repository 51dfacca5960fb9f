"""The annual work summary (年度工作总结) a tenant submits to the city (R-12), built from R-11's
reports, the tenant's inspections and the studios' dedicated accounts.

Inputs of ``build`` (each may be ``None`` when its source did not answer — the draft then
shows that part as unavailable, with the reason, and everything else):

- ``studios``: the studio read model rows of the tenant ``{studio_id, name, tenant_id, unit_id,
  unit_name, state ("active" | "revoked"), designated_on, revoked_on}``; a studio counts for a
  year when it was designated by the year's end and not revoked before the year began;
- ``reports``: reporting's ``report_digest`` items for those studios;
- ``inspections``: ``inspections.digest_rows`` for those studios;
- ``funds``: the ledger's reconciliation studio rows of the year (``received``, ``spent``,
  ``cumulative``) — money in integer fen, the matching ratio recomputed from the sums.

A summary document, one per tenant and year (``summary_id`` = ``"{tenant_id}:{year}"``)::

    {summary_id, tenant_id, tenant_name, year, state: "draft" | "submitted", version,
     revision (optimistic concurrency), due_on, narrative: {overview, highlights, problems, plans},
     figures, studios: [row], built_at, sources: {reports, funds: "ok" | reason},
     submitted_at, submitted_by, late_days, timeliness ("on_time" | "late" | None),
     first_submission: {submitted_at, late_days, timeliness} | None,
     versions: [snapshot of each submitted version], history: [{at, by, action, version, reason?}],
     submit_keys: {idempotency key: version}}

Rules: the tenant (or admin) builds, edits and submits its own; only a draft is edited or
submitted (409 otherwise); submitting after ``due_on`` is accepted and marked late by days in
Beijing time; only the city reopens a submitted summary, with a reason kept in ``history``,
and each submitted version stays readable in ``versions``. On-time tracking follows the
*first* submission: a summary the city reopened keeps the timeliness it first earned.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Mapping

from services.supervision.contract import NARRATIVE_SECTIONS, REPORT_KINDS
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.principal import ADMIN, CITY_BUREAU, CITY_CENTER, TENANT

from .deadlines import days_late, timeliness

DRAFT, SUBMITTED = "draft", "submitted"
NARRATIVE_LABELS = {"overview": "总体情况", "highlights": "工作亮点", "problems": "存在问题", "plans": "下一步计划"}
MAX_SECTION_CHARS = 20_000
REPORT_STATES = ("draft", "submitted", "accepted", "returned", "missing")
OUTPUTS = ("rd_projects", "problems_solved", "patents", "innovations", "apprentices", "promotions",
           "events", "cooperations", "competitions_judged", "trainings_given", "public_services")
OUTPUT_LABELS = {"rd_projects": "技术研发项目", "problems_solved": "解决技术难题", "patents": "专利",
                 "innovations": "技术革新", "apprentices": "培养徒弟", "promotions": "技能晋级",
                 "events": "交流活动", "cooperations": "合作项目", "competitions_judged": "竞赛评判",
                 "trainings_given": "开展培训", "public_services": "公益服务"}
REOPENERS = (CITY_CENTER, CITY_BUREAU, ADMIN)

__all__ = ["DRAFT", "NARRATIVE_LABELS", "NARRATIVE_SECTIONS", "OUTPUTS", "OUTPUT_LABELS",
           "REOPENERS", "REPORT_KINDS", "SUBMITTED", "build", "counts_for_year", "edit_narrative",
           "may_edit", "new_summary", "refresh", "reopen", "submit", "summary_id", "version_view"]


def summary_id(tenant_id: str, year: int) -> str:
    return f"{tenant_id}:{year}"


def may_edit(principal, tenant_id: str) -> bool:
    return principal.role == ADMIN or (principal.role == TENANT and principal.tenant_id == tenant_id)


def counts_for_year(studio: Mapping, year: int) -> bool:
    designated = studio.get("designated_on")
    revoked = studio.get("revoked_on")
    if designated and int(str(designated)[:4]) > year:
        return False
    return not (revoked and int(str(revoked)[:4]) < year)


def _ratio_bp(matching: int, city: int) -> int | None:
    return None if city <= 0 else matching * 10_000 // city


def _format_bp(bp: int | None) -> str | None:
    return None if bp is None else f"{bp // 100}.{bp % 100:02d}%"


def build(year: int, studios: Iterable[Mapping], reports: Iterable[Mapping] | None,
          inspections: Iterable[Mapping], funds: Iterable[Mapping] | None,
          unavailable: Mapping[str, str] | None = None) -> tuple[dict, list[dict]]:
    """(figures, studio rows) of a tenant's year. ``unavailable`` names why a source is missing."""
    unavailable = dict(unavailable or {})
    studios = [s for s in studios if counts_for_year(s, year)]
    by_report = {r["studio_id"]: r for r in reports or []} if reports is not None else None
    by_insp = {r["studio_id"]: r for r in inspections}
    by_fund = {r["studio_id"]: r for r in funds or []} if funds is not None else None

    report_counts = {k: dict.fromkeys(REPORT_STATES, 0) for k in REPORT_KINDS}
    late_counts = {k: {"on_time": 0, "late": 0} for k in ("plan", "results")}
    outputs = dict.fromkeys(OUTPUTS, 0)
    targets = {"total": 0, "met": 0}
    benefit = 0
    insp = {"inspected": 0, "not_inspected": 0, "ratings": {"good": 0, "fair": 0, "poor": 0},
            "open_rectifications": 0}
    money = {"city_received_fen": 0, "matching_received_fen": 0, "spent_fen": 0,
             "cumulative_city_fen": 0, "cumulative_matching_fen": 0}
    states = {"active": 0, "revoked": 0}
    rows = []
    for st in sorted(studios, key=lambda s: (s.get("unit_name") or "", s.get("name") or "", s["studio_id"])):
        sid = st["studio_id"]
        state = st.get("status") or st.get("state") or "active"
        states[state] = states.get(state, 0) + 1
        row: dict[str, Any] = {"studio_id": sid, "name": st.get("name", ""), "unit_id": st.get("unit_id"),
                               "unit_name": st.get("unit_name", ""), "state": state}
        if by_report is not None:
            rep = by_report.get(sid) or {}
            for kind in REPORT_KINDS:
                item = rep.get(kind) or {}
                s = item.get("state") or "missing"
                report_counts[kind][s if s in REPORT_STATES else "missing"] += 1
                row[kind] = s
                if kind != "agreement" and item.get("timeliness") in ("on_time", "late"):
                    late_counts[kind][item["timeliness"]] += 1
                if kind != "agreement":
                    row[f"{kind}_timeliness"] = item.get("timeliness")
            out = rep.get("outputs") or {}
            for k in OUTPUTS:
                outputs[k] += int(out.get(k) or 0)
            row["outputs"] = {k: int(out.get(k) or 0) for k in OUTPUTS}
            targets["total"] += int(rep.get("targets_total") or 0)
            targets["met"] += int(rep.get("targets_met") or 0)
            benefit += int(rep.get("economic_benefit_fen") or 0)
        ins = by_insp.get(sid) or {}
        row["inspected"] = bool(ins.get("inspected"))
        row["inspected_on"] = ins.get("inspected_on")
        row["rating"] = ins.get("rating")
        row["open_rectifications"] = int(ins.get("open_rectifications") or 0)
        insp["inspected" if row["inspected"] else "not_inspected"] += 1
        if row["rating"] in insp["ratings"]:
            insp["ratings"][row["rating"]] += 1
        insp["open_rectifications"] += row["open_rectifications"]
        if by_fund is not None:
            f = by_fund.get(sid) or {}
            received, cumulative = f.get("received") or {}, f.get("cumulative") or {}
            fr = {"city_received_fen": int(received.get("city_fen") or 0),
                  "matching_received_fen": int(received.get("matching_fen") or 0),
                  "spent_fen": int((f.get("spent") or {}).get("total_fen") or 0),
                  "cumulative_city_fen": int(cumulative.get("city_fen") or 0),
                  "cumulative_matching_fen": int(cumulative.get("matching_fen") or 0)}
            for k, v in fr.items():
                money[k] += v
            bp = _ratio_bp(fr["cumulative_matching_fen"], fr["cumulative_city_fen"])
            row["funds"] = {**fr, "matching_ratio_bp": bp, "matching_ratio": _format_bp(bp)}
        rows.append(row)

    figures: dict[str, Any] = {
        "year": year,
        "studios": {"total": len(rows), **states},
        "inspections": insp,
    }
    if by_report is not None:
        figures["reports"] = {**report_counts, "timeliness": late_counts}
        figures["outputs"] = outputs
        figures["targets"] = targets
        figures["economic_benefit_fen"] = benefit
    else:
        figures["reports"] = {"available": False, "reason": unavailable.get("reports", "not available")}
    if by_fund is not None:
        bp = _ratio_bp(money["cumulative_matching_fen"], money["cumulative_city_fen"])
        figures["funds"] = {**money, "matching_ratio_bp": bp, "matching_ratio": _format_bp(bp)}
    else:
        figures["funds"] = {"available": False, "reason": unavailable.get("funds", "not available")}
    return figures, rows


def new_summary(tenant_id: str, tenant_name: str, year: int, due_on: date, figures: dict, rows: list,
                *, by: str, now: datetime, sources: Mapping[str, str]) -> dict:
    return {"summary_id": summary_id(tenant_id, year), "tenant_id": tenant_id, "tenant_name": tenant_name,
            "year": year, "state": DRAFT, "version": 1, "revision": 1, "due_on": due_on.isoformat(),
            "narrative": dict.fromkeys(NARRATIVE_SECTIONS, ""), "figures": figures, "studios": rows,
            "built_at": now, "sources": dict(sources), "submitted_at": None, "submitted_by": None,
            "late_days": None, "timeliness": None, "first_submission": None, "versions": [],
            "history": [{"at": now, "by": by, "action": "built", "version": 1}], "submit_keys": {}}


def _require_draft(summary: Mapping, doing: str) -> None:
    if summary["state"] != DRAFT:
        raise Conflict(f"a submitted summary cannot be {doing}: the city reopens it first", rule="R-12")


def refresh(summary: Mapping, figures: dict, rows: list, *, by: str, now: datetime,
            sources: Mapping[str, str], due_on: date) -> dict:
    """The draft rebuilt from today's data; the narrative is kept."""
    _require_draft(summary, "rebuilt")
    return {**summary, "figures": figures, "studios": rows, "built_at": now, "sources": dict(sources),
            "due_on": due_on.isoformat(), "revision": summary["revision"] + 1,
            "history": [*summary["history"], {"at": now, "by": by, "action": "rebuilt", "version": summary["version"]}]}


def edit_narrative(summary: Mapping, narrative: Mapping[str, Any], *, by: str, now: datetime) -> dict:
    _require_draft(summary, "edited")
    unknown = [k for k in narrative if k not in NARRATIVE_SECTIONS]
    if unknown:
        raise ValidationFailed("unknown narrative sections", errors={f"narrative.{k}": "unknown section" for k in unknown})
    too_long = {f"narrative.{k}": f"at most {MAX_SECTION_CHARS} characters"
                for k, v in narrative.items() if len(str(v or "")) > MAX_SECTION_CHARS}
    if too_long:
        raise ValidationFailed("a narrative section is too long", errors=too_long)
    merged = {**summary["narrative"], **{k: str(v or "") for k, v in narrative.items()}}
    return {**summary, "narrative": merged, "revision": summary["revision"] + 1,
            "history": [*summary["history"], {"at": now, "by": by, "action": "edited", "version": summary["version"]}]}


def submit(summary: Mapping, *, by: str, now: datetime, idempotency_key: str | None = None) -> tuple[dict, bool]:
    """(summary, submitted_now). The same Idempotency-Key again answers the summary unchanged
    (``submitted_now`` False). A submission after ``due_on`` is accepted and marked late (R-12)."""
    if idempotency_key and idempotency_key in summary.get("submit_keys", {}):
        return dict(summary), False
    _require_draft(summary, "submitted again")
    due_on = date.fromisoformat(summary["due_on"])
    late, when = days_late(now, due_on), timeliness(now, due_on)
    first = summary.get("first_submission") or {"submitted_at": now, "late_days": late, "timeliness": when}
    snapshot = {"version": summary["version"], "submitted_at": now, "submitted_by": by, "due_on": summary["due_on"],
                "late_days": late, "timeliness": when, "narrative": summary["narrative"],
                "figures": summary["figures"], "studios": summary["studios"], "built_at": summary["built_at"]}
    keys = dict(summary.get("submit_keys") or {})
    if idempotency_key:
        keys[idempotency_key] = summary["version"]
    return {**summary, "state": SUBMITTED, "submitted_at": now, "submitted_by": by, "late_days": late,
            "timeliness": when, "first_submission": first, "revision": summary["revision"] + 1,
            "versions": [*summary["versions"], snapshot], "submit_keys": keys,
            "history": [*summary["history"], {"at": now, "by": by, "action": "submitted",
                                              "version": summary["version"], "late_days": late}]}, True


def reopen(summary: Mapping, reason: str, *, principal, now: datetime) -> dict:
    """The city reopens a submitted summary for a new version; the reason stays in history."""
    if principal.role not in REOPENERS:
        raise Forbidden("only the city reopens a submitted summary (R-12)")
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed("say why the summary is reopened", errors={"reason": "required"})
    if summary["state"] != SUBMITTED:
        raise Conflict("only a submitted summary can be reopened", rule="R-12")
    version = summary["version"] + 1
    return {**summary, "state": DRAFT, "version": version, "revision": summary["revision"] + 1,
            "submitted_at": None, "submitted_by": None, "late_days": None, "timeliness": None,
            "history": [*summary["history"], {"at": now, "by": principal.user, "action": "reopened",
                                              "version": version, "reason": reason}]}


def version_view(summary: Mapping, version: int) -> dict:
    """A submitted version as it was submitted (the first stays readable after a reopen)."""
    for snap in summary.get("versions") or []:
        if snap["version"] == version:
            return {"summary_id": summary["summary_id"], "tenant_id": summary["tenant_id"],
                    "tenant_name": summary["tenant_name"], "year": summary["year"],
                    "state": SUBMITTED, **snap}
    raise NotFound(f"version {version} of this summary was never submitted")

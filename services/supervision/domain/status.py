"""The city's status view of the annual summaries (R-12): one row per tenant and year.

``status``:

- ``on_time`` / ``late``: submitted; judged by the *first* submission's Beijing date against the
  due date (a summary the city reopened keeps it; ``state`` then says ``draft`` and ``reopened``
  is true);
- ``missing``: not submitted and the due date has passed (``days_late`` counts the days so far);
- ``draft``: not submitted, not yet due, a draft exists;
- ``not_started``: not submitted, not yet due, no draft.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Mapping

from services.supervision.contract import SUMMARY_STATUSES
from shared.calendar import to_shanghai_date

STATUSES = SUMMARY_STATUSES
STATUS_LABELS = {"on_time": "按时提交", "late": "逾期提交", "missing": "未提交（已逾期）",
                 "draft": "草稿", "not_started": "未开始"}

__all__ = ["STATUSES", "STATUS_LABELS", "status_rows", "totals"]


def _row(tenant: Mapping, year: int, due_on: date, summary: Mapping | None, today: date) -> dict:
    row = {"tenant_id": tenant["tenant_id"], "tenant_name": tenant.get("name") or tenant.get("tenant_name") or "",
           "year": year, "due_on": due_on.isoformat(), "state": None, "version": None,
           "submitted_on": None, "days_late": 0, "reopened": False, "summary_id": None}
    if summary is not None:
        row.update(state=summary["state"], version=summary["version"], summary_id=summary["summary_id"],
                   due_on=summary["due_on"])
        due_on = date.fromisoformat(summary["due_on"])
    first = (summary or {}).get("first_submission")
    if first:
        row.update(status=first["timeliness"], submitted_on=to_shanghai_date(first["submitted_at"]).isoformat(),
                   days_late=first["late_days"], reopened=summary["version"] > 1)
    elif today > due_on:
        row.update(status="missing", days_late=(today - due_on).days)
    else:
        row["status"] = "draft" if summary is not None else "not_started"
    return row


def status_rows(tenants: Iterable[Mapping], year: int, due_on: date,
                summaries: Mapping[str, Mapping], today: date) -> list[dict]:
    """Every tenant's row, by tenant id; ``summaries`` maps tenant_id → that year's summary."""
    return [_row(t, year, due_on, summaries.get(t["tenant_id"]), today)
            for t in sorted(tenants, key=lambda t: t["tenant_id"])]


def totals(rows: Iterable[Mapping]) -> dict:
    out = dict.fromkeys(STATUSES, 0)
    for r in rows:
        out[r["status"]] += 1
    return out

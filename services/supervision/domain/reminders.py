"""Which reminders are due today (R-12 summaries, R-11 units' reports).

Given today's Beijing date, the due dates and what has been submitted, the functions here
list the reminders to send. Each reminder has a ``key`` unique per tenant (or studio), year
and kind; the repository stores it under a unique index before the event goes out, so a
reminder is sent once however often the timer ticks and however many replicas run.

Windows (``days_left`` = due date − today):

- ``due_soon`` 7: 2 ≤ days_left ≤ 7 (sent on the 7th day before; caught up while the window lasts)
- ``due_soon`` 1: 0 ≤ days_left ≤ 1 (the day before; on the due day if the day before was missed)
- ``overdue``:   −OVERDUE_WINDOW_DAYS ≤ days_left ≤ −1 (the day after; never for years long past)

Nothing is sent for what was submitted (a summary in state ``submitted`` or reopened after its
first submission; a report ``submitted`` or ``accepted``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

SUMMARY_DUE_SOON, SUMMARY_OVERDUE = "summary.due_soon", "summary.overdue"
REPORT_DUE_SOON, REPORT_OVERDUE = "report.due_soon", "report.overdue"
REMINDER_TYPES = (SUMMARY_DUE_SOON, SUMMARY_OVERDUE, REPORT_DUE_SOON, REPORT_OVERDUE)
DUE_SOON_DAYS = (7, 1)
OVERDUE_WINDOW_DAYS = 30
REMINDED_REPORT_KINDS = ("plan", "results")
DONE_REPORT_STATES = ("submitted", "accepted")

__all__ = ["DUE_SOON_DAYS", "OVERDUE_WINDOW_DAYS", "REMINDER_TYPES", "REPORT_DUE_SOON",
           "REPORT_OVERDUE", "SUMMARY_DUE_SOON", "SUMMARY_OVERDUE", "Reminder", "report_reminders",
           "summary_reminders", "which"]


@dataclass(frozen=True)
class Reminder:
    key: str                      # unique: sent once
    event_type: str               # one of REMINDER_TYPES
    tenant_id: str
    data: dict = field(default_factory=dict)   # the event payload


def which(days_left: int) -> str | None:
    """``"due_soon:7"``, ``"due_soon:1"``, ``"overdue"`` or None for ``days_left``."""
    if 2 <= days_left <= DUE_SOON_DAYS[0]:
        return f"due_soon:{DUE_SOON_DAYS[0]}"
    if 0 <= days_left <= DUE_SOON_DAYS[1]:
        return f"due_soon:{DUE_SOON_DAYS[1]}"
    if -OVERDUE_WINDOW_DAYS <= days_left <= -1:
        return "overdue"
    return None


def summary_reminders(today: date, year: int, due_on: date, tenant_ids: Iterable[str],
                      submitted: Iterable[str]) -> list[Reminder]:
    """For each tenant that has not submitted its ``year`` summary."""
    slot = which((due_on - today).days)
    if slot is None:
        return []
    done = set(submitted)
    out = []
    for tenant_id in sorted(set(tenant_ids) - done):
        if slot == "overdue":
            out.append(Reminder(f"{SUMMARY_OVERDUE}:{tenant_id}:{year}", SUMMARY_OVERDUE, tenant_id,
                                {"tenant_id": tenant_id, "year": year, "due_on": due_on.isoformat()}))
        else:
            out.append(Reminder(f"{SUMMARY_DUE_SOON}:{slot.split(':')[1]}:{tenant_id}:{year}", SUMMARY_DUE_SOON,
                                tenant_id, {"tenant_id": tenant_id, "year": year, "due_on": due_on.isoformat(),
                                            "days_left": (due_on - today).days}))
    return out


def report_reminders(today: date, digest: Iterable[Mapping]) -> list[Reminder]:
    """For each studio's plan and results (reporting's ``report_digest`` items) not yet in."""
    out = []
    for item in digest:
        for kind in REMINDED_REPORT_KINDS:
            report = item.get(kind) or {}
            if report.get("state") in DONE_REPORT_STATES or not report.get("due_on"):
                continue
            due_on = date.fromisoformat(report["due_on"])
            slot = which((due_on - today).days)
            if slot is None:
                continue
            data = {"studio_id": item["studio_id"], "tenant_id": item["tenant_id"], "unit_id": item.get("unit_id"),
                    "year": item["year"], "kind": kind, "due_on": due_on.isoformat()}
            if slot == "overdue":
                key, type_ = f"{REPORT_OVERDUE}:{item['studio_id']}:{item['year']}:{kind}", REPORT_OVERDUE
            else:
                key, type_ = f"{REPORT_DUE_SOON}:{slot.split(':')[1]}:{item['studio_id']}:{item['year']}:{kind}", REPORT_DUE_SOON
                data["days_left"] = (due_on - today).days
            out.append(Reminder(key, type_, item["tenant_id"], data))
    return out

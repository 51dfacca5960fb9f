"""Due dates and timeliness of the yearly reports (R-11).

Defaults: the plan by March 31, the results by December 1 of the year; the city may set
other days per year (``DueDates.for_year(year, overrides)``). The agreement has no due date.

Timeliness of one studio's plan or results, as of ``today`` (a day in Asia/Shanghai):

* ``on_time``  first submitted on or before the due day (a resubmission after a return
  does not make it late);
* ``late``     first submitted after it (``late_days`` says by how many days);
* ``missing``  not submitted and the due day has passed;
* ``not_due``  not submitted and not yet due, or not owed at all: a studio owes a report
  only when it was designated on or before the due day and not revoked on or before it
  (a revoked studio owes nothing after its revocation date).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Mapping
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
from services.reporting.contract import LATE, MISSING, NOT_DUE, ON_TIME  # noqa: F401, E402
DEFAULT_DAYS = {"plan": (3, 31), "results": (12, 1)}


def local_day(at: _dt.datetime) -> _dt.date:
    if at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    return at.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class DueDates:
    plan: _dt.date
    results: _dt.date

    @classmethod
    def for_year(cls, year: int, overrides: Mapping[str, str] | None = None,
                 defaults: Mapping[str, tuple[int, int]] = DEFAULT_DAYS) -> "DueDates":
        """The year's due days: ``overrides`` ({"plan": "YYYY-MM-DD", …}) set by the city win."""
        days = {}
        for kind, (month, day) in defaults.items():
            given = (overrides or {}).get(kind)
            days[kind] = _dt.date.fromisoformat(given) if given else _dt.date(year, month, day)
        return cls(**days)

    def of(self, kind: str) -> _dt.date | None:
        return getattr(self, kind, None) if kind in DEFAULT_DAYS else None

    def as_dict(self) -> dict:
        return {"plan": self.plan.isoformat(), "results": self.results.isoformat()}


def late_days(at: _dt.datetime, due_on: _dt.date | None) -> int:
    """Whole days after the due day (Shanghai calendar) a submission at ``at`` came; 0 if on time."""
    if due_on is None:
        return 0
    return max(0, (local_day(at) - due_on).days)


def owes(due_on: _dt.date | None, *, designated_on: _dt.date | None, revoked_on: _dt.date | None) -> bool:
    """Whether a studio owes the report due on ``due_on``."""
    if due_on is None:
        return False
    if designated_on is not None and designated_on > due_on:
        return False
    return revoked_on is None or revoked_on > due_on


def timeliness(*, due_on: _dt.date | None, first_submitted_at: _dt.datetime | None, today: _dt.date,
               designated_on: _dt.date | None = None, revoked_on: _dt.date | None = None) -> str:
    if first_submitted_at is not None:
        return LATE if late_days(first_submitted_at, due_on) > 0 else ON_TIME
    if not owes(due_on, designated_on=designated_on, revoked_on=revoked_on):
        return NOT_DUE
    return MISSING if today > due_on else NOT_DUE

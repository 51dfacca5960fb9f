"""Who is due in a round (R-14, 第二十七条, R-18).

    due_list(studios, records, as_of, busy=()) -> list[DueStudio]   (due ones, sorted)
    not_due_list(...)                                                 (the rest, with why not)

* R-14 ``two_years``: a full two years (每满两年) since designation, or since the studio's
  last assessment (the day its round was published): the anniversary two years on has come
  (``add_years``; 29 February's anniversary in a common year is 1 March: the two years are
  only full then).
* 第二十七条 ``transitional``: a studio designated before the 2023 measures (2023-03-17) that
  has not been assessed under them is due in a transitional batch (all by the end of 2024;
  ``overdue`` says when that is past).
* R-18 ``re_assessment``: a studio that failed and is in rectification is due for
  re-assessment once its rectification is due (its due date has come).

Revoked studios and studios already in an open round (``busy``) are never due.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping

MEASURES_IN_FORCE = dt.date(2023, 3, 17)      # 京人社能发〔2023〕3号
TRANSITIONAL_DEADLINE = dt.date(2024, 12, 31)  # 第二十七条: batches, all by the end of 2024

TWO_YEARS, TRANSITIONAL, RE_ASSESSMENT, ADDED = "two_years", "transitional", "re_assessment", "added"
REASONS = {
    TWO_YEARS: "R-14 满两年（自认定或上次考核起）",
    TRANSITIONAL: "第二十七条 新办法施行前认定，分批考核",
    RE_ASSESSMENT: "R-18 考核不合格，整改期满待复评",
    ADDED: "市就业促进中心增列",
}


def add_years(day: dt.date, years: int) -> dt.date:
    """The anniversary ``years`` on; 29 February → 1 March in a common year (the years are full then)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class StudioFacts:
    """What the round needs of a studio (from the read model of registry's events)."""
    studio_id: str
    tenant_id: str
    unit_id: str
    designated_on: dt.date
    name: str = ""
    unit_name: str = ""
    tenant_name: str = ""
    revoked: bool = False


@dataclass(frozen=True)
class AssessmentRecord:
    """The studio's assessment history as far as due-ness goes (kept by this service)."""
    last_assessed_on: dt.date | None = None       # published date of its last pass/excellent
    rectification_due_on: dt.date | None = None   # set while in rectification after a fail


@dataclass(frozen=True)
class DueStudio:
    studio_id: str
    reason: str                 # TWO_YEARS | TRANSITIONAL | RE_ASSESSMENT (| ADDED for additions)
    since: dt.date | None       # the date the reason counts from
    due_on: dt.date | None      # when it became due
    overdue: bool = False
    detail: str = ""

    def to_dict(self) -> dict:
        return {"studio_id": self.studio_id, "reason": self.reason, "reason_name": REASONS[self.reason],
                "since": self.since.isoformat() if self.since else None,
                "due_on": self.due_on.isoformat() if self.due_on else None,
                "overdue": self.overdue, "detail": self.detail}


def why_due(studio: StudioFacts, record: AssessmentRecord | None, as_of: dt.date) -> tuple[DueStudio | None, str]:
    """(the studio's due entry, or None and why it is not due)."""
    record = record or AssessmentRecord()
    sid = studio.studio_id
    if studio.revoked:
        return None, "revoked"
    if record.rectification_due_on is not None:
        if record.rectification_due_on <= as_of:
            return DueStudio(sid, RE_ASSESSMENT, record.rectification_due_on, record.rectification_due_on,
                             detail=f"整改期限 {record.rectification_due_on.isoformat()}"), ""
        return None, f"in rectification until {record.rectification_due_on.isoformat()}"
    if record.last_assessed_on is None and studio.designated_on < MEASURES_IN_FORCE:
        return DueStudio(sid, TRANSITIONAL, studio.designated_on, MEASURES_IN_FORCE,
                         overdue=as_of > TRANSITIONAL_DEADLINE,
                         detail=f"应于 {TRANSITIONAL_DEADLINE.isoformat()} 前完成"), ""
    since = record.last_assessed_on or studio.designated_on
    due_on = add_years(since, 2)
    if due_on <= as_of:
        return DueStudio(sid, TWO_YEARS, since, due_on, overdue=add_years(since, 3) <= as_of), ""
    return None, f"two full years on {due_on.isoformat()}"


def _judged(studios: Iterable[StudioFacts], records: Mapping[str, AssessmentRecord], as_of: dt.date,
            busy: Iterable[str]):
    """(studio id, due entry or None, why not) for each studio."""
    busy = set(busy)
    for s in studios:
        if s.studio_id in busy:
            yield s.studio_id, None, "in another open round"
        else:
            yield (s.studio_id, *why_due(s, records.get(s.studio_id), as_of))


def due_list(studios: Iterable[StudioFacts], records: Mapping[str, AssessmentRecord], as_of: dt.date,
             busy: Iterable[str] = ()) -> list[DueStudio]:
    """The studios due on ``as_of``, sorted by the date they became due, then studio id."""
    out = [entry for _, entry, _ in _judged(studios, records, as_of, busy) if entry is not None]
    return sorted(out, key=lambda d: (d.due_on or dt.date.min, d.studio_id))


def not_due_list(studios: Iterable[StudioFacts], records: Mapping[str, AssessmentRecord], as_of: dt.date,
                 busy: Iterable[str] = ()) -> list[dict]:
    """The studios not due, each with why (the city may still add one, with a reason)."""
    out = [{"studio_id": sid, "why_not": why} for sid, entry, why in _judged(studios, records, as_of, busy)
           if entry is None]
    return sorted(out, key=lambda d: d["studio_id"])

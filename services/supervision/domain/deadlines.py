"""Due dates and lateness, in Beijing time (R-12, R-11).

The annual summary (年度工作总结) of a year is due on ``DEFAULT_SUMMARY_DUE`` of that year
(12-15) unless the city set another day for the year. A submission is judged by its date in
Asia/Shanghai: on the due date or before it is on time, after it late by whole calendar days
(submitted 12-16 → one day late). Late submissions are accepted (R-12).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Mapping

from shared.calendar import SHANGHAI, to_shanghai_date
from shared.errors import ValidationFailed

DEFAULT_SUMMARY_DUE = (12, 15)          # month, day: "before mid-December"
ON_TIME, LATE = "on_time", "late"

__all__ = ["DEFAULT_SUMMARY_DUE", "LATE", "ON_TIME", "SHANGHAI", "days_late", "parse_date",
           "parse_year", "summary_due_on", "timeliness"]


def parse_year(value) -> int:
    """A year of record as an int (2000 … 2100); anything else is a 422 on ``year``."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("year must be a whole number like 2026", errors={"year": "not a year"})
    if not 2000 <= year <= 2100:
        raise ValidationFailed("year out of range", errors={"year": "between 2000 and 2100"})
    return year


def parse_date(value, field: str) -> date:
    """An ISO date (``YYYY-MM-DD``) or a ``date``; a 422 naming ``field`` otherwise."""
    if isinstance(value, datetime):
        return to_shanghai_date(value)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be a date like 2026-12-15", errors={field: "not an ISO date"})


def summary_due_on(year: int, overrides: Mapping[str, str] | None = None) -> date:
    """The summary's due date for ``year``: the city's setting for that year, else 12-15."""
    value = (overrides or {}).get(str(year))
    if value:
        due = parse_date(value, "due_on")
        if due.year != year:
            raise ValidationFailed("a summary's due date lies in its own year", rule="R-12",
                                   errors={"due_on": f"must be in {year}"})
        return due
    return date(year, *DEFAULT_SUMMARY_DUE)


def days_late(moment: datetime | date, due_on: date) -> int:
    """Whole days after ``due_on`` of ``moment``'s Beijing date (0 when on or before it)."""
    return max(0, (to_shanghai_date(moment) - due_on).days)


def timeliness(moment: datetime | date, due_on: date) -> str:
    return LATE if days_late(moment, due_on) else ON_TIME

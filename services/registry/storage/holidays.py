"""The statutory working-day calendar as the city maintains it (R-9, DOMAIN.md "Calendar facts").

Years the city enters (from the State Council's yearly notice) are stored in the registry
and take precedence over the chinese_calendar package; a year known to neither is an
error that says so (shared/calendar.py).
"""
from __future__ import annotations

import datetime as _dt
from datetime import datetime, timezone

import chinese_calendar

from services.registry.storage import CALENDAR
from shared.calendar import UnknownCalendarYear, WorkingDayCalendar, YearHolidays
from shared.errors import RuleViolation, ValidationFailed
from shared.principal import ADMIN, CITY_CENTER
from shared.storage import Store

MIN_YEAR, MAX_YEAR = 2004, 2100


def _check_year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed("not a year", errors={"year": f"a year from {MIN_YEAR} to {MAX_YEAR}"})
    return year


def working_calendar(store: Store) -> WorkingDayCalendar:
    overrides = [YearHolidays(doc["_id"], {_dt.date.fromisoformat(d) for d in doc["holidays"]},
                              {_dt.date.fromisoformat(d) for d in doc["workdays"]})
                 for doc in store.internal(CALENDAR).find({})]
    return WorkingDayCalendar(overrides)


def notice_end(calendar: WorkingDayCalendar, start: _dt.date, days: int, field: str = "start_on") -> _dt.date:
    """The last day of an R-9 notice; a year the calendar does not know is a 422 that says so."""
    try:
        return calendar.notice_end(start, days)
    except UnknownCalendarYear as exc:
        raise RuleViolation(str(exc), rule="R-9", errors={field: str(exc)}, year=exc.year)


def put_year(store: Store, year, data: dict) -> dict:
    principal = store.principal.require_role(ADMIN, CITY_CENTER)
    year = _check_year(year)
    entered = YearHolidays(year, {_dt.date.fromisoformat(d) for d in data["holidays"]},
                           {_dt.date.fromisoformat(d) for d in data["workdays"]})
    try:
        entered.validate()
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors={"holidays": str(exc)})
    for d in entered.workdays:
        if d.weekday() < 5:
            raise ValidationFailed("a make-up workday is a weekend day that is worked",
                                   errors={"workdays": f"{d.isoformat()} is a weekday already"})
    doc = {"_id": year, "holidays": sorted(d.isoformat() for d in entered.holidays),
           "workdays": sorted(d.isoformat() for d in entered.workdays), "source": data.get("source", ""),
           "updated_by": principal.user, "updated_at": datetime.now(timezone.utc)}
    store.internal(CALENDAR).replace_one({"_id": year}, doc, upsert=True)
    return get_year(store, year)


def get_year(store: Store, year) -> dict:
    """A year as PUT takes it: ``holidays`` are the days off of the statutory holiday periods
    (weekend days inside a period included, as the State Council's notice lists them),
    ``workdays`` the weekend days worked instead. GET and PUT mean the same set of days."""
    year = _check_year(year)
    doc = store.internal(CALENDAR).find_one({"_id": year})
    if doc is not None:
        return {"year": year, "origin": "entered", "holidays": doc["holidays"], "workdays": doc["workdays"],
                "source": doc.get("source"), "updated_by": doc.get("updated_by"),
                "updated_at": doc.get("updated_at")}
    calendar = WorkingDayCalendar()
    if not calendar.knows_year(year):
        return {"year": year, "origin": "unknown", "holidays": [], "workdays": [], "source": None,
                "updated_by": None, "updated_at": None}
    holidays, workdays = [], []
    d = _dt.date(year, 1, 1)
    while d.year == year:
        working = calendar.is_working_day(d)
        if not working and (d.weekday() < 5 or chinese_calendar.get_holiday_detail(d)[1] is not None):
            holidays.append(d.isoformat())  # the whole holiday period, its weekend days too
        elif d.weekday() >= 5 and working:
            workdays.append(d.isoformat())
        d += _dt.timedelta(days=1)
    return {"year": year, "origin": "package", "holidays": holidays, "workdays": workdays,
            "source": "chinese_calendar package", "updated_by": None, "updated_at": None}

"""Chinese statutory working days (法定工作日) for deadlines such as the R-9 public notice.

Source of truth, per year:

1. a year entered by the city admin (``YearHolidays``, from 国务院办公厅关于YYYY年部分节假日安排的通知)
   — takes precedence over everything for that year;
2. otherwise the ``chinese_calendar`` package (chinesecalendar 1.11.0 knows 2004..2026);
3. otherwise ``UnknownCalendarYear`` — never a guess from weekends alone.

Calendar rules are evaluated in Asia/Shanghai; functions take ``datetime.date``
(an aware ``datetime`` is converted to its Shanghai date, a naive one is refused).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "SHANGHAI",
    "UnknownCalendarYear",
    "YearHolidays",
    "WorkingDayCalendar",
    "to_shanghai_date",
    "shanghai_today",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_shanghai_date(value: _dt.date | _dt.datetime) -> _dt.date:
    """The calendar date in Asia/Shanghai. Aware datetimes are converted; naive ones are ambiguous → TypeError."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"naive datetime {value!r}: pass a date or a timezone-aware datetime")
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, _dt.date):
        return value
    raise TypeError(f"expected datetime.date, got {type(value).__name__}")


def shanghai_today() -> _dt.date:
    """Today's date in Asia/Shanghai (北京时间)."""
    return _dt.datetime.now(SHANGHAI).date()


class UnknownCalendarYear(ValueError):
    """No holiday data for a year: the city admin must enter it (节假日安排未录入)."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"No statutory holiday calendar for {year}: neither entered in the system nor known "
            f"to the chinese_calendar package. The city administrator must enter {year}'s holidays "
            f"and make-up workdays (调休上班) from 国务院办公厅关于{year}年部分节假日安排的通知; "
            f"working days in {year} are not guessed from weekends."
        )


@dataclass(frozen=True)
class YearHolidays:
    """One year's holidays (放假) and make-up workdays (调休上班), as entered by the city admin."""

    year: int
    holidays: frozenset[_dt.date]
    workdays: frozenset[_dt.date]

    def __post_init__(self) -> None:
        # accept any iterable (list/set from a form or JSON) but store frozensets
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))

    def validate(self) -> "YearHolidays":
        """Raise ValueError naming the bad date (wrong type, outside ``year``, or in both sets)."""
        if not isinstance(self.year, int) or isinstance(self.year, bool):
            raise ValueError(f"year must be an int, got {self.year!r}")
        for kind, dates in (("holiday", self.holidays), ("make-up workday", self.workdays)):
            for d in sorted(dates, key=repr):
                if not isinstance(d, _dt.date) or isinstance(d, _dt.datetime):
                    raise ValueError(f"{kind} {d!r} is not a datetime.date")
                if d.year != self.year:
                    raise ValueError(f"{kind} {d.isoformat()} is outside year {self.year}")
        both = self.holidays & self.workdays
        if both:
            d = min(both)
            raise ValueError(f"{d.isoformat()} is both a holiday and a make-up workday in {self.year}")
        return self

    def is_working_day(self, d: _dt.date) -> bool:
        """Weekdays work unless a holiday; weekends rest unless a make-up workday."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


class WorkingDayCalendar:
    """Statutory working-day arithmetic; admin-entered years override the package."""

    def __init__(self, overrides: Mapping[int, YearHolidays] | Iterable[YearHolidays] = ()):
        items = overrides.items() if isinstance(overrides, Mapping) else ((y.year, y) for y in overrides)
        self._overrides: dict[int, YearHolidays] = {}
        for year, yh in items:
            if not isinstance(yh, YearHolidays):
                raise ValueError(f"override for {year!r} is not a YearHolidays")
            if year != yh.year:
                raise ValueError(f"override keyed {year!r} holds data for year {yh.year}")
            self._overrides[year] = yh.validate()

    @property
    def overrides(self) -> Mapping[int, YearHolidays]:
        return dict(self._overrides)

    def knows_year(self, year: int) -> bool:
        """True if working days in ``year`` can be computed (override or package)."""
        if year in self._overrides:
            return True
        try:
            chinese_calendar.is_workday(_dt.date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def is_working_day(self, d: _dt.date) -> bool:
        """Is ``d`` a statutory working day (工作日)? UnknownCalendarYear if the year has no data."""
        d = to_shanghai_date(d)
        override = self._overrides.get(d.year)
        if override is not None:
            return override.is_working_day(d)
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            raise UnknownCalendarYear(d.year) from None

    def add_working_days(self, start: _dt.date, n: int) -> _dt.date:
        """The n-th working day counting ``start`` itself if it is one (n >= 1)."""
        start = to_shanghai_date(start)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        d = start
        count = 0
        while True:
            if self.is_working_day(d):
                count += 1
                if count == n:
                    return d
            d += _dt.timedelta(days=1)

    def notice_end(self, start: _dt.date, days: int = 5) -> _dt.date:
        """Last day of a public notice (公示, R-9) of ``days`` working days starting on ``start``."""
        return self.add_working_days(start, days)

    def working_days_between(self, a: _dt.date, b: _dt.date) -> int:
        """Number of working days from ``a`` to ``b``, both inclusive; ValueError if b < a."""
        a, b = to_shanghai_date(a), to_shanghai_date(b)
        if b < a:
            raise ValueError(f"end {b.isoformat()} is before start {a.isoformat()}")
        count = 0
        d = a
        while d <= b:
            count += self.is_working_day(d)
            d += _dt.timedelta(days=1)
        return count

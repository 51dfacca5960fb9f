"""R-9 public notice of 5 statutory working days (法定工作日) and the DOMAIN.md "Calendar facts".

Every expected date below was checked against chinesecalendar 1.11.0's own data
(``chinese_calendar.get_workdays`` / ``get_holidays`` / ``constants``); the helper
``_package_workdays`` re-checks the key ones at test time so a package upgrade that
changes its data shows up here.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
import pytest

from shared.calendar import (
    UnknownCalendarYear,
    WorkingDayCalendar,
    YearHolidays,
    to_shanghai_date,
)

D = date
CAL = WorkingDayCalendar()


def _package_workdays(start: date, end: date) -> list[date]:
    return chinese_calendar.get_workdays(start, end)


# --- 5-working-day public notice (公示) ---------------------------------------------

NOTICE_CASES = [
    # (start, expected end, the 5 working days) — 国庆 2026: 中秋 9/25-27, 国庆 10/1-7, 10/10 (Sat) 调休上班
    (D(2026, 9, 28), D(2026, 10, 9), [D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 9)]),
    (D(2026, 9, 24), D(2026, 10, 8), [D(2026, 9, 24), D(2026, 9, 28), D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 8)]),
    (D(2026, 10, 9), D(2026, 10, 14), [D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 12), D(2026, 10, 13), D(2026, 10, 14)]),
    # 国庆 2025: 10/1-8 off (中秋 10/6), 9/28 (Sun) and 10/11 (Sat) 调休上班
    (D(2025, 9, 26), D(2025, 10, 9), [D(2025, 9, 26), D(2025, 9, 28), D(2025, 9, 29), D(2025, 9, 30), D(2025, 10, 9)]),
    (D(2025, 9, 27), D(2025, 10, 10), [D(2025, 9, 28), D(2025, 9, 29), D(2025, 9, 30), D(2025, 10, 9), D(2025, 10, 10)]),
    (D(2025, 10, 1), D(2025, 10, 14), [D(2025, 10, 9), D(2025, 10, 10), D(2025, 10, 11), D(2025, 10, 13), D(2025, 10, 14)]),
    # 春节 2026: 2/15-23 off, 2/14 (Sat) and 2/28 (Sat) 调休上班
    (D(2026, 2, 12), D(2026, 2, 25), [D(2026, 2, 12), D(2026, 2, 13), D(2026, 2, 14), D(2026, 2, 24), D(2026, 2, 25)]),
    (D(2026, 2, 25), D(2026, 3, 2), [D(2026, 2, 25), D(2026, 2, 26), D(2026, 2, 27), D(2026, 2, 28), D(2026, 3, 2)]),
    # 春节 2025: 1/28-2/4 off, 1/26 (Sun) and 2/8 (Sat) 调休上班
    (D(2025, 1, 24), D(2025, 2, 6), [D(2025, 1, 24), D(2025, 1, 26), D(2025, 1, 27), D(2025, 2, 5), D(2025, 2, 6)]),
    # a plain week, starting on a working day and on a Saturday
    (D(2025, 3, 3), D(2025, 3, 7), [D(2025, 3, 3), D(2025, 3, 4), D(2025, 3, 5), D(2025, 3, 6), D(2025, 3, 7)]),
    (D(2025, 3, 8), D(2025, 3, 14), [D(2025, 3, 10), D(2025, 3, 11), D(2025, 3, 12), D(2025, 3, 13), D(2025, 3, 14)]),
]


@pytest.mark.parametrize("start, end, days", NOTICE_CASES, ids=[f"{s}->{e}" for s, e, _ in NOTICE_CASES])
def test_R9_notice_end_counts_5_statutory_working_days(start, end, days):
    assert days == _package_workdays(start, end)[:5] and len(_package_workdays(start, end)) == 5
    assert CAL.notice_end(start) == end
    assert CAL.add_working_days(start, 5) == end
    assert CAL.working_days_between(start, end) == 5


def test_R9_notice_from_monday_2026_09_28_spans_national_day_and_ends_friday_2026_10_09():
    assert CAL.notice_end(D(2026, 9, 28)) == D(2026, 10, 9)
    assert CAL.notice_end(D(2026, 9, 28), days=5) == D(2026, 10, 9)


def test_R9_make_up_saturday_is_a_working_day_and_holiday_weekday_is_not():
    assert CAL.is_working_day(D(2026, 10, 10))  # Sat, 国庆调休上班
    assert CAL.is_working_day(D(2025, 9, 28))  # Sun, 国庆调休上班
    assert CAL.is_working_day(D(2026, 2, 28))  # Sat, 春节调休上班
    assert not CAL.is_working_day(D(2026, 10, 11))  # plain Sunday
    assert not CAL.is_working_day(D(2026, 9, 25))  # Fri, 中秋
    assert not CAL.is_working_day(D(2025, 10, 8))  # Wed, 国庆
    assert not CAL.is_working_day(D(2026, 2, 23))  # Mon, 春节


def test_R9_add_working_days_counts_start_itself_only_if_working():
    assert CAL.add_working_days(D(2026, 9, 28), 1) == D(2026, 9, 28)
    assert CAL.add_working_days(D(2026, 10, 1), 1) == D(2026, 10, 8)
    assert CAL.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 8)


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_R9_add_working_days_rejects_non_positive_or_non_int_n(n):
    with pytest.raises(ValueError):
        CAL.add_working_days(D(2026, 9, 28), n)


def test_R9_working_days_between_is_inclusive():
    assert CAL.working_days_between(D(2025, 10, 1), D(2025, 10, 8)) == 0
    assert CAL.working_days_between(D(2026, 9, 28), D(2026, 9, 28)) == 1
    assert CAL.working_days_between(D(2026, 10, 11), D(2026, 10, 11)) == 0
    assert CAL.working_days_between(D(2026, 1, 1), D(2026, 12, 31)) == len(
        _package_workdays(D(2026, 1, 1), D(2026, 12, 31))
    )
    with pytest.raises(ValueError):
        CAL.working_days_between(D(2026, 10, 9), D(2026, 10, 8))


def test_R9_calendar_agrees_with_package_on_every_day_it_knows():
    d, end = D(2004, 1, 1), D(2026, 12, 31)
    while d <= end:
        assert CAL.is_working_day(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_R9_aware_datetime_is_read_in_asia_shanghai_and_naive_is_refused():
    # 2026-09-30 17:00 UTC is 2026-10-01 01:00 in Beijing: National Day
    utc = datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)
    assert to_shanghai_date(utc) == D(2026, 10, 1)
    assert not CAL.is_working_day(utc)
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 9, 30, 17, 0))


# --- Calendar facts: unknown years are an error, never a weekend guess ----------------------


def test_R9_unknown_year_2031_raises_UnknownCalendarYear_naming_the_notice():
    with pytest.raises(UnknownCalendarYear) as exc:
        CAL.is_working_day(D(2031, 3, 3))  # a plain Monday: still not guessed
    err = exc.value
    assert isinstance(err, ValueError)
    assert err.year == 2031
    assert "2031" in str(err)
    assert "国务院办公厅关于2031年部分节假日安排的通知" in str(err)
    assert "administrator" in str(err)
    assert not CAL.knows_year(2031)
    assert CAL.knows_year(2026) and CAL.knows_year(2004)
    assert not CAL.knows_year(2003)


def test_R9_unknown_year_before_package_range_also_raises():
    with pytest.raises(UnknownCalendarYear):
        CAL.is_working_day(D(2003, 12, 31))


def test_R9_notice_running_into_unknown_2027_raises_instead_of_guessing():
    # 2026-12-28..31 are 4 working days; the 5th would be in 2027, which the package does not know
    assert CAL.working_days_between(D(2026, 12, 28), D(2026, 12, 31)) == 4
    with pytest.raises(UnknownCalendarYear) as exc:
        CAL.notice_end(D(2026, 12, 28))
    assert exc.value.year == 2027
    # a notice that ends inside 2026 is fine
    assert CAL.notice_end(D(2026, 12, 21)) == D(2026, 12, 25)


def test_R9_working_days_between_into_unknown_year_raises():
    with pytest.raises(UnknownCalendarYear):
        CAL.working_days_between(D(2026, 12, 1), D(2027, 1, 31))


# --- Calendar facts: the city admin enters a year (takes precedence) -----------------------

# Illustrative 2027 data for the tests, NOT the real State Council notice.
Y2027 = YearHolidays(
    year=2027,
    holidays=frozenset({D(2027, 1, 1), D(2027, 1, 4)}),  # Fri + Mon off
    workdays=frozenset({D(2027, 1, 9)}),  # Sat 调休上班
)


def test_R9_override_for_2027_is_used():
    cal = WorkingDayCalendar({2027: Y2027})
    assert cal.knows_year(2027)
    assert not cal.is_working_day(D(2027, 1, 1))
    assert not cal.is_working_day(D(2027, 1, 2))  # plain Saturday
    assert not cal.is_working_day(D(2027, 1, 4))  # holiday Monday
    assert cal.is_working_day(D(2027, 1, 5))
    assert cal.is_working_day(D(2027, 1, 9))  # make-up Saturday
    assert not cal.is_working_day(D(2027, 1, 10))
    # notice from 2026-12-28 (package) runs into 2027 (override): 28,29,30,31 + 1/5
    assert cal.notice_end(D(2026, 12, 28)) == D(2027, 1, 5)
    # 1/6, 1/7, 1/8, 1/9 (Sat, make-up), 1/11
    assert cal.notice_end(D(2027, 1, 6)) == D(2027, 1, 11)
    # other unknown years stay unknown
    with pytest.raises(UnknownCalendarYear):
        cal.is_working_day(D(2028, 1, 3))


def test_R9_override_also_accepts_an_iterable_of_year_holidays():
    cal = WorkingDayCalendar([Y2027])
    assert cal.notice_end(D(2027, 1, 6)) == D(2027, 1, 11)
    assert set(cal.overrides) == {2027}


def test_R9_override_takes_full_precedence_over_package_for_a_known_year():
    # admin re-enters 2026 with 9/28 as a holiday and without the 10/10 make-up Saturday
    y2026 = YearHolidays(year=2026, holidays=frozenset({D(2026, 9, 28)}), workdays=frozenset())
    cal = WorkingDayCalendar({2026: y2026})
    assert chinese_calendar.is_workday(D(2026, 9, 28))  # package says working …
    assert not cal.is_working_day(D(2026, 9, 28))  # … override says holiday
    assert not chinese_calendar.is_workday(D(2026, 10, 1))
    assert cal.is_working_day(D(2026, 10, 1))  # package holidays do not leak into an override year
    assert chinese_calendar.is_workday(D(2026, 10, 10))
    assert not cal.is_working_day(D(2026, 10, 10))  # package make-up Saturday does not leak either
    # 9/29, 9/30, 10/1, 10/2, then 10/5 (Mon) — the package would say 2026-10-09
    assert cal.notice_end(D(2026, 9, 28)) == D(2026, 10, 5)
    # 2025 still comes from the package
    assert cal.notice_end(D(2025, 9, 26)) == D(2025, 10, 9)


def test_R9_year_holidays_is_frozen_and_coerces_iterables():
    y = YearHolidays(2027, [D(2027, 1, 1)], {D(2027, 1, 9)})
    assert y.holidays == frozenset({D(2027, 1, 1)}) and isinstance(y.holidays, frozenset)
    assert isinstance(y.workdays, frozenset)
    with pytest.raises(dataclasses.FrozenInstanceError):
        y.year = 2028  # type: ignore[misc]


@pytest.mark.parametrize(
    "yh, bad",
    [
        (YearHolidays(2027, frozenset({D(2026, 12, 31)}), frozenset()), "2026-12-31"),
        (YearHolidays(2027, frozenset(), frozenset({D(2028, 1, 1)})), "2028-01-01"),
        (YearHolidays(2027, frozenset({D(2027, 2, 6)}), frozenset({D(2027, 2, 6)})), "2027-02-06"),
    ],
    ids=["holiday-outside-year", "workday-outside-year", "in-both-sets"],
)
def test_R9_invalid_override_is_rejected_naming_the_date(yh, bad):
    with pytest.raises(ValueError, match=bad):
        yh.validate()
    with pytest.raises(ValueError, match=bad):
        WorkingDayCalendar({2027: yh})


def test_R9_invalid_override_non_date_and_mismatched_key():
    with pytest.raises(ValueError, match="not a datetime.date"):
        YearHolidays(2027, frozenset({"2027-01-01"}), frozenset()).validate()
    with pytest.raises(ValueError, match="not a datetime.date"):
        YearHolidays(2027, frozenset({datetime(2027, 1, 1)}), frozenset()).validate()
    with pytest.raises(ValueError, match="2028"):
        WorkingDayCalendar({2028: Y2027})
    assert Y2027.validate() is Y2027

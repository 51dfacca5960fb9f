"""R-2 statutory retirement age (法定退休年龄) under the 2025 gradual reform (渐进式延迟法定退休年龄),
and the R-1 two-year rule (距法定退休年龄不少于2年).

Reform (全国人大常委会关于实施渐进式延迟法定退休年龄的决定, from 2025-01-01):

- men: 60 → 63, +1 month per 4 months of birth from 1965-01;
- women, original age 55 (女职工/干部 55): 55 → 58, +1 month per 4 months of birth from 1970-01;
- women, original age 50 (女工人 50): 50 → 55, +1 month per 2 months of birth from 1975-01.

Convention: only the birth month is recorded, so the retirement month is
birth month + statutory age, and ``retirement_date`` is the first day of that month
(as in the official table: man born 1965-01 → 60y1m → retires 2025-02).
"""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "RetirementAge",
    "statutory_retirement_age",
    "retirement_date",
    "meets_two_year_rule",
]


class RetirementAge(NamedTuple):
    """Age as (years, months); compares equal to a plain ``(years, months)`` tuple."""

    years: int
    months: int

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months


_SHANGHAI = ZoneInfo("Asia/Shanghai")

# (original age, reform start (year, month), birth months per +1 month, max delay in months)
_SCHEMES: dict[tuple[str, int], tuple[int, tuple[int, int], int, int]] = {
    ("M", 60): (60, (1965, 1), 4, 36),
    ("F", 55): (55, (1970, 1), 4, 36),
    ("F", 50): (50, (1975, 1), 2, 60),
}


def _scheme(gender: str, original_age: int | None) -> tuple[int, tuple[int, int], int, int]:
    if gender == "M":
        if original_age not in (None, 60):
            raise ValueError(f"original_age for men is 60 (or omitted), got {original_age!r}")
        return _SCHEMES[("M", 60)]
    if gender == "F":
        if original_age not in (50, 55) or isinstance(original_age, bool):
            raise ValueError(
                f"original_age for women must be 50 (女工人) or 55 (女干部/职工), got {original_age!r}"
            )
        return _SCHEMES[("F", original_age)]
    raise ValueError(f"gender must be 'M' or 'F', got {gender!r}")


def _check_birth(birth_year: int, birth_month: int) -> None:
    if isinstance(birth_year, bool) or not isinstance(birth_year, int) or not 1 <= birth_year <= 9999:
        raise ValueError(f"birth_year must be an int year, got {birth_year!r}")
    if isinstance(birth_month, bool) or not isinstance(birth_month, int) or not 1 <= birth_month <= 12:
        raise ValueError(f"birth_month must be 1..12, got {birth_month!r}")


def statutory_retirement_age(
    gender: str, birth_year: int, birth_month: int, original_age: int | None = None
) -> RetirementAge:
    """Statutory retirement age (years, months) for gender 'M'/'F' born in birth_year-birth_month.

    Women need ``original_age`` 50 or 55; men may omit it (or pass 60).
    """
    base, (start_y, start_m), step, cap = _scheme(gender, original_age)
    _check_birth(birth_year, birth_month)
    offset = (birth_year - start_y) * 12 + (birth_month - start_m)  # birth months since the start
    delay = 0 if offset < 0 else min(offset // step + 1, cap)
    return RetirementAge(base + delay // 12, delay % 12)


def retirement_date(
    gender: str, birth_year: int, birth_month: int, original_age: int | None = None
) -> _dt.date:
    """First day of the retirement month (= birth month + statutory age)."""
    age = statutory_retirement_age(gender, birth_year, birth_month, original_age)
    index = birth_year * 12 + (birth_month - 1) + age.total_months
    return _dt.date(index // 12, index % 12 + 1, 1)


def meets_two_year_rule(
    application_date: _dt.date,
    gender: str,
    birth_year: int,
    birth_month: int,
    original_age: int | None = None,
) -> bool:
    """R-1: on ``application_date`` the master is at least 2 years (inclusive) before retirement.

    True iff application_date + 2 years <= retirement_date.
    """
    if isinstance(application_date, _dt.datetime):
        if application_date.utcoffset() is None:
            raise TypeError("application_date: pass a date or a timezone-aware datetime")
        application_date = application_date.astimezone(_SHANGHAI).date()
    elif not isinstance(application_date, _dt.date):
        raise TypeError(f"application_date must be a datetime.date, got {type(application_date).__name__}")
    retire = retirement_date(gender, birth_year, birth_month, original_age)
    latest = retire.replace(year=retire.year - 2)  # day 1 of a month: no 29 Feb problem
    return application_date <= latest

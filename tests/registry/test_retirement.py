"""R-2 statutory retirement age (渐进式延迟法定退休年龄) and the R-1 two-year rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain.retirement import (
    RetirementAge,
    meets_two_year_rule,
    retirement_date,
    statutory_retirement_age,
)

# (gender, original_age, birth_year, birth_month, expected (years, months))
# Rows marked "DOMAIN" are the official-table points listed in DOMAIN.md R-2;
# the others are the neighbouring months on each side of those boundaries.
AGE_TABLE = [
    # men, 60 → 63, +1 month per 4 birth months from 1965-01
    ("M", None, 1950, 6, (60, 0)),
    ("M", None, 1964, 12, (60, 0)),  # DOMAIN
    ("M", None, 1965, 1, (60, 1)),  # DOMAIN
    ("M", None, 1965, 4, (60, 1)),  # DOMAIN
    ("M", None, 1965, 5, (60, 2)),  # DOMAIN
    ("M", None, 1965, 8, (60, 2)),  # DOMAIN
    ("M", None, 1965, 9, (60, 3)),
    ("M", 60, 1966, 1, (60, 4)),
    ("M", None, 1976, 8, (62, 11)),
    ("M", None, 1976, 9, (63, 0)),  # DOMAIN
    ("M", None, 1990, 1, (63, 0)),
    # women, original 55 → 58, +1 month per 4 birth months from 1970-01
    ("F", 55, 1969, 12, (55, 0)),
    ("F", 55, 1970, 1, (55, 1)),  # DOMAIN
    ("F", 55, 1970, 4, (55, 1)),  # DOMAIN
    ("F", 55, 1970, 5, (55, 2)),
    ("F", 55, 1981, 8, (57, 11)),
    ("F", 55, 1981, 9, (58, 0)),  # DOMAIN
    ("F", 55, 1995, 3, (58, 0)),
    # women, original 50 → 55, +1 month per 2 birth months from 1975-01
    ("F", 50, 1974, 12, (50, 0)),
    ("F", 50, 1975, 1, (50, 1)),  # DOMAIN
    ("F", 50, 1975, 2, (50, 1)),  # DOMAIN
    ("F", 50, 1975, 3, (50, 2)),  # DOMAIN
    ("F", 50, 1975, 4, (50, 2)),  # DOMAIN
    ("F", 50, 1975, 5, (50, 3)),
    ("F", 50, 1984, 10, (54, 11)),
    ("F", 50, 1984, 11, (55, 0)),  # DOMAIN
    ("F", 50, 2000, 7, (55, 0)),
]


def _id(row):
    g, orig, y, m, (ay, am) = row
    who = {"M": "man", "F": f"woman{orig}"}[g]
    return f"{who}_born_{y}_{m:02d}_retires_at_{ay}y{am}m"


@pytest.mark.parametrize("gender, original_age, year, month, expected", AGE_TABLE, ids=[_id(r) for r in AGE_TABLE])
def test_R2_statutory_retirement_age_table(gender, original_age, year, month, expected):
    age = statutory_retirement_age(gender, year, month, original_age)
    assert age == expected
    assert isinstance(age, tuple) and isinstance(age, RetirementAge)


def test_R2_man_born_1965_05_retires_at_60y2m():
    assert statutory_retirement_age("M", 1965, 5) == (60, 2)
    assert statutory_retirement_age("M", 1965, 5).total_months == 722


# (gender, original_age, birth_year, birth_month, retirement date = 1st of birth month + age)
DATE_TABLE = [
    ("M", None, 1964, 12, date(2024, 12, 1)),
    ("M", None, 1965, 1, date(2025, 2, 1)),  # official table: retires 2025-02
    ("M", None, 1965, 12, date(2026, 3, 1)),  # 60y3m
    ("M", None, 1976, 9, date(2039, 9, 1)),
    ("F", 55, 1970, 1, date(2025, 2, 1)),
    ("F", 55, 1981, 9, date(2039, 9, 1)),
    ("F", 50, 1975, 1, date(2025, 2, 1)),
    ("F", 50, 1975, 12, date(2026, 6, 1)),  # 50y6m
    ("F", 50, 1984, 11, date(2039, 11, 1)),
]


@pytest.mark.parametrize("gender, original_age, year, month, expected", DATE_TABLE)
def test_R2_retirement_date_is_first_day_of_birth_month_plus_age(gender, original_age, year, month, expected):
    assert retirement_date(gender, year, month, original_age) == expected


@pytest.mark.parametrize(
    "gender, original_age, match",
    [
        ("F", None, "original_age"),
        ("F", 60, "original_age"),
        ("F", 52, "original_age"),
        ("M", 55, "original_age"),
        ("X", None, "gender"),
        ("m", None, "gender"),
    ],
)
def test_R2_invalid_gender_or_original_age_is_rejected(gender, original_age, match):
    with pytest.raises(ValueError, match=match):
        statutory_retirement_age(gender, 1970, 1, original_age)
    with pytest.raises(ValueError, match=match):
        retirement_date(gender, 1970, 1, original_age)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_R2_invalid_birth_month_is_rejected(month):
    with pytest.raises(ValueError, match="birth_month"):
        statutory_retirement_age("M", 1970, month)


SCHEMES = [("M", None, 60, 36), ("F", 55, 55, 36), ("F", 50, 50, 60)]


@given(
    scheme=st.sampled_from(SCHEMES),
    year=st.integers(min_value=1940, max_value=2010),
    month=st.integers(min_value=1, max_value=12),
)
def test_R2_property_age_is_bounded_and_rises_at_most_one_month_per_birth_month(scheme, year, month):
    gender, orig, base, cap = scheme
    age = statutory_retirement_age(gender, year, month, orig)
    assert base * 12 <= age.total_months <= base * 12 + cap
    nxt_y, nxt_m = (year, month + 1) if month < 12 else (year + 1, 1)
    nxt = statutory_retirement_age(gender, nxt_y, nxt_m, orig)
    assert 0 <= nxt.total_months - age.total_months <= 1
    # so the retirement month strictly increases with the birth month
    assert retirement_date(gender, nxt_y, nxt_m, orig) > retirement_date(gender, year, month, orig)


# --- at least 2 years (inclusive) before statutory retirement on the application date ---

# man born 1965-05: 60y2m → retires 2025-07-01, so the last qualifying day is 2023-07-01
R1_MAN = [
    (date(2023, 7, 1), True),  # exactly 2 years
    (date(2023, 6, 30), True),
    (date(2020, 1, 1), True),
    (date(2023, 7, 2), False),  # one day less than 2 years
    (date(2023, 8, 1), False),  # one month less
    (date(2025, 7, 1), False),
]


@pytest.mark.parametrize("application_date, ok", R1_MAN, ids=[f"{d}-{ok}" for d, ok in R1_MAN])
def test_R1_man_born_1965_05_two_year_boundary(application_date, ok):
    assert retirement_date("M", 1965, 5) == date(2025, 7, 1)
    assert meets_two_year_rule(application_date, "M", 1965, 5, None) is ok


def test_R1_exactly_two_years_before_is_ok_one_month_less_is_not_woman50():
    # woman (50) born 1990-06: 55 → retires 2045-06-01
    assert retirement_date("F", 1990, 6, 50) == date(2045, 6, 1)
    assert meets_two_year_rule(date(2043, 6, 1), "F", 1990, 6, 50)
    assert not meets_two_year_rule(date(2043, 7, 1), "F", 1990, 6, 50)


def test_R1_exactly_two_years_before_is_ok_one_month_less_is_not_woman55():
    # woman (55) born 1975-02: k=61 birth months → +16 months → 56y4m → retires 2031-06-01
    assert statutory_retirement_age("F", 1975, 2, 55) == (56, 4)
    assert retirement_date("F", 1975, 2, 55) == date(2031, 6, 1)
    assert meets_two_year_rule(date(2029, 6, 1), "F", 1975, 2, 55)
    assert not meets_two_year_rule(date(2029, 7, 1), "F", 1975, 2, 55)


def test_R1_woman_without_original_age_is_an_error():
    with pytest.raises(ValueError, match="original_age"):
        meets_two_year_rule(date(2025, 1, 1), "F", 1975, 2, None)


def test_R1_aware_datetime_is_read_in_asia_shanghai_naive_refused():
    # 2023-06-30 16:30 UTC is 2023-07-01 00:30 in Beijing: still exactly 2 years → ok
    assert meets_two_year_rule(datetime(2023, 6, 30, 16, 30, tzinfo=timezone.utc), "M", 1965, 5)
    # 2023-07-01 16:30 UTC is 2023-07-02 in Beijing → too late
    assert not meets_two_year_rule(datetime(2023, 7, 1, 16, 30, tzinfo=timezone.utc), "M", 1965, 5)
    with pytest.raises(TypeError):
        meets_two_year_rule(datetime(2023, 7, 1), "M", 1965, 5)


@given(
    scheme=st.sampled_from(SCHEMES),
    year=st.integers(min_value=1950, max_value=2005),
    month=st.integers(min_value=1, max_value=12),
    offset=st.integers(min_value=-400, max_value=400),
)
def test_R1_property_rule_holds_iff_two_years_fit_before_retirement(scheme, year, month, offset):
    gender, orig, _, _ = scheme
    retire = retirement_date(gender, year, month, orig)
    boundary = retire.replace(year=retire.year - 2)
    application = boundary + timedelta(days=offset)
    assert meets_two_year_rule(application, gender, year, month, orig) is (offset <= 0)

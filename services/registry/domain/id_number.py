"""Resident identity card numbers (公民身份号码, GB 11643-1999): 18 characters, last a check character.

Positions 7–14 are the birth date and position 17 is odd for men, even for women; the
application's birth month and gender must agree with them. The number is shown masked
to everyone but the city (``mask``) and compared by a keyed-free digest (``digest``).
"""
from __future__ import annotations

import datetime as _dt
import hashlib

__all__ = ["check_character", "validate_id_number", "mask", "digest", "birth_month", "gender"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("expected 17 digits")
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def validate_id_number(value: str) -> str | None:
    """None if ``value`` is a well-formed 18-character number, else the reason."""
    if not isinstance(value, str) or len(value) != 18:
        return "must have 18 characters"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "17 digits followed by a digit or X (upper case)"
    try:
        _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "positions 7–14 are not a valid birth date"
    if value[17] != check_character(value[:17]):
        return f"wrong check character {value[17]!r}, expected {check_character(value[:17])!r}"
    return None


def birth_month(value: str) -> str:
    """'YYYY-MM' from a valid number."""
    return f"{value[6:10]}-{value[10:12]}"


def gender(value: str) -> str:
    return "M" if int(value[16]) % 2 else "F"


def mask(value: str | None) -> str | None:
    """110101********1234: division code and last four kept."""
    if not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def digest(value: str) -> str:
    """A stable key for uniqueness checks (R-6) that does not repeat the number itself."""
    return hashlib.sha256(("id-number:" + value.upper()).encode()).hexdigest()

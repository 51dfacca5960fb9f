"""Points are integer hundredths ("cp": 87.25 points = 8725) so that sums, ties and ranks are
exact and the same on every machine; anything finer is rounded half up, once, at the end."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from shared.errors import ValidationFailed

SCALE = 100   # hundredths of a point


def round_half_up(value: Fraction | int) -> int:
    """The nearest integer, halves away from zero."""
    v = Fraction(value)
    if v >= 0:
        return int((v * 2 + 1) // 2)
    return -int((-v * 2 + 1) // 2)


def to_cp(value: Any, field: str, *, maximum_cp: int | None = None) -> int:
    """A score as entered (number or numeric text, at most two decimals, ≥ 0, ≤ maximum) → cp."""
    if isinstance(value, bool) or value is None:
        raise ValidationFailed(f"{field}: a number is required", errors={field: "a number, e.g. 87.5"})
    try:
        d = Decimal(str(value).strip())
        exact = d.is_finite() and d == d.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"{field}: not a number", errors={field: "a number, e.g. 87.5"})
    if not exact:
        raise ValidationFailed(f"{field}: at most two decimals", errors={field: "at most two decimals"})
    cp = int(d * SCALE)
    if cp < 0 or (maximum_cp is not None and cp > maximum_cp):
        limit = cp_text(maximum_cp) if maximum_cp is not None else "∞"
        raise ValidationFailed(f"{field}: out of range", errors={field: f"from 0 to {limit}"})
    return cp


def cp_text(cp: int | None) -> str:
    if cp is None:
        return ""
    sign = "-" if cp < 0 else ""
    cp = abs(cp)
    return f"{sign}{cp // SCALE}.{cp % SCALE:02d}"


def cp_number(cp: int | None) -> float | None:
    """For JSON: 8725 → 87.25 (display only; comparisons use the integers)."""
    return None if cp is None else cp / SCALE

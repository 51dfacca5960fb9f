"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a check character.

Alphabet (31 characters, value = index): 0-9 A-H J-N P-R T-U W-Y — never I O Z S V.
Check: weights 3**i mod 31 for positions 1..17; check value = 31 - (sum mod 31), 31 → 0.
Only length, alphabet and check character are validated here.
"""

from __future__ import annotations

__all__ = ["ALPHABET", "WEIGHTS", "check_digit", "validate_credit_code"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALLOWED = "0-9 and A-H J-N P-R T-U W-Y (no I, O, Z, S, V)"


def _bad_char(code: str) -> str | None:
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            hint = " (upper case only)" if ch.upper() in _VALUE else ""
            return f"bad character {ch!r} at position {pos}{hint}: allowed are {_ALLOWED}"
    return None


def check_digit(first17: str) -> str:
    """The check character (校验码) for the first 17 characters; ValueError if they are malformed."""
    if not isinstance(first17, str):
        raise ValueError(f"expected a string of 17 characters, got {type(first17).__name__}")
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    bad = _bad_char(first17)
    if bad:
        raise ValueError(bad)
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str | None:
    """None if ``code`` is a valid credit code, else a human-readable reason (no normalisation)."""
    if not isinstance(code, str):
        return f"not a string: {type(code).__name__}"
    if len(code) != 18:
        return f"wrong length: {len(code)} characters, expected 18"
    bad = _bad_char(code)
    if bad:
        return bad
    expected = check_digit(code[:17])
    if code[17] != expected:
        return f"wrong check digit {code[17]!r}, expected {expected!r}"
    return None

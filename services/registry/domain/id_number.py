"""Resident identity card numbers (公民身份号码) in the registry's records.

The number is shown masked to everyone but the city (``mask``) and compared by a keyed-free
digest (``digest``). Its format (check character, birth month, gender) is published in
``services/registry/contract.py``, where the input schemas check it.
"""
from __future__ import annotations

import hashlib

__all__ = ["mask", "digest"]


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

"""The minimum password policy (plain Python; the registry's schemas apply it, the gateway
documents it): at least 8 characters, not only digits, not the user name."""
from __future__ import annotations

MIN_LENGTH = 8
MAX_LENGTH = 200
# JSON-schema pattern for "not only digits" (a pattern matches anywhere in the value)
NOT_ONLY_DIGITS = "[^0-9]"
POLICY = (f"password policy: {MIN_LENGTH} to {MAX_LENGTH} characters, not only digits, "
          "not the user name")


def password_problem(password: str, username: str | None = None) -> str | None:
    """What breaks the policy (a message naming the rule), or None."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"{POLICY} (length)"
    if password.isdigit():
        return f"{POLICY} (only digits)"
    if username and password.strip().casefold() == username.strip().casefold():
        return f"{POLICY} (the user name)"
    return None

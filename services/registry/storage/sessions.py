"""Token revocation (issue 18): each user has a token version; every bearer token carries the
version it was issued with, and the gateway refuses a token whose version is no longer the
user's (it asks ``token_state`` and keeps the answer a few seconds). Logging out, changing
the password and disabling the user move the version on, so every token issued before is void.
"""
from __future__ import annotations

from argon2 import PasswordHasher

from services.registry.storage import USERS
from services.registry.storage.directory import authenticate
from shared.errors import NotFound, ValidationFailed
from shared.passwords import password_problem
from shared.principal import ADMIN
from shared.storage import Store

VERSION = "token_version"


def token_state(store: Store, username: str) -> dict:
    """The user's current token version and whether it may log in at all (a missing user: disabled)."""
    doc = store.unscoped(USERS).find_one({"_id": username}, {VERSION: 1, "disabled": 1})
    if doc is None:
        return {"user": username, "version": 0, "disabled": True}
    return {"user": username, "version": int(doc.get(VERSION, 0)), "disabled": bool(doc.get("disabled"))}


def revoke_tokens(store: Store, username: str) -> dict:
    """Every token of ``username`` issued so far is void (logout)."""
    store.unscoped(USERS).update_one({"_id": username}, {"$inc": {VERSION: 1}})
    return token_state(store, username)


def change_password(store: Store, hasher: PasswordHasher, username: str, current: str, new: str) -> dict:
    users = store.unscoped(USERS)
    authenticate(users, hasher, username, current)   # 401 for a wrong current password
    problem = password_problem(new, username)
    if problem:
        raise ValidationFailed("the new password breaks the password policy", errors={"new_password": problem})
    users.update_one({"_id": username}, {"$set": {"password_hash": hasher.hash(new)}, "$inc": {VERSION: 1}})
    return token_state(store, username)


def set_disabled(store: Store, username: str, disabled: bool) -> dict:
    """Admin: a disabled user cannot log in and its tokens are void; enabling lets it log in again."""
    store.principal.require_role(ADMIN)
    users = store.unscoped(USERS)
    if users.find_one({"_id": username}, {"_id": 1}) is None:
        raise NotFound(f"user {username} not found")
    users.update_one({"_id": username}, {"$set": {"disabled": bool(disabled)}, "$inc": {VERSION: 1}})
    return token_state(store, username)

"""The directory (名录): tenants, units with their branches, and users.

Plain functions over a ``Store`` (shared/storage.py), which scopes every query by the
caller; the rules about who may create what are here.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.registry.storage import TENANTS, UNITS, USERS
from services.registry.domain.records import now
from shared.errors import Conflict, Forbidden, Unauthenticated, ValidationFailed
from shared.idempotency import create_once
from shared.principal import (ADMIN, CITY_BUREAU, CITY_CENTER, CITY_ROLES, TENANT, UNIT,
                              Principal)
from shared.storage import Store, public


def _now() -> datetime:
    return now()


# -- tenants ---------------------------------------------------------------------------
def list_tenants(store: Store, page=1, page_size=50, kind: str | None = None) -> dict:
    flt = {"kind": kind} if kind else None
    return store.scoped(TENANTS).page(flt, page, page_size)


def get_tenant(store: Store, tenant_id: str) -> dict:
    return public(store.scoped(TENANTS).get(tenant_id, "tenant"))


def create_tenant(store: Store, data: dict, idempotency_key: str | None = None) -> dict:
    """The city adds municipal bureaus and enterprise groups (市属局、企业集团). The same
    ``idempotency_key`` and body answer the tenant it made (shared/idempotency.py)."""
    store.principal.require_role(ADMIN, CITY_BUREAU)

    def build():
        return {"_id": data["id"], "name": data["name"], "kind": data["kind"],
                "code": data.get("code"), "authority": data.get("authority") or data["name"],
                "created_at": _now()}
    doc, _ = create_once(store.scoped(TENANTS), idempotency_key, data, build, "tenant",
                         duplicate=f"a tenant with id {data['id']} or name {data['name']} exists")
    return public(doc)


# -- units -----------------------------------------------------------------------------
def list_units(store: Store, tenant_id: str, page=1, page_size=50) -> dict:
    store.scoped(TENANTS).get(tenant_id, "tenant")  # 404 for a tenant the caller cannot see
    return store.scoped(UNITS).page({"tenant_id": tenant_id}, page, page_size)


def get_unit(store: Store, unit_id: str) -> dict:
    return public(store.scoped(UNITS).get(unit_id, "unit"))


def create_unit(store: Store, tenant_id: str, data: dict, idempotency_key: str | None = None) -> dict:
    """A tenant registers its units (所在单位) and their branches (分厂、分公司). The same
    ``idempotency_key``, tenant and body answer the unit it made."""
    principal = store.principal.require_role(TENANT, ADMIN, CITY_CENTER)
    store.scoped(TENANTS).get(tenant_id, "tenant")

    def build():
        kind = "unit"
        if data.get("parent_id"):
            parent = store.scoped(UNITS).get(data["parent_id"], "parent unit")
            if parent["tenant_id"] != tenant_id:
                raise ValidationFailed("a branch belongs to its parent unit's tenant",
                                       errors={"parent_id": f"unit {parent['_id']} belongs to another tenant"})
            kind = "branch"
        return {"_id": uuid.uuid4().hex, "tenant_id": tenant_id, "name": data["name"],
                "credit_code": data["credit_code"], "kind": kind, "parent_id": data.get("parent_id"),
                "address": data.get("address", ""), "contact": data.get("contact", ""),
                "phone": data.get("phone", ""), "created_at": _now(), "created_by": principal.user}
    doc, _ = create_once(store.scoped(UNITS), idempotency_key, {"tenant_id": tenant_id, **data}, build, "unit",
                         duplicate=f"a unit with credit code {data['credit_code']} exists")
    return public(doc)


# -- users -----------------------------------------------------------------------------
def _render_user(doc: dict) -> dict:
    """The stored user; the service dumps it through ``UserSchema``, which names no hash."""
    return public(doc)


def list_users(store: Store, page=1, page_size=50) -> dict:
    return store.scoped(USERS).page(None, page, page_size, render=_render_user)


def create_user(store: Store, hasher: PasswordHasher, data: dict, idempotency_key: str | None = None) -> dict:
    """Admin creates anyone; a tenant user creates unit users for its own units. The same
    ``idempotency_key`` and body answer the user it made: the key's fingerprint leaves the
    password out (no digest of a password is stored); a replay checks it against the user's hash."""
    principal = store.principal
    role = data["role"]
    if principal.role == TENANT:
        if role != UNIT:
            raise Forbidden("a tenant user may create unit users only")
    else:
        principal.require_role(ADMIN)
    errors = {}
    if role in (UNIT, TENANT) and not data.get("tenant_id"):
        errors["tenant_id"] = f"required for role {role}"
    if role == UNIT and not data.get("unit_id"):
        errors["unit_id"] = "required for role unit"
    if role in CITY_ROLES and (data.get("tenant_id") or data.get("unit_id")):
        errors["tenant_id"] = f"a {role} user belongs to the city, not to a tenant"
    if errors:
        raise ValidationFailed("the user does not fit its role", errors=errors)
    if data.get("tenant_id"):
        store.scoped(TENANTS).get(data["tenant_id"], "tenant")
    if data.get("unit_id"):
        unit = store.scoped(UNITS).get(data["unit_id"], "unit")
        if unit["tenant_id"] != data["tenant_id"]:
            raise ValidationFailed("the unit is not in that tenant",
                                   errors={"unit_id": f"unit {unit['_id']} belongs to another tenant"})

    def build():
        return {"_id": data["username"], "display_name": data.get("display_name", ""), "role": role,
                "tenant_id": data.get("tenant_id"), "unit_id": data.get("unit_id") if role == UNIT else None,
                "password_hash": hasher.hash(data["password"]), "created_at": _now(),
                "created_by": principal.user}
    fingerprinted = {k: v for k, v in data.items() if k != "password"}
    doc, created = create_once(store.scoped(USERS), idempotency_key, fingerprinted, build, "user",
                               duplicate=f"user {data['username']} exists")
    if not created:
        try:
            hasher.verify(doc["password_hash"], data["password"])
        except (VerificationError, InvalidHashError):
            raise Conflict(f"Idempotency-Key {idempotency_key!r} was used for another user with a different body")
    return _render_user(doc)


def authenticate(users_collection, hasher: PasswordHasher, username: str, password: str) -> dict:
    """Checks a password; the answer never says whether the user exists."""
    doc = users_collection.find_one({"_id": username})
    try:
        if doc is None:
            raise VerificationError()
        hasher.verify(doc["password_hash"], password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("wrong user name or password")
    if doc.get("disabled"):
        raise Unauthenticated("wrong user name or password")
    if hasher.check_needs_rehash(doc["password_hash"]):  # made with older parameters: bring it up to date
        users_collection.update_one({"_id": doc["_id"], "password_hash": doc["password_hash"]},
                                    {"$set": {"password_hash": hasher.hash(password)}})
    principal = Principal(user=doc["_id"], role=doc["role"], tenant_id=doc.get("tenant_id"),
                          unit_id=doc.get("unit_id"))
    return {"user": principal.user, "role": principal.role, "tenant_id": principal.tenant_id,
            "unit_id": principal.unit_id, "display_name": doc.get("display_name", "")}


# -- seeding ---------------------------------------------------------------------------
def upsert_reference(db, tenants: list[dict]) -> None:
    present = {d["_id"] for d in db[TENANTS].find({"_id": {"$in": [t["_id"] for t in tenants]}}, {"_id": 1})}
    for tenant in tenants:
        if tenant["_id"] in present:
            continue  # kept by the store from an earlier start: no write (a restart is faster)
        db[TENANTS].update_one({"_id": tenant["_id"]}, {"$setOnInsert": {**tenant, "created_at": _now()}},
                               upsert=True)


def upsert_user(db, hasher: PasswordHasher, username: str, password: str, role: str,
                tenant_id: str | None = None, unit_id: str | None = None, display_name: str = "") -> None:
    if db[USERS].count_documents({"_id": username}, limit=1):
        return  # seeded by an earlier start (the store keeps it): no argon2 hash on every restart
    db[USERS].update_one({"_id": username}, {"$setOnInsert": {
        "role": role, "tenant_id": tenant_id, "unit_id": unit_id, "display_name": display_name,
        "password_hash": hasher.hash(password), "created_at": _now(), "created_by": "seed"}}, upsert=True)


def upsert_unit(db, unit: dict) -> None:
    if db[UNITS].count_documents({"_id": unit["_id"]}, limit=1):
        return
    db[UNITS].update_one({"_id": unit["_id"]}, {"$setOnInsert": {**unit, "created_at": _now()}}, upsert=True)


"""audit's collection: the records, appended once each (their id is the key), never changed."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.audit.domain.trail import bare_ids
from shared.storage import Index, Scope, Store

RECORDS = "audit_records"

# city readers see every tenant's records; the route admits no other role
SCOPES = {RECORDS: Scope(tenant_field="tenant_id", unit_field=None)}
INDEXES = [Index(RECORDS, [("at", DESCENDING)], name="at"),
           Index(RECORDS, [("tenant_id", ASCENDING), ("at", DESCENDING)], name="tenant_at"),
           Index(RECORDS, [("ids", ASCENDING)], name="ids")]


def append(store: Store, record: dict) -> bool:
    """Store a record once; a second delivery of the same record changes nothing."""
    doc = {**{k: v for k, v in record.items() if k != "id"}, "_id": str(record["id"]), "ids": bare_ids(record)}
    try:
        store.unscoped(RECORDS).insert_one(doc)
        return True
    except DuplicateKeyError:
        return False


def page(store: Store, flt: dict, page_no, page_size) -> dict:
    return store.scoped(RECORDS).page(flt or None, page_no, page_size, sort=(("at", -1), ("_id", 1)),
                                      render=_render)


def all_matching(store: Store, flt: dict, limit: int = 100000) -> list[dict]:
    return [_render(d) for d in store.scoped(RECORDS).find(flt or {}, sort=[("at", -1)], limit=limit)]


def _render(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k != "ids"}
    out["id"] = doc["_id"]
    return out

"""The registry's collections: where each keeps its tenant and unit, and its indexes."""
from pymongo import ASCENDING

from shared.inbox import INBOX_INDEXES
from shared.outbox import outbox_indexes
from shared.storage import Index, Scope

TENANTS, UNITS, USERS = "tenants", "units", "users"

SCOPES = {
    TENANTS: Scope(tenant_field="_id", unit_field=None),
    UNITS: Scope(tenant_field="tenant_id", unit_field="_id"),
    USERS: Scope(tenant_field="tenant_id", unit_field="unit_id"),
}

OUTBOX_COLLECTIONS: list[str] = []

INDEXES = [
    Index(TENANTS, [("name", ASCENDING)], unique=True),
    Index(UNITS, [("credit_code", ASCENDING)], unique=True),
    Index(UNITS, [("tenant_id", ASCENDING), ("name", ASCENDING)]),
    Index(USERS, [("tenant_id", ASCENDING), ("unit_id", ASCENDING)]),
    *INBOX_INDEXES,
    *outbox_indexes(OUTBOX_COLLECTIONS),
]

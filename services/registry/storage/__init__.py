"""The registry's collections: where each keeps its tenant and unit, and its indexes."""
from pymongo import ASCENDING, DESCENDING

from shared.idempotency import idempotency_index
from shared.inbox import INBOX_INDEXES
from shared.outbox import outbox_indexes
from shared.storage import Index, Scope
from shared.jobs import JOB_INDEXES
from shared.uploads import UPLOAD_INDEXES

TENANTS, UNITS, USERS = "tenants", "units", "users"
APPLICATIONS = "applications"
MATERIALS, MATERIAL_CHUNKS = "materials", "material_chunks"
STUDIOS = "studios"
CHANGE_REQUESTS = "change_requests"
REVOCATIONS = "revocation_requests"
CALENDAR = "calendar_years"          # technical: holidays entered by the city (no tenant data)

SCOPES = {
    TENANTS: Scope(tenant_field="_id", unit_field=None),
    UNITS: Scope(tenant_field="tenant_id", unit_field="_id"),
    USERS: Scope(tenant_field="tenant_id", unit_field="unit_id"),
    APPLICATIONS: Scope(),
    MATERIALS: Scope(),
    MATERIAL_CHUNKS: Scope(),
    STUDIOS: Scope(),
    CHANGE_REQUESTS: Scope(),
    REVOCATIONS: Scope(),
}

# studio.designated / .revoked / .changed are pushed into the studio document they concern.
OUTBOX_COLLECTIONS: list[str] = [STUDIOS]

INDEXES = [
    Index(TENANTS, [("name", ASCENDING)], unique=True),
    Index(UNITS, [("credit_code", ASCENDING)], unique=True),
    Index(UNITS, [("tenant_id", ASCENDING), ("name", ASCENDING)]),
    Index(USERS, [("tenant_id", ASCENDING), ("unit_id", ASCENDING)]),
    # applications: lists by tenant/year/status; R-6 "one open application per master and per
    # unit/branch + occupation" held by unique keys set while an application is open.
    Index(APPLICATIONS, [("tenant_id", ASCENDING), ("year", ASCENDING), ("status", ASCENDING)]),
    Index(APPLICATIONS, [("year", ASCENDING), ("status", ASCENDING)]),
    Index(APPLICATIONS, [("studio_id", ASCENDING)], sparse=True),
    Index(APPLICATIONS, [("_open_master_key", ASCENDING)], unique=True, sparse=True, name="r6_open_master"),
    Index(APPLICATIONS, [("_open_slot_key", ASCENDING)], unique=True, sparse=True, name="r6_open_slot"),
    # Idempotency-Key of each creating request (shared/idempotency.py): the record carries its key,
    # so a retry after a gateway restart answers the record it made. Objections and materials keep
    # theirs in their application (``_idem_within``), lead changes as applications.
    idempotency_index(APPLICATIONS),
    idempotency_index(TENANTS),
    idempotency_index(UNITS),
    idempotency_index(USERS),
    idempotency_index(CHANGE_REQUESTS),
    Index(MATERIALS, [("application_id", ASCENDING), ("uploaded_at", ASCENDING)]),
    Index(MATERIAL_CHUNKS, [("material_id", ASCENDING), ("n", ASCENDING)], unique=True),
    # studios: one per application; R-7 sequence per year (nameplate); R-6 while active.
    Index(STUDIOS, [("application_id", ASCENDING)], unique=True, name="one_studio_per_application"),
    Index(STUDIOS, [("year", ASCENDING), ("seq", DESCENDING)], unique=True, name="r7_year_sequence"),
    Index(STUDIOS, [("_active_lead_key", ASCENDING)], unique=True, sparse=True, name="r6_active_lead"),
    Index(STUDIOS, [("_active_slot_key", ASCENDING)], unique=True, sparse=True, name="r6_active_slot"),
    Index(STUDIOS, [("tenant_id", ASCENDING), ("status", ASCENDING)]),
    Index(CHANGE_REQUESTS, [("studio_id", ASCENDING), ("created_at", ASCENDING)]),
    Index(REVOCATIONS, [("studio_id", ASCENDING), ("created_at", ASCENDING)]),
    Index(REVOCATIONS, [("_open_key", ASCENDING)], unique=True, sparse=True, name="one_open_revocation"),
    *INBOX_INDEXES,
    *UPLOAD_INDEXES,
    *JOB_INDEXES,
    *outbox_indexes(OUTBOX_COLLECTIONS),
]

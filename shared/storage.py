"""MongoDB access for every service: one database per service, every query tenant-scoped.

``Mongo`` is the DependencyProvider. With ``MONGO_URI=mongodb://…`` it talks pymongo to a
real MongoDB; with ``MONGO_URI`` empty it uses the embedded in-process stand-in
(mongomock-ng) and says so loudly at start-up: *data is kept in memory*. With
``MONGO_URI=memory://NAME`` containers in one process that name the same store share it,
as they would share a server; tests use that to stop and restart a service and keep its data.

Differences of the stand-in that this code relies on NOT existing (so both behave alike):
unique indexes, ``bulk_write``, ``aggregate`` and single-document atomic updates work the
same. What differs and is avoided here: multi-document transactions (a real MongoDB needs
a replica set for them; we never need them: every state change and the event it causes are
one document), ``$where``/JS, collations and text indexes (not used), and write concerns
(accepted and ignored by the stand-in).

The data-access layer: a worker gets a ``Store`` bound to its caller. ``store.scoped(name)``
returns a collection wrapper that adds the tenant (and, for unit users, the unit) filter to
every read and checks every write; a record outside the caller's scope is "not found" (404).
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.principal import UNIT, Principal, principal_from_context

log = logging.getLogger("skillmaster.storage")

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Index:
    collection: str
    keys: Sequence[tuple[str, int]]
    unique: bool = False
    name: str | None = None
    sparse: bool = False


@dataclass(frozen=True)
class Scope:
    """Which fields of a collection's documents name its tenant and unit."""
    tenant_field: str | None = "tenant_id"
    unit_field: str | None = "unit_id"


_MEMORY_STORES: dict[str, Any] = {}
_MEMORY_LOCK = threading.Lock()


def make_client(uri: str | None):
    """A pymongo client for a real server, or the embedded stand-in."""
    if uri and uri.startswith("mongodb"):
        from pymongo import MongoClient
        return MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000), False
    import mongomock_ng
    if uri and uri.startswith("memory://"):
        name = uri[len("memory://"):]
        with _MEMORY_LOCK:
            if name not in _MEMORY_STORES:
                _MEMORY_STORES[name] = mongomock_ng.MongoClient(tz_aware=True)
            return _MEMORY_STORES[name], True
    return mongomock_ng.MongoClient(tz_aware=True), True


def ensure_indexes(db, indexes: Iterable[Index]) -> None:
    """Create the declared indexes (same code path for the real server and the stand-in)."""
    for ix in indexes:
        opts: dict[str, Any] = {"unique": ix.unique}
        if ix.name:
            opts["name"] = ix.name
        if ix.sparse:
            opts["sparse"] = True
        db[ix.collection].create_index(list(ix.keys), **opts)


def public(doc: Mapping | None) -> dict | None:
    """A stored document as the API shows it: ``_id`` becomes ``id``; internal fields dropped."""
    if doc is None:
        return None
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["id"] = doc["_id"]
    return out


def page_args(page: Any = 1, page_size: Any = 50) -> tuple[int, int]:
    errors = {}
    try:
        page = int(page)
        if page < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["page"] = "must be a whole number from 1"
    try:
        page_size = int(page_size)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError
    except (TypeError, ValueError):
        errors["page_size"] = f"must be a whole number from 1 to {MAX_PAGE_SIZE}"
    if errors:
        raise ValidationFailed("bad pagination", errors=errors)
    return page, page_size


class ScopedCollection:
    """A collection seen through a principal: the only way entry points touch tenant data."""

    def __init__(self, collection, principal: Principal, scope: Scope, store: "Store | None" = None):
        self.collection = collection
        self.principal = principal
        self.scope = scope
        self.store = store

    # -- filters -----------------------------------------------------------------------
    def scope_filter(self) -> dict:
        p, s = self.principal, self.scope
        if p.is_city:
            return {}
        flt: dict[str, Any] = {}
        if s.tenant_field:
            flt[s.tenant_field] = p.tenant_id
        if p.role == UNIT and s.unit_field:
            flt[s.unit_field] = p.unit_id
        return flt

    def scoped(self, flt: Mapping | None = None) -> dict:
        extra = self.scope_filter()
        if not flt:
            return dict(extra)
        if not extra:
            return dict(flt)
        return {"$and": [dict(flt), extra]}

    def in_scope(self, doc: Mapping) -> bool:
        s = self.scope
        tenant = doc.get(s.tenant_field) if s.tenant_field else None
        unit = doc.get(s.unit_field) if s.unit_field else None
        if s.unit_field is None:
            return self.principal.sees_tenant(tenant)
        return self.principal.sees_unit(tenant, unit) or (
            # a unit user sees its tenant's records that belong to no unit (e.g. the tenant itself)
            self.principal.role == UNIT and unit is None and self.principal.sees_tenant(tenant))

    # -- reads -------------------------------------------------------------------------
    def get(self, _id: Any, what: str | None = None) -> dict:
        doc = self.collection.find_one(self.scoped({"_id": _id}))
        if doc is None:
            raise NotFound(f"{what or self.collection.name} {_id} not found")
        return doc

    def find_one(self, flt: Mapping | None = None, **kw) -> dict | None:
        return self.collection.find_one(self.scoped(flt), **kw)

    def find(self, flt: Mapping | None = None, sort=None, limit: int = 0) -> list[dict]:
        cursor = self.collection.find(self.scoped(flt))
        if sort:
            cursor = cursor.sort(sort)
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    def count(self, flt: Mapping | None = None) -> int:
        return self.collection.count_documents(self.scoped(flt))

    def page(self, flt: Mapping | None = None, page: Any = 1, page_size: Any = 50,
             sort: Sequence[tuple[str, int]] = (("_id", ASCENDING),),
             render: Callable[[dict], Any] = public) -> dict:
        page, page_size = page_args(page, page_size)
        query = self.scoped(flt)
        skip = (page - 1) * page_size
        cursor = self.collection.find(query).sort(list(sort))
        if not query and tuple(sort) == (("_id", ASCENDING),):
            # a whole collection in _id order is the _id index walked in order: without the hint
            # the embedded store sorts every document in Python (about half of a 17-row page's cost)
            cursor = cursor.hint([("_id", ASCENDING)])
        docs = list(cursor.skip(skip).limit(page_size))
        if 0 < len(docs) < page_size or (page == 1 and not docs):
            total = skip + len(docs)  # a short page is the last one: no second query to count
        else:
            total = self.collection.count_documents(query)
        return {"items": [render(d) for d in docs], "page": page, "page_size": page_size,
                "total": total, "pages": max(1, math.ceil(total / page_size))}

    # -- writes ------------------------------------------------------------------------
    def insert(self, doc: dict, duplicate: str | None = None) -> dict:
        """Insert a document the caller may own; another tenant's is refused as not found."""
        if not self.in_scope(doc):
            raise NotFound(f"{self.scope.tenant_field} {doc.get(self.scope.tenant_field)} not found")
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise Conflict(duplicate or f"a {self.collection.name} record with these keys exists",
                           **_dup_fields(exc))
        return doc

    def update(self, _id: Any, update: Mapping, extra_filter: Mapping | None = None,
               what: str | None = None) -> dict:
        """Atomically update one in-scope document; returns it as it is after the update."""
        flt = {"_id": _id, **(extra_filter or {})}
        try:
            doc = self.collection.find_one_and_update(self.scoped(flt), update,
                                                      return_document=ReturnDocument.AFTER)
        except DuplicateKeyError as exc:
            raise Conflict("the change clashes with an existing record", **_dup_fields(exc))
        if doc is None:
            raise NotFound(f"{what or self.collection.name} {_id} not found")
        return doc


def _dup_fields(exc: DuplicateKeyError) -> dict:
    details = getattr(exc, "details", None) or {}
    key = details.get("keyValue") or details.get("keyPattern")
    return {"duplicate_of": sorted(key)} if isinstance(key, dict) else {}


class Store:
    """A service's database as one worker sees it (bound to that worker's caller)."""

    def __init__(self, db, scopes: Mapping[str, Scope], principal_source: Callable[[], Principal]):
        self.db = db
        self._scopes = scopes
        self._principal_source = principal_source
        # set by a write that answered the record an earlier request with the same
        # Idempotency-Key made (shared/idempotency.py): the answer is marked as a replay
        self.replayed = False

    @property
    def principal(self) -> Principal:
        return self._principal_source()

    def scoped(self, name: str) -> ScopedCollection:
        if name not in self._scopes:
            raise KeyError(f"collection {name!r} has no declared scope")
        return ScopedCollection(self.db[name], self.principal, self._scopes[name], self)

    def as_system(self, reason: str) -> "Store":
        """The same database acting as the service itself (event handlers, timers)."""
        system = Principal.system(reason)
        return Store(self.db, self._scopes, lambda: system)

    def unscoped(self, name: str):
        """A tenant-data collection with NO scope: only for what runs before anyone is
        known (checking a password). Everything else goes through ``scoped``."""
        return self.db[name]

    def internal(self, name: str):
        """A technical collection that holds no tenant data (counters, inbox, dead letters)."""
        if name in self._scopes:
            raise KeyError(f"collection {name!r} holds tenant data: use scoped()")
        return self.db[name]


class Mongo(DependencyProvider):
    """Gives each worker a ``Store`` of this service's own database.

    ``scopes`` declares, for each tenant-data collection, where its tenant and unit are;
    ``indexes`` are created in ``setup()`` before any entry point runs.
    """

    def __init__(self, service: str, scopes: Mapping[str, Scope], indexes: Sequence[Index] = ()):
        self.service = service
        self.scopes = dict(scopes)
        self.indexes = list(indexes)
        self.client = None
        self.db = None
        self.embedded = False

    def setup(self):
        config = self.container.config
        uri = config.get("MONGO_URI") or ""
        self.client, self.embedded = make_client(uri)
        self.db = self.client[f"{config.get('MONGO_DB_PREFIX', 'skillmaster')}_{self.service}"]
        if self.embedded:
            log.warning("%s: MONGO_URI is not a mongodb:// URI: using the embedded in-process store; "
                        "data is kept in memory and is lost when the process stops", self.service,
                        extra={"fields": {"service": self.service, "store": "embedded"}})
        ensure_indexes(self.db, self.indexes)

    def stop(self):
        if self.client is not None and not self.embedded:
            self.client.close()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        data = worker_ctx.data
        cache: list[Principal] = []

        def principal() -> Principal:
            if not cache:
                cache.append(principal_from_context(data))
            return cache[0]

        return Store(self.db, self.scopes, principal)


def container_db(container):
    """The database of the ``Mongo`` provider on ``container`` (for sibling providers)."""
    for dep in container.dependencies:
        if isinstance(dep, Mongo):
            return dep.db
    raise RuntimeError(f"{container.service_name} has no Mongo dependency")

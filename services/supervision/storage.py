"""supervision's collections (its own database), their scopes and indexes, and ``Supervision``:
the repository with the service's verbs over one worker's tenant-scoped ``Store``.

Collections
-----------

``studios``        the studio read model fed by registry's events (shared/studios.py)
``inspections``    one document per inspection, its rectification items inside; ``_id`` =
                   inspection_id; scope tenant + unit (a unit sees its studios' inspections)
``summaries``      one document per tenant and year (``_id`` = ``"{tenant_id}:{year}"``), its
                   submitted versions and history inside; ``_outbox`` for ``summary.submitted``.
                   Its studio rows (and each submitted version's) are not inside: ``_rows`` names
                   them in ``summary_rows`` (see below), so the document stays small
``summary_rows``   the studio rows of a summary's draft or submitted version as BSON bytes, one
                   document per content (``_id`` = ``"{summary_id}#r{revision}#{hash}"``), never changed: a
                   rebuild whose rows are the same keeps the document, a submitted version names
                   the draft's; rows no longer named are deleted after the summary's write
``reminders``      one document per reminder sent; ``_id`` = ``key`` (unique: tenant or studio,
                   year, kind), ``_outbox`` for the reminder's event: inserting it is the commit
                   point, so a reminder goes out once however many replicas try
``notifications``  one per notice and audience (``_id`` = notification_id, derived from the
                   cause), ``read_by`` the users who read it; the audience filter is the scope
``due_dates``      the city's summary due date per year (``_id`` = year as text)

A summary is changed by optimistic concurrency: every write names the ``revision`` it read;
a concurrent writer gets 409 and retries.

Why the rows live apart: a MongoDB-wire server re-encodes (and, for an update, copies and diffs)
the whole document on every write, however small the change. With 2,000 studio rows inside, a
rebuild, an edit of the narrative or a submission each cost about 0.35 s of the store's time
(issue 16's benchmark); with the rows apart they are a small write, and the rows are written
only when they changed, as one binary value (nothing queries inside them).
"""
from __future__ import annotations

import hashlib
import math
from datetime import date, datetime
from typing import Any, Iterable, Mapping

import bson
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.supervision.domain import inspections as insp
from services.supervision.domain import notifications as notes
from services.supervision.domain import status as city_status
from services.supervision.domain import summaries as sm
from services.supervision.domain.deadlines import parse_date, parse_year, summary_due_on
from services.supervision.domain.reminders import Reminder
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.idempotency import create_once, idempotency_index
from shared.inbox import INBOX_INDEXES
from shared.outbox import OUTBOX_FIELD, outbox_indexes
from shared.storage import Index, Scope, Store, page_args
from shared.studios import STUDIO_INDEXES, STUDIO_SCOPES, STUDIOS, StudioDirectory

INSPECTIONS, SUMMARIES, SUMMARY_ROWS, REMINDERS, NOTIFICATIONS, DUE_DATES = (
    "inspections", "summaries", "summary_rows", "reminders", "notifications", "due_dates")

SCOPES = {
    **STUDIO_SCOPES,
    INSPECTIONS: Scope("tenant_id", "unit_id"),
    SUMMARIES: Scope("tenant_id", None),
    SUMMARY_ROWS: Scope("tenant_id", None),
    REMINDERS: Scope("tenant_id", None),
    NOTIFICATIONS: Scope(None, None),        # scoped by audience in ``Supervision.notifications_page``
    DUE_DATES: Scope(None, None),            # city settings, readable by everyone
}

OUTBOX_COLLECTIONS = [SUMMARIES, REMINDERS]

INDEXES = [
    *STUDIO_INDEXES,
    Index(INSPECTIONS, [("tenant_id", ASCENDING), ("year", ASCENDING), ("inspected_on", DESCENDING)]),
    Index(INSPECTIONS, [("studio_id", ASCENDING), ("year", ASCENDING)]),
    Index(INSPECTIONS, [("rectifications.state", ASCENDING), ("rectifications.due_on", ASCENDING)]),
    idempotency_index(INSPECTIONS),
    Index(SUMMARIES, [("year", ASCENDING), ("tenant_id", ASCENDING)], unique=True, name="one_summary_a_year"),
    Index(SUMMARY_ROWS, [("summary_id", ASCENDING), ("revision", ASCENDING)]),
    Index(REMINDERS, [("key", ASCENDING)], unique=True, name="reminder_sent_once"),
    Index(NOTIFICATIONS, [("audience", ASCENDING), ("created_at", DESCENDING)]),
    *outbox_indexes(OUTBOX_COLLECTIONS),
    *INBOX_INDEXES,
]

# what the status view reads of a summary (never its studio rows or snapshots)
STATUS_FIELDS = {k: 1 for k in ("summary_id", "tenant_id", "year", "state", "version", "due_on", "first_submission")}
# in a stored summary and in each of its submitted versions: {"id", "hash"} of its studio rows in
# ``summary_rows`` (in place of the ``studios`` list the domain and the API see)
ROWS = "_rows"


def rows_bytes(rows: list) -> bytes:
    """Studio rows as stored: one BSON document's bytes (``{"rows": rows}``, encoded in C, ~12 ms
    for 2,000 rows; the same rows give the same bytes). One binary value is all the store
    handles, where 2,000 nested documents cost it ~0.25 s to insert (measured under load 12)."""
    return bson.encode({"rows": rows})


def stored_rows(data: bytes) -> list:
    return bson.decode(data)["rows"]


def bytes_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _row_refs(doc: Mapping | None) -> list[dict]:
    if not doc:
        return []
    parts = [doc, *(doc.get("versions") or [])]
    return [p[ROWS] for p in parts if p.get(ROWS)]


def _public(doc: Mapping) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class Supervision:
    """What supervision does with its data, for one worker (``store`` is bound to the caller)."""

    def __init__(self, store: Store, now: datetime, today: date):
        self.store, self.now, self.today = store, now, today

    @property
    def principal(self):
        return self.store.principal

    def studios(self) -> StudioDirectory:
        return StudioDirectory(self.store)

    def tenant_studios(self, tenant_id: str) -> list[dict]:
        """The tenant's studios of the read model, every status, as ``StudioDirectory`` renders them.
        Read whole: the applied-event ids each document keeps are a few short strings, and on the
        MongoDB-wire store a projection costs the server more than it saves (issue 16's bench)."""
        coll = self.store.scoped(STUDIOS)
        docs = coll.collection.find(coll.scoped({"tenant_id": tenant_id}))
        return [StudioDirectory.render(d) for d in docs]

    def _see_tenant(self, tenant_id: str) -> None:
        if not self.principal.sees_tenant(tenant_id):
            raise NotFound(f"tenant {tenant_id} not found")

    def require_editor(self, tenant_id: str) -> None:
        """Another tenant's summary is 404; a role that may see but not write it, 403 (R-12)."""
        self._see_tenant(tenant_id)
        if not sm.may_edit(self.principal, tenant_id):
            raise Forbidden("the tenant builds, edits and submits its own summary (R-12)")

    # -- due dates (the city's setting per year, R-12) ------------------------------------
    def summary_due_on(self, year: int) -> date:
        doc = self.store.scoped(DUE_DATES).find_one({"_id": str(year)})
        return summary_due_on(year, {str(year): doc["summary_due_on"]} if doc else None)

    def set_summary_due_on(self, year: Any, due_on: Any) -> dict:
        year, due = parse_year(year), parse_date(due_on, "due_on")
        summary_due_on(year, {str(year): due.isoformat()})           # same-year check
        self.store.scoped(DUE_DATES).collection.update_one(
            {"_id": str(year)}, {"$set": {"summary_due_on": due.isoformat(), "set_by": self.principal.user,
                                           "set_at": self.now}}, upsert=True)
        return {"year": year, "summary_due_on": due.isoformat()}

    # -- inspections ----------------------------------------------------------------------
    def record_inspection(self, tenant_id: str, data: Mapping, idempotency_key: str | None) -> tuple[dict, bool]:
        self._see_tenant(tenant_id)
        if not insp.may_record(self.principal, tenant_id):
            raise Forbidden("the studio's tenant records its inspections (R-12)")
        studio = self.studios().find(data["studio_id"])
        if studio is None or studio["tenant_id"] != tenant_id:
            raise NotFound(f"studio {data['studio_id']} not found", errors={"studio_id": "not a studio of this tenant"})
        doc, created = create_once(
            self.store.scoped(INSPECTIONS), idempotency_key, data,
            lambda: self._with_id(insp.new_inspection(data, studio, recorded_by=self.principal.user,
                                                      now=self.now, today=self.today)), "inspection")
        return _public(doc), created

    @staticmethod
    def _with_id(doc: dict) -> dict:
        return {"_id": doc["inspection_id"], "revision": 1, **doc}

    def inspections_page(self, tenant_id: str, year=None, studio_id=None, page=1, page_size=50) -> dict:
        self._see_tenant(tenant_id)
        flt: dict[str, Any] = {"tenant_id": tenant_id}
        if year not in (None, ""):
            flt["year"] = parse_year(year)
        if studio_id:
            flt["studio_id"] = studio_id
        return self.store.scoped(INSPECTIONS).page(flt, page, page_size,
                                                   sort=[("inspected_on", DESCENDING), ("_id", ASCENDING)],
                                                   render=_public)

    def _inspection(self, tenant_id: str, inspection_id: str) -> dict:
        self._see_tenant(tenant_id)
        doc = self.store.scoped(INSPECTIONS).find_one({"_id": inspection_id, "tenant_id": tenant_id})
        if doc is None:
            raise NotFound(f"inspection {inspection_id} not found")
        return doc

    def inspection(self, tenant_id: str, inspection_id: str) -> dict:
        return _public(self._inspection(tenant_id, inspection_id))

    def close_item(self, tenant_id: str, inspection_id: str, item_id: str, evidence: Mapping) -> dict:
        doc = self._inspection(tenant_id, inspection_id)
        item = insp.close_item(doc, item_id, evidence, principal=self.principal, today=self.today)
        items = [item if it["item_id"] == item["item_id"] else it for it in doc["rectifications"]]
        updated = self.store.scoped(INSPECTIONS).collection.find_one_and_update(
            {"_id": doc["_id"], "revision": doc["revision"]},
            {"$set": {"rectifications": items, "revision": doc["revision"] + 1}}, return_document=ReturnDocument.AFTER)
        if updated is None:
            raise Conflict("the inspection changed meanwhile; read it again and retry")
        return _public(updated)

    def inspection_digest(self, year: Any, tenant_id: str | None = None, studio_ids: Iterable[str] | None = None,
                          studios: list[dict] | None = None) -> list[dict]:
        """One row a studio (``studios``: the read model rows, when the caller has them already)."""
        year = parse_year(year)
        if studios is None:
            studios = self.studios().list(tenant_id=tenant_id, status=None)
        if studio_ids is not None:
            wanted = set(studio_ids)
            studios = [s for s in studios if s["studio_id"] in wanted]
        flt: dict[str, Any] = {"year": year}
        if tenant_id:
            flt["tenant_id"] = tenant_id
        coll = self.store.scoped(INSPECTIONS)
        # read whole: the MongoDB-wire store decodes each document anyway, and projecting it costs
        # the server more than sending it (2,000 inspections: ~250 ms of its CPU projected, ~170 ms whole)
        docs = coll.collection.find(coll.scoped(flt))
        return insp.digest_rows(docs, year, studios)

    def rectifications_due(self, days_before: int = 3) -> list[tuple[dict, dict]]:
        docs = self.store.scoped(INSPECTIONS).find({"rectifications.state": insp.OPEN})
        return insp.rectifications_due(docs, self.today, days_before=days_before)

    # -- summaries --------------------------------------------------------------------------
    def _summary(self, tenant_id: str, year: int) -> dict:
        """The stored summary (its rows named by ``_rows``, not in it)."""
        self._see_tenant(tenant_id)
        doc = self.store.scoped(SUMMARIES).find_one({"_id": sm.summary_id(tenant_id, year)})
        if doc is None:
            raise NotFound(f"no summary of {tenant_id} for {year} yet: build the draft first")
        return doc

    def _joined(self, doc: Mapping, versions: bool = False) -> dict:
        """A stored summary as the domain and the API see it: its studio rows in ``studios``
        (and, with ``versions``, each submitted version's)."""
        parts = [doc, *(doc.get("versions") or [])] if versions else [doc]
        ids = sorted({p[ROWS]["id"] for p in parts if p.get(ROWS)})
        found: dict[str, list] = {}
        if ids:
            coll = self.store.scoped(SUMMARY_ROWS)
            docs = coll.collection.find(coll.scoped({"_id": {"$in": ids}}))
            found = {d["_id"]: stored_rows(d["rows"]) for d in docs}

        def put(part: Mapping) -> dict:
            out = dict(part)                 # ``_rows`` stays: a write of it knows its rows are stored
            if part.get(ROWS):
                if part[ROWS]["id"] not in found:
                    raise RuntimeError(f"summary {doc['_id']}: its studio rows {part[ROWS]['id']} are missing")
                out["studios"] = found[part[ROWS]["id"]]
            return out

        joined = put(doc)
        if versions and doc.get("versions"):
            joined["versions"] = [put(v) for v in doc["versions"]]
        return joined

    def _stored(self, old: Mapping | None, new: Mapping) -> dict:
        """``new`` (as the domain made it) in stored form: each ``studios`` list replaced by its
        ``_rows``; rows ``old`` does not name already are inserted into ``summary_rows``."""
        known = {ref["hash"]: ref for ref in _row_refs(old)}
        # the rows ``old`` was read with, passed on unchanged (an edit, a submission): no need to hash them
        read = {id(p["studios"]): p[ROWS] for p in [old or {}, *((old or {}).get("versions") or [])]
                if p.get(ROWS) and isinstance(p.get("studios"), list)}

        def keep(rows: list) -> dict:
            if id(rows) in read:
                return read[id(rows)]
            data = rows_bytes(rows)
            digest = bytes_hash(data)
            if digest not in known:
                ref = {"id": f"{new['summary_id']}#r{new['revision']}#{digest}", "hash": digest}
                try:
                    self.store.scoped(SUMMARY_ROWS).collection.insert_one(
                        {"_id": ref["id"], "summary_id": new["summary_id"], "tenant_id": new["tenant_id"],
                         "year": new["year"], "revision": new["revision"], "rows": data})
                except DuplicateKeyError:     # the same rows by a concurrent writer of this revision
                    pass
                known[digest] = ref
            return known[digest]

        out = {k: v for k, v in new.items() if k != "studios"}
        if isinstance(new.get("studios"), list):
            out[ROWS] = keep(new["studios"])
        if new.get("versions"):
            out["versions"] = [{**{k: x for k, x in v.items() if k != "studios"}, ROWS: keep(v["studios"])}
                               if isinstance(v.get("studios"), list) else v for v in new["versions"]]
        return out

    def summary(self, tenant_id: str, year: Any) -> dict:
        return _public(self._joined(self._summary(tenant_id, parse_year(year))))

    def summary_version(self, tenant_id: str, year: Any, version: Any) -> dict:
        try:
            n = int(version)
        except (TypeError, ValueError):
            raise ValidationFailed("version is a whole number", errors={"version": "not a number"})
        view = sm.version_view(self._joined(self._summary(tenant_id, parse_year(year)), versions=True), n)
        return {k: v for k, v in view.items() if k != ROWS}

    def build_draft(self, tenant_id: str, tenant_name: str, year: int, figures: dict, rows: list,
                    sources: Mapping[str, str]) -> tuple[dict, bool]:
        """A new draft (created True) or the existing draft rebuilt; 409 if it was submitted. The
        rows are written only when they differ from the draft's (``summary_rows``)."""
        self.require_editor(tenant_id)
        due = self.summary_due_on(year)
        coll = self.store.scoped(SUMMARIES)
        existing = coll.find_one({"_id": sm.summary_id(tenant_id, year)})
        if existing is None:
            doc = sm.new_summary(tenant_id, tenant_name, year, due, figures, rows, by=self.principal.user,
                                 now=self.now, sources=sources)
            try:
                coll.insert({"_id": doc["summary_id"], **self._stored(None, doc)})
                return _public(doc), True
            except Conflict:
                existing = coll.find_one({"_id": sm.summary_id(tenant_id, year)})
                if existing is None:
                    raise
        new = sm.refresh(existing, figures, rows, by=self.principal.user, now=self.now, sources=sources, due_on=due)
        self._write(existing, new, answer=False)
        return _public(new), False

    def edit_narrative(self, tenant_id: str, year: Any, narrative: Mapping) -> dict:
        self.require_editor(tenant_id)
        doc = self._joined(self._summary(tenant_id, parse_year(year)))
        return self._write(doc, sm.edit_narrative(doc, narrative, by=self.principal.user, now=self.now))

    def submit(self, tenant_id: str, year: Any, idempotency_key: str | None, event) -> tuple[dict, bool]:
        """``event(summary) -> envelope`` builds ``summary.submitted`` (the worker's outbox recorder)."""
        self.require_editor(tenant_id)
        doc = self._joined(self._summary(tenant_id, parse_year(year)))
        new, submitted = sm.submit(doc, by=self.principal.user, now=self.now, idempotency_key=idempotency_key)
        if not submitted:
            return _public(doc), False
        return self._write(doc, new, event(new)), True

    def reopen(self, tenant_id: str, year: Any, reason: str) -> dict:
        doc = self._joined(self._summary(tenant_id, parse_year(year)))
        return self._write(doc, sm.reopen(doc, reason, principal=self.principal, now=self.now))

    def _write(self, old: Mapping, new: Mapping, event: dict | None = None, answer: bool = True) -> dict | None:
        """Store ``new`` where the summary still has ``old``'s revision (409 otherwise). ``old``
        and ``new`` may hold their rows (``studios``) or name them (``_rows``); rows that changed
        are inserted first, and rows no longer named are deleted after the write."""
        stored = self._stored(old, new)
        fields = {k: v for k, v in stored.items() if k != "_id" and not k.startswith("_")}
        if ROWS in stored:
            fields[ROWS] = stored[ROWS]
        # ``studios`` inside: a summary stored before its rows moved out (unsetting what is not there is a no-op)
        update: dict[str, Any] = {"$set": fields, "$unset": {"studios": ""}}
        if event is not None:
            update["$push"] = {OUTBOX_FIELD: event}
        coll = self.store.scoped(SUMMARIES).collection
        match = {"_id": old["_id"], "revision": old["revision"]}
        if not answer:
            if coll.update_one(match, update).matched_count == 0:
                raise Conflict("the summary changed meanwhile; read it again and retry", rule="R-12")
            doc = None
        else:
            doc = coll.find_one_and_update(match, update, return_document=ReturnDocument.AFTER)
            if doc is None:
                raise Conflict("the summary changed meanwhile; read it again and retry", rule="R-12")
        if {r["id"] for r in _row_refs(stored)} != {r["id"] for r in _row_refs(old)}:
            self._sweep_rows(stored)
        if doc is None:
            return None
        if "studios" in new:
            doc["studios"] = new["studios"]
        return _public(doc)

    def _sweep_rows(self, stored: Mapping) -> None:
        """Delete the summary's rows that its stored revision no longer names. Rows of a later
        revision (a writer still under way) are left alone: only its own write can name them."""
        coll = self.store.scoped(SUMMARY_ROWS)
        coll.collection.delete_many(coll.scoped({
            "summary_id": stored["summary_id"], "revision": {"$lte": stored["revision"]},
            "_id": {"$nin": [r["id"] for r in _row_refs(stored)]}}))

    def summaries_of_year(self, year: int) -> dict[str, dict]:
        docs = self.store.scoped(SUMMARIES).collection.find({"year": year}, STATUS_FIELDS)
        return {d["tenant_id"]: d for d in docs}

    def status_rows(self, year: Any, tenants: Iterable[Mapping], status: str | None = None,
                    tenant_id: str | None = None) -> list[dict]:
        """The city's status view (``status``/``tenant_id`` filters); a tenant user gets its own row only."""
        year = parse_year(year)
        if status not in (None, "") and status not in city_status.STATUSES:
            raise ValidationFailed("unknown status", errors={"status": "one of " + ", ".join(city_status.STATUSES)})
        p = self.principal
        tenants = [t for t in tenants if p.sees_tenant(t["tenant_id"]) and tenant_id in (None, "", t["tenant_id"])]
        rows = city_status.status_rows(tenants, year, self.summary_due_on(year), self.summaries_of_year(year), self.today)
        return [r for r in rows if not status or r["status"] == status]

    # -- reminders (sent once: the unique key is the commit point) -------------------------
    def remember(self, reminder: Reminder, event: dict) -> bool:
        doc = {"_id": reminder.key, "key": reminder.key, "type": reminder.event_type,
               "tenant_id": reminder.tenant_id, "data": reminder.data, "created_at": self.now,
               OUTBOX_FIELD: [event]}
        try:
            self.store.scoped(REMINDERS).collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def submitted_tenants(self, year: int) -> list[str]:
        return [t for t, d in self.summaries_of_year(year).items() if d.get("first_submission")]

    # -- notifications ----------------------------------------------------------------------
    def notify(self, docs: Iterable[dict]) -> int:
        made = 0
        coll = self.store.scoped(NOTIFICATIONS).collection
        for doc in docs:
            try:
                coll.insert_one({"_id": doc["notification_id"], **doc})
                made += 1
            except DuplicateKeyError:
                continue
        return made

    def notifications_page(self, page=1, page_size=50, unread_only=False) -> dict:
        """The caller's notifications, unread first (newest first within each), and the unread count."""
        page, page_size = page_args(page, page_size)
        user = self.principal.user
        coll = self.store.scoped(NOTIFICATIONS).collection
        base = {"audience": {"$in": notes.audience_keys(self.principal)}}
        unread_q, read_q = {**base, "read_by": {"$ne": user}}, {**base, "read_by": user}
        unread = coll.count_documents(unread_q)
        total = unread if unread_only else coll.count_documents(base)
        skip, items = (page - 1) * page_size, []
        order = [("created_at", DESCENDING), ("_id", ASCENDING)]
        if skip < unread:
            items += list(coll.find(unread_q).sort(order).skip(skip).limit(page_size))
        if not unread_only and len(items) < page_size:
            items += list(coll.find(read_q).sort(order).skip(max(0, skip - unread)).limit(page_size - len(items)))
        return {"items": [notes.view(d, user) for d in items], "page": page, "page_size": page_size,
                "total": total, "pages": max(1, math.ceil(total / page_size)), "unread": unread}

    def mark_read(self, notification_id: str) -> dict:
        user = self.principal.user
        doc = self.store.scoped(NOTIFICATIONS).collection.find_one_and_update(
            {"_id": notification_id, "audience": {"$in": notes.audience_keys(self.principal)}},
            {"$addToSet": {"read_by": user}}, return_document=ReturnDocument.AFTER)
        if doc is None:
            raise NotFound(f"notification {notification_id} not found")
        return notes.view(doc, user)

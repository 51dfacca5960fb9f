"""reporting's collections, scopes and indexes, and ``Reports``: the repository with the
reporting verbs (save a draft, submit, accept, return, read versions, due dates, the digest)
over one worker's tenant-scoped ``Store``. The rules are the pure ``domain``; this module
only loads, calls them and writes.

Collections
-----------

``reports``    one document a studio, year and kind (``_id`` = ``studio:year:kind``): state,
               the versions' metadata (number, who, when, due day, late days, outcome,
               reasons, and the key figures: outputs, economic benefit, agreement targets),
               the history, ``rev`` (optimistic lock) and ``_outbox`` (its events).
``contents``   the bodies (``_id`` = ``report_id:draft`` / ``report_id:v<n>``): a plan of
               10,000 rows is kept out of the report document (MongoDB's 16 MB bound).
``error_workbooks`` an upload's error workbook for the clerk to download (``_id`` = a random
               token; gone after a day). Uploads themselves wait in ``uploads``/``upload_chunks``
               (shared/uploads.py) until ``import_workbook`` takes them.
``due_dates``  the city's due days per year (no tenant data).
``submission_keys`` the Idempotency-Key of each submission (per user; no tenant data).
``studios``    the studio read model (shared/studios.py).

Every state change is one single-document write of ``reports`` guarded by ``rev``, and its
event goes out through that document's ``_outbox`` in the same write. A version's body is
written first (replace by id: writing it twice changes nothing), then the report.
"""
from __future__ import annotations

import copy
import datetime as _dt
import secrets
from typing import Any, Mapping

from pymongo import ASCENDING

from services.reporting.contract import DIGEST_STATES, TIMELINESS
from services.reporting.domain import comparison, deadlines, lifecycle, records
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.idempotency import fingerprint
from shared.inbox import INBOX_INDEXES
from shared.outbox import outbox_indexes
from shared.principal import Principal
from shared.storage import Index, Scope, Store
from shared.uploads import UPLOAD_INDEXES
from shared.studios import ACTIVE, STUDIO_INDEXES, STUDIO_SCOPES, STUDIOS, StudioDirectory

REPORTS, CONTENTS, ERROR_WORKBOOKS, DUE_DATES = "reports", "contents", "error_workbooks", "due_dates"
IDEMPOTENCY = "submission_keys"     # Idempotency-Key of each submission: {_id: user:key, hash, report_id}

SCOPES = {
    **STUDIO_SCOPES,
    REPORTS: Scope("tenant_id", "unit_id"),
    CONTENTS: Scope("tenant_id", "unit_id"),
    ERROR_WORKBOOKS: Scope("tenant_id", "unit_id"),
}

# collections whose documents carry an ``_outbox`` (shared/outbox.py)
OUTBOX_COLLECTIONS: list[str] = [REPORTS]

INDEXES = [
    *STUDIO_INDEXES,
    Index(REPORTS, [("studio_id", ASCENDING), ("year", ASCENDING), ("kind", ASCENDING)], unique=True,
          name="one_record_per_studio_year_kind"),
    Index(REPORTS, [("year", ASCENDING), ("tenant_id", ASCENDING), ("kind", ASCENDING)]),
    Index(REPORTS, [("year", ASCENDING), ("state", ASCENDING)]),
    Index(CONTENTS, [("report_id", ASCENDING)]),
    Index(ERROR_WORKBOOKS, [("created_at", ASCENDING)]),
    *UPLOAD_INDEXES,
    *outbox_indexes(OUTBOX_COLLECTIONS),
    *INBOX_INDEXES,
]

UPLOAD_TTL = _dt.timedelta(days=1)
EVENT_TYPES = {"submitted": "report.submitted", "returned": "report.returned", "accepted": "report.accepted"}


def _summary(kind: str, content: Mapping) -> dict:
    """The key figures kept with a version (the digest and the year's list read only these)."""
    if kind == records.AGREEMENT:
        return {"signed_on": content["signed_on"],
                "tasks": [{"title": t["title"], "output": t["output"], "target": t["target"]}
                          for t in content["tasks"]]}
    return {"outputs": records.outputs_of(content), "economic_benefit_fen": content["economic_benefit_fen"]}


class Reports:
    """The reporting repository for one worker: its store (scoped to the caller) and clock."""

    def __init__(self, store: Store, now: _dt.datetime, record_event=None, due_defaults=None):
        self.store = store
        self.now = now
        self.today = deadlines.local_day(now)
        self.record_event = record_event          # (type, data, tenant_id) -> envelope
        self.due_defaults = due_defaults or deadlines.DEFAULT_DAYS

    @property
    def principal(self) -> Principal:
        return self.store.principal

    # -- studios -------------------------------------------------------------------------
    def studio(self, studio_id: str) -> dict:
        """The studio as the caller sees it: another tenant's or another unit's is 404."""
        return StudioDirectory(self.store).get(studio_id)

    # -- due dates -----------------------------------------------------------------------
    def due_dates(self, year: int) -> deadlines.DueDates:
        records.check_year(year)
        doc = self.store.internal(DUE_DATES).find_one({"_id": year}) or {}
        return deadlines.DueDates.for_year(year, doc.get("days"), self.due_defaults)

    def set_due_dates(self, year: int, days: Mapping[str, str]) -> deadlines.DueDates:
        records.check_year(year)
        clean = {}
        for kind in ("plan", "results"):
            if days.get(kind):
                try:
                    clean[kind] = _dt.date.fromisoformat(days[kind]).isoformat()
                except (TypeError, ValueError):
                    raise ValidationFailed("due dates are ISO dates", errors={kind: "must be YYYY-MM-DD"})
        self.store.internal(DUE_DATES).update_one(
            {"_id": year}, {"$set": {**{f"days.{k}": v for k, v in clean.items()},
                                     "set_by": self.principal.user, "set_at": self.now}}, upsert=True)
        return self.due_dates(year)

    # -- one record ----------------------------------------------------------------------
    def _doc(self, studio_id: str, year: int, kind: str) -> dict | None:
        return self.store.scoped(REPORTS).find_one({"_id": lifecycle.report_id(studio_id, year, kind)})

    def _content(self, report_id: str, which: str) -> dict | None:
        doc = self.store.scoped(CONTENTS).find_one({"_id": f"{report_id}:{which}"})
        return doc["content"] if doc else None

    def _write_content(self, record: Mapping, which: str, content: Mapping) -> None:
        coll = self.store.scoped(CONTENTS).collection
        coll.replace_one({"_id": f"{record['report_id']}:{which}"},
                         {"report_id": record["report_id"], "tenant_id": record["tenant_id"],
                          "unit_id": record["unit_id"], "which": which, "content": content}, upsert=True)

    def get(self, studio_id: str, year: int, kind: str) -> dict:
        """The record with its draft and latest version's content, and (results) the comparison."""
        records.check_kind(kind)
        studio = self.studio(studio_id)
        doc = self._doc(studio_id, year, kind)
        if doc is None:
            raise NotFound(f"no {kind} of studio {studio_id} for {year} yet")
        out = self.render(doc, studio)
        out["draft"] = self._content(doc["_id"], "draft") if doc.get("draft") else None
        latest = doc["versions"][-1] if doc["versions"] else None
        out["content"] = self._content(doc["_id"], f"v{latest['version']}") if latest else None
        if kind == records.RESULTS:
            agreement, plan = self._targets(studio_id, year)   # read once, compared twice
            out["targets"] = comparison.compare(results=out["content"], plan=plan, agreement=agreement)
            editing = out["draft"] and doc["state"] in lifecycle.EDITABLE
            out["draft_targets"] = (comparison.compare(results=out["draft"], plan=plan, agreement=agreement)
                                    if editing else None)
        return out

    def version(self, studio_id: str, year: int, kind: str, number: int) -> dict:
        self.studio(studio_id)
        doc = self._doc(studio_id, year, kind)
        meta = lifecycle.version(doc, number) if doc else None
        if meta is None:
            raise NotFound(f"{kind} {studio_id}/{year} has no version {number}")
        return {**self._version_out(meta), "content": self._content(doc["_id"], f"v{number}")}

    def versions(self, studio_id: str, year: int, kind: str) -> list[dict]:
        self.studio(studio_id)
        doc = self._doc(studio_id, year, kind)
        return [self._version_out(v) for v in (doc or {}).get("versions", ())]

    def targets(self, studio_id: str, year: int, *, results: Mapping | None = None) -> list[dict]:
        """Results against the agreement's and the plan's targets (latest submitted versions)."""
        agreement, plan = self._targets(studio_id, year)
        if results is None:
            results = self._latest_content(studio_id, year, records.RESULTS)
        return comparison.compare(results=results, plan=plan, agreement=agreement)

    def _targets(self, studio_id: str, year: int) -> tuple[dict | None, dict | None]:
        """The latest submitted agreement and plan: what results are measured against."""
        return (self._latest_content(studio_id, year, records.AGREEMENT),
                self._latest_content(studio_id, year, records.PLAN))

    def _latest_content(self, studio_id: str, year: int, kind: str) -> dict | None:
        doc = self._doc(studio_id, year, kind)
        if not doc or not doc["versions"]:
            return None
        return self._content(doc["_id"], f"v{doc['versions'][-1]['version']}")

    # -- changes -------------------------------------------------------------------------
    def save_draft(self, studio_id: str, year: int, kind: str, content: Any) -> dict:
        """A unit stores (or replaces) the draft of its own studio's record (R-10, R-11)."""
        studio = self._reporting_studio(studio_id)
        clean = records.validate_content(kind, year, content)
        record = self._load_or_new(studio, year, kind)
        changed = lifecycle.save_draft(record, clean, by=self.principal.user, at=self.now)
        self._write_content(changed, "draft", clean)
        self._store(record, changed, event=None)
        return self.get(studio_id, year, kind)

    def submit(self, studio_id: str, year: int, kind: str, idempotency_key: str | None = None) -> tuple[dict, bool]:
        """Freeze the draft as the next version; ``(record, created)``: a replay of the same key
        answers the first result (created False); the key used for another record, 409."""
        studio = self._reporting_studio(studio_id)
        record = self._load_or_new(studio, year, kind)
        scoped_key = f"{self.principal.user}:{idempotency_key}" if idempotency_key else None
        digest = fingerprint({"studio_id": studio_id, "year": year, "kind": kind})
        if scoped_key:
            seen = self.store.internal(IDEMPOTENCY).find_one({"_id": scoped_key})
            if seen is not None:
                if seen["hash"] != digest:
                    raise Conflict(f"Idempotency-Key {idempotency_key!r} was used for another submission")
                return self.get(studio_id, year, kind), False
        draft = self._content(record["report_id"], "draft") if record.get("draft") else None
        working = {**record, "draft": draft}
        due_on = self.due_dates(year).of(kind)
        changed, data = lifecycle.submit(working, by=self.principal.user, at=self.now, due_on=due_on)
        meta = changed["versions"][-1]
        content = meta.pop("content")
        meta.update(_summary(kind, content))
        self._write_content(changed, f"v{meta['version']}", content)
        self._store(record, changed, event=("submitted", data))
        if scoped_key:
            self.store.internal(IDEMPOTENCY).update_one(
                {"_id": scoped_key}, {"$setOnInsert": {"hash": digest, "report_id": record["report_id"],
                                                       "version": meta["version"], "at": self.now}}, upsert=True)
        return self.get(studio_id, year, kind), True

    def accept(self, studio_id: str, year: int, kind: str) -> dict:
        record = self._existing(studio_id, year, kind)
        changed, data = lifecycle.accept(record, by=self.principal.user, at=self.now)
        self._store(record, changed, event=("accepted", data))
        return self.get(studio_id, year, kind)

    def return_for_changes(self, studio_id: str, year: int, kind: str, reasons: list) -> dict:
        record = self._existing(studio_id, year, kind)
        number = record["versions"][-1]["version"] if record["versions"] else 0
        working = copy.deepcopy(record)
        if working["versions"]:
            working["versions"][-1]["content"] = self._content(record["report_id"], f"v{number}")
        changed, data = lifecycle.return_for_changes(working, reasons, by=self.principal.user, at=self.now)
        content = changed["versions"][-1].pop("content", None)
        self._write_content(changed, "draft", content)
        self._store(record, changed, event=("returned", data))
        return self.get(studio_id, year, kind)

    def _reporting_studio(self, studio_id: str) -> dict:
        studio = self.studio(studio_id)
        if studio["status"] != ACTIVE:
            raise Conflict(f"studio {studio_id} was revoked on {studio.get('revoked_on')}: it reports no more",
                           rule="R-11")
        return studio

    def _existing(self, studio_id: str, year: int, kind: str) -> dict:
        records.check_kind(kind)
        self.studio(studio_id)
        doc = self._doc(studio_id, year, kind)
        if doc is None:
            raise NotFound(f"no {kind} of studio {studio_id} for {year}")
        return self._as_record(doc)

    def _load_or_new(self, studio: Mapping, year: int, kind: str) -> dict:
        records.check_kind(kind)
        doc = self._doc(studio["studio_id"], year, kind)
        if doc is not None:
            return self._as_record(doc)
        record = lifecycle.new_record(studio_id=studio["studio_id"], tenant_id=studio["tenant_id"],
                                      unit_id=studio["unit_id"], year=year, kind=kind)
        record["rev"] = 0
        return record

    @staticmethod
    def _as_record(doc: Mapping) -> dict:
        record = {k: v for k, v in doc.items() if k not in ("_id", "_outbox", "updated_at")}
        record["report_id"] = doc["_id"]
        return record

    def _store(self, before: Mapping, after: dict, *, event: tuple[str, dict] | None) -> None:
        """One write: the record moves from ``before`` (its ``rev``) to ``after``; 409 if it moved."""
        after = dict(after)
        after["draft"] = bool(after.get("draft"))
        rev = before.get("rev", 0)
        sets = {k: v for k, v in after.items() if k not in ("report_id", "rev")}
        sets.update(rev=rev + 1, updated_at=self.now)
        update: dict = {"$set": sets}
        if event is not None and self.record_event is not None:
            what, data = event
            update["$push"] = {"_outbox": self.record_event(EVENT_TYPES[what], data, after["tenant_id"])}
        coll = self.store.scoped(REPORTS)
        if rev == 0:
            doc = {"_id": after["report_id"], **sets}
            if "$push" in update:
                doc["_outbox"] = [update["$push"]["_outbox"]]
            coll.insert(doc, duplicate="the record was created meanwhile: try again")
            return
        coll.update(after["report_id"], update, extra_filter={"rev": rev},
                    what="report (changed meanwhile: read it again)")

    # -- rendering -----------------------------------------------------------------------
    @staticmethod
    def _version_out(meta: Mapping) -> dict:
        return {k: meta.get(k) for k in ("version", "submitted_at", "submitted_by", "due_on", "late_days",
                                         "outcome", "reasons")}

    def render(self, doc: Mapping, studio: Mapping | None = None) -> dict:
        kind, year = doc["kind"], doc["year"]
        first = lifecycle.first_submitted_at(doc)
        due_on = self.due_dates(year).of(kind)
        latest = doc["versions"][-1] if doc["versions"] else None
        return {"report_id": doc["_id"], "studio_id": doc["studio_id"], "tenant_id": doc["tenant_id"],
                "unit_id": doc["unit_id"], "year": year, "kind": kind, "state": doc["state"],
                "version": latest["version"] if latest else 0, "due_on": due_on.isoformat() if due_on else None,
                "timeliness": self._timeliness(due_on, first, studio) if kind != records.AGREEMENT else None,
                "submitted_at": latest["submitted_at"] if latest else None,
                "versions": [self._version_out(v) for v in doc["versions"]],
                "history": list(doc.get("history", ()))}

    def _timeliness(self, due_on, first, studio: Mapping | None) -> str:
        studio = studio or {}
        return deadlines.timeliness(due_on=due_on, first_submitted_at=first, today=self.today,
                                    designated_on=_date(studio.get("designated_on")),
                                    revoked_on=_date(studio.get("revoked_on")))

    # -- the year ------------------------------------------------------------------------
    def digest(self, year: int, tenant_id: str | None = None, studio_ids: list | None = None) -> list[dict]:
        """``report_digest`` (CONTRACTS.md): one item a studio the caller sees."""
        records.check_year(year)
        flt: dict = {}
        if tenant_id:
            flt["tenant_id"] = tenant_id
        if studio_ids is not None:
            flt["_id"] = {"$in": [str(s) for s in studio_ids][:10_000]}
        studios = self.store.scoped(STUDIOS).find(flt, sort=[("_id", ASCENDING)])
        report_flt: dict = {"year": year}
        if tenant_id:
            report_flt["tenant_id"] = tenant_id
        by_studio: dict[str, dict] = {}
        for doc in self.store.scoped(REPORTS).find(report_flt):
            by_studio.setdefault(doc["studio_id"], {})[doc["kind"]] = doc
        due = self.due_dates(year)
        return [self._digest_item(StudioDirectory.render(s), year, by_studio.get(s["_id"], {}), due) for s in studios]

    def _digest_item(self, studio: Mapping, year: int, docs: Mapping[str, Mapping], due: deadlines.DueDates) -> dict:
        item = {"studio_id": studio["studio_id"], "tenant_id": studio["tenant_id"], "unit_id": studio["unit_id"],
                "studio_name": studio.get("name"), "unit_name": studio.get("unit_name"), "year": year}
        agreement = docs.get(records.AGREEMENT)
        a_latest = agreement["versions"][-1] if agreement and agreement["versions"] else None
        item["agreement"] = None if agreement is None else {
            "state": agreement["state"], "version": a_latest["version"] if a_latest else 0,
            "signed_on": a_latest.get("signed_on") if a_latest else None}
        for kind in (records.PLAN, records.RESULTS):
            doc = docs.get(kind)
            due_on = due.of(kind)
            first = lifecycle.first_submitted_at(doc)
            timeliness = self._timeliness(due_on, first, studio)
            if doc is None:
                item[kind] = None if timeliness == deadlines.NOT_DUE else {
                    "state": "missing", "version": 0, "submitted_at": None, "due_on": due_on.isoformat(),
                    "timeliness": timeliness}
                continue
            latest = doc["versions"][-1] if doc["versions"] else None
            item[kind] = {"state": doc["state"],
                          "version": latest["version"] if latest else 0,
                          "submitted_at": latest["submitted_at"] if latest else None,
                          "due_on": due_on.isoformat(), "timeliness": timeliness}
        plan_doc, results_doc = docs.get(records.PLAN), docs.get(records.RESULTS)
        results_meta = results_doc["versions"][-1] if results_doc and results_doc["versions"] else None
        plan_meta = plan_doc["versions"][-1] if plan_doc and plan_doc["versions"] else None
        lines = comparison.compare(
            results={"items": _items_of(results_meta["outputs"])} if results_meta else None,
            plan={"items": _items_of(plan_meta["outputs"])} if plan_meta else None,
            agreement={"tasks": a_latest["tasks"]} if a_latest else None)
        item["targets_total"], item["targets_met"] = comparison.tally(lines)
        item["outputs"] = dict(results_meta["outputs"]) if results_meta else dict.fromkeys(records.OUTPUTS, 0)
        item["economic_benefit_fen"] = results_meta["economic_benefit_fen"] if results_meta else 0
        return item

    def year_list(self, year: int, tenant_id: str | None = None, state: str | None = None,
                  timeliness: str | None = None) -> list[dict]:
        """The digest filtered by the state or timeliness of the plan or results (the year's list)."""
        errors = {}
        if state and state not in DIGEST_STATES:
            errors["state"] = f"must be one of {', '.join(DIGEST_STATES)}"
        if timeliness and timeliness not in TIMELINESS:
            errors["timeliness"] = f"must be one of {', '.join(TIMELINESS)}"
        if errors:
            raise ValidationFailed("unknown filter value", errors=errors)
        rows = self.digest(year, tenant_id)
        if state:
            rows = [r for r in rows if any((r.get(k) or {}).get("state") == state
                                           for k in (records.AGREEMENT, records.PLAN, records.RESULTS))]
        if timeliness:
            rows = [r for r in rows if any((r.get(k) or {}).get("timeliness") == timeliness
                                           for k in (records.PLAN, records.RESULTS))]
        return rows

    # -- error workbooks -------------------------------------------------------------------------
    def keep_error_workbook(self, studio: Mapping, content: bytes, filename: str) -> str:
        """Keep an error workbook for the caller to download; its token."""
        token = secrets.token_urlsafe(18)
        self.store.scoped(ERROR_WORKBOOKS).insert({"_id": token, "tenant_id": studio["tenant_id"], "unit_id": studio["unit_id"],
                                           "studio_id": studio["studio_id"], "filename": filename,
                                           "content": content, "created_at": self.now, "by": self.principal.user})
        self.store.scoped(ERROR_WORKBOOKS).collection.delete_many({"created_at": {"$lt": self.now - UPLOAD_TTL}})
        return token

    def error_workbook(self, token: str) -> dict:
        doc = self.store.scoped(ERROR_WORKBOOKS).get(token, "file")
        created = doc["created_at"]
        if created.tzinfo is None:          # the store may give naive UTC back
            created = created.replace(tzinfo=_dt.timezone.utc)
        if created < self.now - UPLOAD_TTL:
            raise NotFound(f"file {token} has expired")
        return doc


def _items_of(outputs: Mapping[str, int]) -> list[dict]:
    return [{"output": o, "quantity": n} for o, n in outputs.items() if n]


def _date(value) -> _dt.date | None:
    if not value:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])

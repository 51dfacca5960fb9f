"""assessment's collections (its own database), their scopes and indexes, and ``Assessments``:
the repository with the assessment's verbs over one worker's tenant-scoped ``Store``.

Collections
-----------

``studios``        the studio read model (shared/studios.py), from registry's events
``rubrics``        saved rubric versions (``_id`` = version, 2, 3 …); version 1 is the default
                   shipped in ``domain/rubric.py``. Never updated: a change is a new version.
``rounds``         one document per round (``domain/rounds.py``): its studios with why each is
                   in, its history, the rubric copy, scorer assignments, state and summary.
                   City roles only (the service checks the role before touching it).
``inputs``         the filled-in indicators of a studio in a round (``_id`` = round:studio).
``expert_scores``  one expert's scores of one studio in a round (``_id`` = round:studio:expert).
``results``        a published studio result (``_id`` = round:studio), tenant- and unit-scoped:
                   what tenants and units read. Its ``_outbox`` carries ``assessment.graded``
                   (and, for a failed re-assessment, ``assessment.revocation_requested``) in the
                   same insert: the result and its events are one write.
``records``        a studio's assessment record (``_id`` = studio): last assessed, rectification
                   due (R-18), national recommendation (R-17); ``rounds`` lists the rounds applied
                   (a publish that is repeated after a crash applies each once).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Iterable, Mapping

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.assessment.domain import rounds as R
from services.assessment.domain.consequences import (consequence, graded_event_data,
                                                     revocation_request_data)
from services.assessment.domain.due import AssessmentRecord, StudioFacts, due_list, not_due_list, why_due
from services.assessment.domain.evaluation import as_auto, evaluate, round_rubric
from services.assessment.domain.rubric import DEFAULT_RUBRIC, Rubric, rubric_from_dict
from services.assessment.domain.scoring import check_entry, expert_codes_for
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.idempotency import create_once, idempotency_index
from shared.inbox import INBOX_INDEXES
from shared.outbox import outbox_indexes
from shared.storage import Index, Scope, Store, page_args
from shared.studios import STUDIO_INDEXES, STUDIO_SCOPES, StudioDirectory

RUBRICS, ROUNDS, INPUTS, SCORES, RESULTS, RECORDS = (
    "rubrics", "rounds", "inputs", "expert_scores", "results", "records")

SCOPES = {
    **STUDIO_SCOPES,
    RUBRICS: Scope(None, None),       # city configuration, no tenant data
    ROUNDS: Scope(None, None),        # city-wide: the service lets city roles only
    INPUTS: Scope("tenant_id", "unit_id"),
    SCORES: Scope("tenant_id", "unit_id"),
    RESULTS: Scope("tenant_id", "unit_id"),
    RECORDS: Scope("tenant_id", "unit_id"),
}

OUTBOX_COLLECTIONS = [RESULTS]

INDEXES = [
    *STUDIO_INDEXES,
    Index(ROUNDS, [("year", DESCENDING), ("created_at", DESCENDING)]),
    Index(ROUNDS, [("state", ASCENDING)]),
    idempotency_index(ROUNDS),
    idempotency_index(RUBRICS),
    Index(INPUTS, [("round_id", ASCENDING), ("studio_id", ASCENDING)], unique=True, name="input_per_studio"),
    Index(SCORES, [("round_id", ASCENDING), ("studio_id", ASCENDING), ("expert", ASCENDING)], unique=True,
          name="one_entry_per_expert"),
    Index(RESULTS, [("round_id", ASCENDING), ("studio_id", ASCENDING)], unique=True, name="one_result"),
    Index(RESULTS, [("tenant_id", ASCENDING), ("round_id", ASCENDING), ("rank", ASCENDING)]),
    Index(RECORDS, [("tenant_id", ASCENDING)]),
    *outbox_indexes(OUTBOX_COLLECTIONS),
    *INBOX_INDEXES,
]

GRADE_FILTER = ("excellent", "pass", "fail")
STATE_FILTER = (R.OPEN, R.PUBLISHING, R.PUBLISHED)


def _date(value: Any, field: str) -> dt.date:
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{field} is not an ISO date", errors={field: "an ISO date, e.g. 2026-11-30"})


def facts_of(row: Mapping) -> StudioFacts | None:
    """A read-model row as the domain's StudioFacts (a row without a designation date is skipped)."""
    if not row.get("designated_on"):
        return None
    return StudioFacts(row["studio_id"], row["tenant_id"], row["unit_id"], _date(row["designated_on"], "designated_on"),
                       name=row.get("name") or "", unit_name=row.get("unit_name") or "",
                       tenant_name=row.get("tenant_name") or "", revoked=row.get("status") == "revoked")


def record_of(doc: Mapping | None) -> AssessmentRecord:
    if not doc:
        return AssessmentRecord()
    return AssessmentRecord(
        last_assessed_on=_date(doc["last_assessed_on"], "last_assessed_on") if doc.get("last_assessed_on") else None,
        rectification_due_on=(_date(doc["rectification_due_on"], "rectification_due_on")
                              if doc.get("rectification_due_on") else None))


def round_view(doc: Mapping, *, full: bool = True) -> dict:
    out = {k: v for k, v in doc.items() if not k.startswith("_") or k == "_id"}
    out["id"] = out.pop("_id")
    out.pop("results", None)
    out["studio_count"] = len(doc.get("studios") or [])
    if not full:
        for k in ("studios", "removed", "assignments", "history"):
            out.pop(k, None)
    return out


def result_view(doc: Mapping) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class Assessments:
    """The assessment as one worker sees it (its principal, its moment)."""

    def __init__(self, store: Store, now: dt.datetime, today: dt.date):
        self.store, self.now, self.today = store, now, today
        self.rounds = store.scoped(ROUNDS)
        self.rubrics = store.scoped(RUBRICS)
        self.inputs = store.scoped(INPUTS)
        self.scores = store.scoped(SCORES)
        self.results = store.scoped(RESULTS)
        self.records = store.scoped(RECORDS)

    @property
    def user(self) -> str:
        return self.store.principal.user

    # -- rubrics ---------------------------------------------------------------------
    def rubric(self, version: Any = None) -> Rubric:
        if version in (None, ""):
            last = self.rubrics.find(sort=[("_id", DESCENDING)], limit=1)
            return rubric_from_dict(last[0], last[0]["_id"]) if last else DEFAULT_RUBRIC
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise ValidationFailed("bad rubric version", errors={"rubric_version": "a whole number"})
        if version == DEFAULT_RUBRIC.version:
            return DEFAULT_RUBRIC
        doc = self.rubrics.find_one({"_id": version})
        if doc is None:
            raise NotFound(f"rubric version {version} not found")
        return rubric_from_dict(doc, version)

    def list_rubrics(self) -> list[dict]:
        saved = [rubric_from_dict(d, d["_id"]).to_dict() for d in self.rubrics.find(sort=[("_id", ASCENDING)])]
        return [DEFAULT_RUBRIC.to_dict(), *saved]

    def create_rubric(self, data: Mapping, key: str | None) -> tuple[dict, bool]:
        for _ in range(5):
            last = self.rubrics.find(sort=[("_id", DESCENDING)], limit=1)
            version = (last[0]["_id"] if last else DEFAULT_RUBRIC.version) + 1
            rubric = rubric_from_dict(data, version)      # 422 with field errors when not valid

            def build():
                return {"_id": version, **rubric.to_dict(), "created_by": self.user, "created_at": self.now}
            try:
                doc, created = create_once(self.rubrics, key, dict(data), build, "rubric")
            except Conflict:
                if key and self.rubrics.collection.find_one({"_idem.key": f"{self.user}:{key}"}):
                    raise
                continue            # another version took this number: number again
            return rubric_from_dict(doc, doc["_id"]).to_dict(), created
        raise Conflict("rubrics are being saved at the same moment; try again")

    # -- who is due ------------------------------------------------------------------
    def studio_facts(self) -> dict[str, StudioFacts]:
        rows = StudioDirectory(self.store).list(status=None)
        return {f.studio_id: f for f in (facts_of(r) for r in rows) if f is not None}

    def record_map(self, studio_ids: Iterable[str] | None = None) -> dict[str, AssessmentRecord]:
        flt = {"_id": {"$in": list(studio_ids)}} if studio_ids is not None else {}
        return {d["_id"]: record_of(d) for d in self.records.find(flt)}

    def busy_studios(self, except_round: str | None = None) -> set[str]:
        busy = set()
        for r in self.rounds.find({"state": {"$in": [R.OPEN, R.PUBLISHING]}}):
            if r["_id"] != except_round:
                busy.update(R.studio_ids(r))
        return busy

    def due_preview(self, year: int, as_of: dt.date | None) -> dict:
        as_of = as_of or self._default_as_of(year)
        facts, records = self.studio_facts(), self.record_map()
        busy = self.busy_studios()
        listed = due_list(facts.values(), records, as_of, busy)
        rows = [R.studio_entry(facts[d.studio_id], d) for d in listed]
        not_due = []
        for n in not_due_list(facts.values(), records, as_of, busy):
            f = facts[n["studio_id"]]
            not_due.append({**n, "name": f.name, "tenant_id": f.tenant_id, "unit_id": f.unit_id,
                            "designated_on": f.designated_on.isoformat()})
        return {"year": year, "as_of": as_of.isoformat(), "due": rows, "not_due": not_due,
                "total": len(rows)}

    def _default_as_of(self, year: int) -> dt.date:
        return self.today if self.today.year == year else dt.date(year, 12, 31)

    # -- rounds ----------------------------------------------------------------------
    def create_round(self, req: Mapping, key: str | None) -> tuple[dict, bool]:
        year = req["year"]
        as_of = req.get("as_of") or self._default_as_of(year)
        rubric = self.rubric(req.get("rubric_version"))

        def build():
            facts, records = self.studio_facts(), self.record_map()
            busy = self.busy_studios()
            listed = due_list(facts.values(), records, as_of, busy)
            doc = R.new_round(uuid.uuid4().hex, year, as_of, listed, facts, rubric, req["bonus_budget_fen"],
                              self.user, self.now)
            for change in req.get("remove") or []:
                doc = R.remove_studio(doc, change["studio_id"], change["reason"], self.user, self.now)
            for change in req.get("add") or []:
                sid = change["studio_id"]
                if sid not in facts:
                    raise NotFound(f"studio {sid} not found")
                if sid in busy:
                    raise Conflict(f"studio {sid} is in another open round")
                due, _ = why_due(facts[sid], records.get(sid), as_of)
                doc = R.add_studio(doc, facts[sid], change["reason"], self.user, self.now, due)
            return doc
        doc, created = create_once(self.rounds, key, {**req, "as_of": as_of.isoformat()}, build, "round")
        return round_view(doc), created

    def round_doc(self, round_id: str) -> dict:
        return self.rounds.get(round_id, "assessment round")

    def save_round(self, old: Mapping, new: dict) -> dict:
        new = {k: v for k, v in new.items() if k not in ("_id", "results")}
        new["rev"] = old["rev"] + 1
        res = self.rounds.collection.update_one({"_id": old["_id"], "rev": old["rev"]}, {"$set": new})
        if not res.matched_count:
            raise Conflict(f"round {old['_id']} changed meanwhile; reload and try again")
        return {"_id": old["_id"], **new}

    def list_rounds(self, page, page_size, year=None, state=None, published_only=False) -> dict:
        flt: dict = {}
        if year not in (None, ""):
            flt["year"] = int(year)
        if state not in (None, ""):
            flt["state"] = state
        if published_only:
            flt["state"] = R.PUBLISHED if state in (None, "", R.PUBLISHED) else "-none-"
        return self.rounds.page(flt, page, page_size, sort=(("year", DESCENDING), ("created_at", DESCENDING)),
                                render=lambda d: round_view(d, full=not published_only))

    def add_studio(self, round_id: str, studio_id: str, reason: str) -> dict:
        doc = self.round_doc(round_id)
        R.require_open(doc)
        facts = self.studio_facts()
        if studio_id not in facts:
            raise NotFound(f"studio {studio_id} not found")
        if studio_id in self.busy_studios(except_round=round_id):
            raise Conflict(f"studio {studio_id} is in another open round")
        due, _ = why_due(facts[studio_id], self.record_map([studio_id]).get(studio_id), _date(doc["as_of"], "as_of"))
        return round_view(self.save_round(doc, R.add_studio(doc, facts[studio_id], reason, self.user, self.now, due)))

    def remove_studio(self, round_id: str, studio_id: str, reason: str) -> dict:
        doc = self.round_doc(round_id)
        return round_view(self.save_round(doc, R.remove_studio(doc, studio_id, reason, self.user, self.now)))

    def assign(self, round_id: str, assignments: Mapping[str, list]) -> dict:
        doc = self.round_doc(round_id)
        return round_view(self.save_round(doc, R.assign_scorers(doc, assignments, self.user, self.now)))

    # -- inputs (filled in) ------------------------------------------------------------
    def save_inputs(self, round_doc: Mapping, autos: Mapping[str, Mapping], sources: Mapping[str, dict]) -> None:
        coll = self.inputs.collection
        by_id = {s["studio_id"]: s for s in round_doc["studios"]}
        for sid, values in autos.items():
            s = by_id[sid]
            coll.update_one({"_id": f"{round_doc['_id']}:{sid}"},
                            {"$set": {"round_id": round_doc["_id"], "studio_id": sid, "tenant_id": s["tenant_id"],
                                      "unit_id": s["unit_id"], "values": {c: v.to_dict() for c, v in values.items()},
                                      "sources": dict(sources), "fetched_at": self.now}}, upsert=True)

    def input_map(self, round_id: str) -> dict[str, dict]:
        return {d["studio_id"]: d["values"] for d in self.inputs.find({"round_id": round_id})}

    # -- expert scores ------------------------------------------------------------------
    def entry_map(self, round_id: str) -> dict[str, dict[str, dict]]:
        out: dict[str, dict[str, dict]] = {}
        for d in self.scores.find({"round_id": round_id}):
            out.setdefault(d["studio_id"], {})[d["expert"]] = d["values"]
        return out

    def enter_scores(self, round_id: str, studio_id: str, values: Mapping) -> dict:
        doc = self.round_doc(round_id)
        R.require_open(doc)
        R.require_assigned(doc, self.user, studio_id)
        studio = R.find_studio(doc, studio_id)
        rubric = round_rubric(doc)
        auto = self.input_map(round_id).get(studio_id) or {}
        allowed = expert_codes_for(rubric, {c: as_auto(v) for c, v in auto.items()})
        checked = check_entry(rubric, values, allowed)
        key = f"{round_id}:{studio_id}:{self.user}"
        entry = {"round_id": round_id, "studio_id": studio_id, "expert": self.user,
                 "tenant_id": studio["tenant_id"], "unit_id": studio["unit_id"], "entered_at": self.now}
        existing = self.scores.collection.find_one({"_id": key}) or {}
        merged = {**(existing.get("values") or {}), **checked}
        self.scores.collection.update_one({"_id": key}, {"$set": {**entry, "values": merged}}, upsert=True)
        return {"round_id": round_id, "studio_id": studio_id, "expert": self.user, "values": merged,
                "entered_at": self.now.isoformat()}

    def score_sheets(self, round_id: str, page, page_size) -> dict:
        """What the caller may see of the scoring: an assigned scorer only their studios; other
        city users every studio with every expert's entries."""
        doc = self.round_doc(round_id)
        scorer = R.is_scorer(doc, self.user)
        mine = set(R.studios_for(doc, self.user)) if scorer else None
        studios = [s for s in doc["studios"] if mine is None or s["studio_id"] in mine]
        rubric = round_rubric(doc)
        autos, entries = self.input_map(round_id), self.entry_map(round_id)
        page, page_size = page_args(page, page_size)
        chunk = studios[(page - 1) * page_size: page * page_size]
        items = []
        for s in chunk:
            sid = s["studio_id"]
            auto = {c: as_auto(v) for c, v in (autos.get(sid) or {}).items()}
            given = entries.get(sid) or {}
            items.append({"studio_id": sid, "name": s.get("name"), "tenant_id": s["tenant_id"],
                          "unit_id": s["unit_id"], "filled_in": [v.to_dict() for v in auto.values()],
                          "expert_indicators": list(expert_codes_for(rubric, auto)),
                          "entries": ({self.user: given.get(self.user, {})} if scorer else given)})
        total = len(studios)
        return {"items": items, "page": page, "page_size": page_size, "total": total,
                "pages": max(1, -(-total // page_size)), "scorer": scorer}

    # -- grading -------------------------------------------------------------------------
    def evaluate(self, doc: Mapping, published_on: dt.date | None = None) -> tuple[dict, dict]:
        ids = R.studio_ids(doc)
        return evaluate(doc, self.input_map(doc["_id"]), self.entry_map(doc["_id"]),
                        self.record_map(ids), published_on)

    def publish(self, round_id: str, event) -> dict:
        """Publish: results + events per studio (one insert each), records, then the round.
        Repeating it after a crash continues; every step is applied once."""
        doc = self.round_doc(round_id)
        if doc["state"] == R.PUBLISHED:
            return round_view(doc)
        published_on = self.today
        if doc["state"] == R.PUBLISHING and doc.get("publishing_on"):
            published_on = _date(doc["publishing_on"], "publishing_on")
        results, summary = self.evaluate(doc, published_on)
        R.check_publishable(doc, results)
        if doc["state"] == R.OPEN:
            started = R.start_publishing(doc, self.user, self.now)
            started["publishing_on"] = published_on.isoformat()
            doc = self.save_round(doc, started)
        stored = {d["studio_id"]: d for d in self.results.find({"round_id": round_id})}
        results = {sid: (result_view(stored[sid]) if sid in stored else r) for sid, r in results.items()}
        published_at = self.now
        docs = []
        for s in doc["studios"]:
            sid = s["studio_id"]
            if sid in stored:
                continue
            r = results[sid]
            outbox = [event("assessment.graded", graded_event_data(doc, s, r, published_at, published_on),
                            tenant_id=s["tenant_id"])]
            if r["consequences"]["revocation_requested"]:
                outbox.append(event("assessment.revocation_requested",
                                    revocation_request_data(doc, s, r, published_on), tenant_id=s["tenant_id"]))
            docs.append({"_id": f"{round_id}:{sid}", **r, "round_id": round_id, "year": doc["year"],
                         "tenant_id": s["tenant_id"], "unit_id": s["unit_id"], "name": s.get("name"),
                         "unit_name": s.get("unit_name"), "tenant_name": s.get("tenant_name"),
                         "designated_on": s["designated_on"], "reason": s.get("reason"),
                         "published_on": published_on.isoformat(), "_outbox": outbox})
        if docs:
            try:
                self.results.collection.insert_many(docs, ordered=False)
            except BulkWriteError as exc:     # written by an earlier attempt: those stay as they are
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise
        rubric_days = round_rubric(doc).rectification_days
        records = self.record_map(R.studio_ids(doc))
        for s in doc["studios"]:
            self._apply_record(doc, s, results[s["studio_id"]], records.get(s["studio_id"]), published_on,
                               rubric_days)
        final = R.publish(doc, results, summary, self.user, self.now)
        final["published_on"] = published_on.isoformat()
        return round_view(self.save_round(doc, final))

    def _apply_record(self, doc, studio, result, record, published_on, days) -> None:
        c = consequence(studio["studio_id"], result["grade"], record, published_on, days)
        sets = {"tenant_id": studio["tenant_id"], "unit_id": studio["unit_id"],
                "last_assessed_on": c.record.last_assessed_on.isoformat() if c.record.last_assessed_on else None,
                "rectification_due_on": (c.record.rectification_due_on.isoformat()
                                         if c.record.rectification_due_on else None),
                "last_round_id": doc["_id"], "last_grade": result["grade"], "updated_at": self.now}
        if c.national_recommendation:
            sets["national_recommendation"] = {"round_id": doc["_id"], "year": doc["year"],
                                               "since": published_on.isoformat()}
        if c.revocation_requested:
            sets["revocation_requested"] = {"round_id": doc["_id"], "on": published_on.isoformat()}
        try:
            self.records.collection.update_one(
                {"_id": studio["studio_id"], "rounds": {"$ne": doc["_id"]}},
                {"$set": sets, "$push": {"rounds": doc["_id"]}}, upsert=True)
        except DuplicateKeyError:
            pass    # applied by an earlier attempt

    # -- results (published) -------------------------------------------------------------
    def published_round(self, round_id: str) -> dict:
        doc = self.rounds.collection.find_one({"_id": round_id, "state": R.PUBLISHED})
        if doc is None:
            raise NotFound(f"assessment round {round_id} not found")
        return doc

    def result_page(self, round_id: str, page, page_size, tenant_id=None, grade=None) -> dict:
        flt: dict = {"round_id": round_id}
        if tenant_id:
            flt["tenant_id"] = tenant_id
        if grade:
            flt["grade"] = grade
        return self.results.page(flt, page, page_size, sort=(("rank", ASCENDING), ("studio_id", ASCENDING)),
                                 render=result_view)

    def result_rows(self, round_id: str, tenant_id=None) -> list[dict]:
        flt: dict = {"round_id": round_id}
        if tenant_id:
            flt["tenant_id"] = tenant_id
        return [result_view(d) for d in self.results.find(flt, sort=[("rank", ASCENDING)])]

    def record(self, studio_id: str) -> dict:
        doc = self.records.get(studio_id, "assessment record")
        return {k: v for k, v in doc.items() if not k.startswith("_") or k == "_id"}

"""Applications (申报, 附件1) and their path to designation (R-1…R-9).

Every change of state goes through ``_transition``: the state machine table judges it
(workflow.py), the history records it (who, when, from, to, note), and the write is
conditional on the document's revision, so two concurrent transitions cannot both win
(the loser gets 409). R-6's "one open application per master and per unit/branch +
occupation" is held by unique keys that the submit write sets and that rejection and
designation remove, so two racing submits cannot both pass.
"""
from __future__ import annotations

import datetime as _dt
import uuid
from typing import Callable

from services.registry.domain import eligibility, id_number, workflow
from services.registry.storage import studios
from services.registry import contract
from services.registry.storage.holidays import notice_end
from services.registry.domain.ranking import RANKING_RULE, expert_mean, rank
from services.registry.domain.records import drafts_hidden, history_entry, master_key, now, slot_key
from services.registry.domain.retirement import retirement_date
from services.registry.domain.workflow import APPLICATION
from services.registry.storage import APPLICATIONS, CHANGE_REQUESTS, STUDIOS, UNITS
from shared.calendar import WorkingDayCalendar
from shared.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from shared.idempotency import create_once, key_used, replayed_within, within_key, within_set
from shared.principal import CITY_ROLES, UNIT, Principal
from shared.storage import Store, public

NEW_STUDIO = "new_studio"
LEAD_CHANGE = contract.LEAD_CHANGE
FORM_FIELDS = ("master", "branch_id", "studio_name", "studio_address", "team", "conditions", "existing_studio")
KEY_FIELDS = ("_open_master_key", "_open_slot_key")

EventMaker = Callable[..., dict]


# -- reading ---------------------------------------------------------------------------
def render(doc: dict, principal: Principal) -> dict:
    out = public(doc)
    master = dict(doc["master"])
    if not principal.is_city:
        master["id_number"] = id_number.mask(master["id_number"])
    master["honour_names"] = [contract.HONOURS[h] for h in master.get("honours") or []]
    year, month = eligibility.parse_month(master["birth_month"])
    master["retirement_month"] = retirement_date(master["gender"], year, month,
                                                 master.get("original_retirement_age")).strftime("%Y-%m")
    out["master"] = master
    reviews = dict(doc.get("reviews") or {})
    if reviews.get("expert"):
        reviews["expert"] = {**reviews["expert"], "mean_score": expert_mean(doc)}
    out["reviews"] = reviews
    out["priority"] = {"honours": bool(master.get("honours")),
                       "existing_studio": bool((doc.get("existing_studio") or {}).get("level"))}
    out["allowed_actions"] = workflow.actions_for(APPLICATION, doc["status"], principal.role)
    return out


def get(store: Store, application_id: str) -> dict:
    """An application the caller may see (another tenant's, or someone else's draft: 404)."""
    doc = store.scoped(APPLICATIONS).find_one({"_id": application_id, **drafts_hidden(store.principal)})
    if doc is None:
        raise NotFound(f"application {application_id} not found")
    return doc


def list_page(store: Store, page=1, page_size=50, year=None, status=None, tenant=None, kind=None) -> dict:
    flt: dict = {}
    errors = {}
    if year not in (None, ""):
        try:
            flt["year"] = int(year)
        except (TypeError, ValueError):
            errors["year"] = "a year, e.g. 2026"
    if status not in (None, ""):
        if status not in workflow.APPLICATION_STATES:
            errors["status"] = f"one of {', '.join(workflow.APPLICATION_STATES)}"
        flt["status"] = status
    if kind not in (None, ""):
        flt["kind"] = kind
    if tenant not in (None, ""):
        flt["tenant_id"] = tenant
    if errors:
        raise ValidationFailed("bad filter", errors=errors)
    principal = store.principal
    hidden = drafts_hidden(principal)
    if hidden:
        flt = {"$and": [flt, hidden]} if flt else hidden
    return store.scoped(APPLICATIONS).page(flt or None, page, page_size, sort=(("created_at", -1), ("_id", 1)),
                                           render=lambda d: render(d, principal))


# -- creating and editing --------------------------------------------------------------
def _branch(store: Store, unit_id: str, branch_id: str | None) -> str | None:
    if not branch_id:
        return None
    try:
        branch = store.as_system("branch lookup").scoped(UNITS).get(branch_id, "branch")
    except NotFound:
        raise ValidationFailed("unknown branch", errors={"branch_id": f"no branch {branch_id} is registered"})
    if branch.get("parent_id") != unit_id:
        raise ValidationFailed("not a branch of this unit",
                               errors={"branch_id": f"{branch_id} is not a branch of unit {unit_id}"})
    return branch_id


def _form(store: Store, unit_id: str, data: dict) -> dict:
    form = {k: data.get(k) for k in FORM_FIELDS}
    form["branch_id"] = _branch(store, unit_id, data.get("branch_id"))
    form["studio_name"] = data.get("studio_name") or f"{data['master']['name']}技能大师工作室"
    return form


def new_document(store: Store, today: _dt.date, data: dict, *, kind: str = NEW_STUDIO,
                 unit: dict | None = None, extra: dict | None = None) -> dict:
    principal = store.principal
    unit = unit or store.scoped(UNITS).get(principal.unit_id, "unit")
    return {"_id": uuid.uuid4().hex, "kind": kind, "studio_id": None, "lead_change_reason": None,
            "tenant_id": unit["tenant_id"], "unit_id": unit["_id"], "unit_name": unit["name"],
            "year": today.year, "status": workflow.DRAFT, **_form(store, unit["_id"], data),
            "materials": [], "recommendation": None, "returns": [], "reviews": {}, "notice": None,
            "objections": [], "designation": None, "rejection": None, "submitted_on": None,
            "history": [history_entry(principal, "create", None, workflow.DRAFT)], "rev": 0,
            "created_by": principal.user, "created_at": now(), "updated_at": now(), **(extra or {})}


def create(store: Store, today: _dt.date, data: dict, fingerprint_body, idempotency_key: str | None = None) -> dict:
    """A unit starts an application (draft). The same Idempotency-Key and body give the first one."""
    store.principal.require_role(UNIT)
    doc, _ = create_once(store.scoped(APPLICATIONS), idempotency_key, fingerprint_body,
                         lambda: new_document(store, today, data), what="application")
    return doc


def create_lead_change(store: Store, today: _dt.date, studio_id: str, data: dict,
                       idempotency_key: str | None = None) -> dict:
    """R-19: a lead change is an application of kind lead_change; it goes through the whole path again
    and, when designated, replaces the studio's lead (the old one stays in its history). The same
    ``idempotency_key``, studio and body answer the request it made; a key another change request
    was made with is another body here (409)."""
    principal = store.principal.require_role(UNIT)
    studio = store.scoped(STUDIOS).get(studio_id, "studio")
    if key_used(store.scoped(CHANGE_REQUESTS).collection, principal.user, idempotency_key):
        raise Conflict(f"Idempotency-Key {idempotency_key!r} was used for another request with a different body")

    def build():
        if studio["status"] != studios.ACTIVE:
            raise Conflict(f"studio {studio_id} is {studio['status']}: no changes")
        form = data["application"]
        studios.check_lead_change_form(studio, form)
        unit = store.scoped(UNITS).get(studio["unit_id"], "unit")
        return new_document(store, today, form, kind=LEAD_CHANGE, unit=unit, extra={
            "studio_id": studio_id, "lead_change_reason": data["lead_change_reason"],
            "change_reason": data["reason"]})
    doc, _ = create_once(store.scoped(APPLICATIONS), idempotency_key, {"studio_id": studio_id, **data}, build,
                         "change request")
    if doc.get("kind") != LEAD_CHANGE or doc.get("studio_id") != studio_id:   # the key made an application
        raise Conflict(f"Idempotency-Key {idempotency_key!r} was used for another request with a different body")
    return studios.lead_change_as_request(doc, principal)


def edit(store: Store, application_id: str, data: dict) -> dict:
    doc = get(store, application_id)
    if doc["kind"] == LEAD_CHANGE:
        studio = store.scoped(STUDIOS).get(doc["studio_id"], "studio")
        studios.check_lead_change_form(studio, data)
    return _transition(store, doc, "edit", {"$set": _form(store, doc["unit_id"], data)})


# -- the path --------------------------------------------------------------------------
def _transition(store: Store, doc: dict, action: str, update: dict | None = None, *, outcome: str | None = None,
                note: str = "") -> dict:
    principal = store.principal
    to = workflow.decide(APPLICATION, doc["status"], action, principal.role, outcome)
    update = {op: dict(v) for op, v in (update or {}).items()}
    update.setdefault("$set", {}).update({"status": to, "updated_at": now()})
    update.setdefault("$push", {})["history"] = history_entry(principal, action, doc["status"], to, note)
    update.setdefault("$inc", {})["rev"] = 1
    if to in workflow.FINAL_STATES:
        update.setdefault("$unset", {}).update({k: "" for k in KEY_FIELDS})
    guard = {"rev": doc["rev"]}
    if action != "designate":
        guard["_designating"] = {"$exists": False}  # a designation in progress holds the application
    try:
        return store.scoped(APPLICATIONS).update(doc["_id"], update, extra_filter=guard, what="application")
    except NotFound:
        raise Conflict("the application changed meanwhile; reload it and try again")


def _uniqueness(store: Store, doc: dict) -> eligibility.Uniqueness:
    """R-6 facts, looked up across all tenants (a master may lead a studio elsewhere)."""
    system = store.as_system("R-6 uniqueness")
    principal = store.principal
    studios_coll, apps = system.scoped(STUDIOS), system.scoped(APPLICATIONS)

    def shown(found: dict | None) -> str | None:
        if found is None:
            return None
        visible = principal.sees_unit(found.get("tenant_id"), found.get("unit_id"))
        return found["_id"] if visible else "(in another unit)"

    key = master_key(doc["master"])
    facts = {"leads_studio": shown(studios_coll.find_one({"_active_lead_key": key})),
             "open_application": shown(apps.find_one({"_open_master_key": key, "_id": {"$ne": doc["_id"]}}))}
    if doc["kind"] == NEW_STUDIO:
        slot = slot_key(doc["unit_id"], doc.get("branch_id"), doc["master"]["occupation"])
        facts["slot_studio"] = shown(studios_coll.find_one({"_active_slot_key": slot}))
        facts["slot_application"] = shown(apps.find_one({"_open_slot_key": slot, "_id": {"$ne": doc["_id"]}}))
    return eligibility.Uniqueness(**facts)


def submit(store: Store, today: _dt.date, application_id: str) -> dict:
    """The unit submits to its tenant; eligibility (R-1, R-2, R-4, R-6, R-8) is judged on this date."""
    doc = get(store, application_id)
    workflow.decide(APPLICATION, doc["status"], "submit", store.principal.role)
    found = eligibility.failures(doc, today, _uniqueness(store, doc), [m["kind"] for m in doc["materials"]])
    eligibility.enforce(found)
    keys = {"_open_master_key": master_key(doc["master"])}
    if doc["kind"] == NEW_STUDIO:
        keys["_open_slot_key"] = slot_key(doc["unit_id"], doc.get("branch_id"), doc["master"]["occupation"])
    update = {"$set": {**keys, "submitted_on": today.isoformat(), "submitted_at": now()}}
    try:
        return _transition(store, doc, "submit", update)
    except Conflict as exc:
        clash = set(exc.extra.get("duplicate_of") or ())
        if clash & set(KEY_FIELDS):
            raise RuleViolation("R-6: another open application of this master, or for this unit/branch and "
                                "occupation, was submitted at the same time", rule="R-6",
                                errors={"master.id_number": "R-6: another open application"}, rules=["R-6"])
        raise


def recommend(store: Store, application_id: str, data: dict) -> dict:
    doc = get(store, application_id)
    material_id = data.get("opinion_material_id")
    if material_id and not any(m["id"] == material_id and m["kind"] == "tenant_opinion" for m in doc["materials"]):
        raise ValidationFailed("no such opinion scan", errors={
            "opinion_material_id": "upload the signed opinion as a material of kind tenant_opinion first"})
    recommendation = {**data, "by": store.principal.user, "at": now()}
    return _transition(store, doc, "recommend", {"$set": {"recommendation": recommendation}},
                       note=data["opinion"])


def return_to_unit(store: Store, application_id: str, reasons: str) -> dict:
    doc = get(store, application_id)
    entry = {"reasons": reasons, "by": store.principal.user, "role": store.principal.role, "at": now(),
             "at_state": doc["status"]}
    return _transition(store, doc, "return", {"$push": {"returns": entry}}, note=reasons)


def reject(store: Store, application_id: str, reasons: str) -> dict:
    doc = get(store, application_id)
    return _reject(store, doc, "reject", reasons)


def _reject(store: Store, doc: dict, action: str, reasons: str, outcome: str | None = None,
            update: dict | None = None) -> dict:
    update = {op: dict(v) for op, v in (update or {}).items()}
    update.setdefault("$set", {})["rejection"] = {"reasons": reasons, "by": store.principal.user,
                                                 "role": store.principal.role, "at": now(),
                                                 "at_state": doc["status"]}
    return _transition(store, doc, action, update, outcome=outcome, note=reasons)


def _dated(value: str | None, today: _dt.date, field: str, not_before: str | None = None,
           not_before_what: str = "") -> str:
    day = value or today.isoformat()
    if day > today.isoformat():
        raise ValidationFailed(f"{field} is in the future", errors={field: f"not after today ({today.isoformat()})"})
    if not_before and day < not_before:
        raise ValidationFailed(f"{field} is too early", errors={field: f"not before {not_before_what} ({not_before})"})
    return day


def review(store: Store, today: _dt.date, application_id: str, data: dict) -> dict:
    """City review (R-9), one stage at a time in order: material, site visit, expert, overall."""
    doc = get(store, application_id)
    workflow.decide(APPLICATION, doc["status"], "review", store.principal.role,
                    "pass" if doc["status"] == workflow.RECOMMENDED else "shortlist")
    reviews = doc.get("reviews") or {}
    stage = data["stage"]
    expected = next(s for s in contract.REVIEW_STAGES if s not in reviews)
    if stage != expected:
        raise Conflict(f"the next review stage is {expected} ({contract.REVIEW_STAGE_NAMES[expected]}), not {stage}",
                       expected_stage=expected)
    previous = [reviews[s]["date"] for s in contract.REVIEW_STAGES if s in reviews]
    floor = max(previous) if previous else doc["submitted_on"]
    day = _dated(data.get("date"), today, "date", floor,
                 "the previous stage" if previous else "the application date")
    entry = {"stage": stage, "result": data["result"], "date": day, "note": data.get("note", ""),
             "scores": data.get("scores") or [], "by": store.principal.user, "at": now()}
    update = {"$set": {f"reviews.{stage}": entry}}
    label = f"{contract.REVIEW_STAGE_NAMES[stage]}: {data['result']}" + (f" — {entry['note']}" if entry["note"] else "")
    if data["result"] == "fail":
        return _reject(store, doc, "review", entry["note"] or f"{contract.REVIEW_STAGE_NAMES[stage]}未通过",
                       outcome="fail", update=update)
    outcome = "shortlist" if stage == "overall" else "pass"
    if outcome == "shortlist":
        update["$set"]["shortlisted_on"] = day
    return _transition(store, doc, "review", update, outcome=outcome, note=label)


def start_notice(store: Store, calendar: WorkingDayCalendar, today: _dt.date, application_id: str,
                 data: dict) -> dict:
    """Public notice of 5 statutory working days (R-9); its end is computed, never guessed."""
    doc = get(store, application_id)
    workflow.decide(APPLICATION, doc["status"], "start_notice", store.principal.role)
    start = data.get("start_on") or today.isoformat()
    if start < today.isoformat():
        raise ValidationFailed("a notice cannot start in the past",
                               errors={"start_on": f"today ({today.isoformat()}) or later"})
    if start < (doc.get("shortlisted_on") or ""):
        raise ValidationFailed("the notice starts before the shortlisting",
                               errors={"start_on": f"not before {doc['shortlisted_on']}"})
    end = notice_end(calendar, _dt.date.fromisoformat(start), contract.NOTICE_WORKING_DAYS)
    notice = {"start_on": start, "end_on": end.isoformat(), "working_days": contract.NOTICE_WORKING_DAYS,
              "by": store.principal.user, "at": now()}
    return _transition(store, doc, "start_notice", {"$set": {"notice": notice}},
                       note=f"公示 {start} 至 {end.isoformat()}")


def add_objection(store: Store, today: _dt.date, application_id: str, data: dict,
                  idempotency_key: str | None = None) -> dict:
    """An objection received during the notice holds the application until it is resolved (R-9).
    The same ``idempotency_key`` and body answer the application again, with that one objection:
    the key is written with the objection, in the application's guarded update."""
    stamp = within_key(store.principal.user, idempotency_key, {"application_id": application_id, **data})
    doc = get(store, application_id)
    if replayed_within(store, doc, stamp, "objection") is not None:
        return doc
    try:
        return _add_objection(store, today, doc, data, stamp)
    except Conflict:
        again = get(store, application_id)   # a concurrent request with the same key won the guard
        if replayed_within(store, again, stamp, "objection") is not None:
            return again
        raise


def _add_objection(store: Store, today: _dt.date, doc: dict, data: dict, stamp: dict | None) -> dict:
    workflow.decide(APPLICATION, doc["status"], "object", store.principal.role)
    notice = doc["notice"]
    received = _dated(data.get("received_on"), today, "received_on", notice["start_on"], "the notice's start")
    if received > notice["end_on"]:
        raise ValidationFailed("received after the notice ended",
                               errors={"received_on": f"the notice ended on {notice['end_on']}"})
    objection = {"id": uuid.uuid4().hex[:12], "summary": data["summary"], "objector": data.get("objector", ""),
                 "received_on": received, "status": "open", "recorded_by": store.principal.user,
                 "recorded_at": now(), "resolution_note": None, "resolved_by": None, "resolved_at": None}
    update = {"$push": {"objections": objection}}
    if stamp:
        update["$set"] = within_set(stamp, objection["id"], "objection")
    return _transition(store, doc, "object", update, note=data["summary"])


def resolve_objection(store: Store, application_id: str, objection_id: str, data: dict) -> dict:
    doc = get(store, application_id)
    workflow.decide(APPLICATION, doc["status"], "resolve_objection", store.principal.role, "dismissed")
    objections = [dict(o) for o in doc.get("objections") or []]
    target = next((o for o in objections if o["id"] == objection_id), None)
    if target is None:
        raise NotFound(f"objection {objection_id} not found")
    if target["status"] != "open":
        raise Conflict(f"objection {objection_id} is already {target['status']}")
    target.update(status=data["outcome"], resolution_note=data["note"], resolved_by=store.principal.user,
                  resolved_at=now())
    update = {"$set": {"objections": objections}}
    if data["outcome"] == "upheld":
        return _reject(store, doc, "resolve_objection", f"异议成立：{data['note']}", outcome="upheld",
                       update=update)
    still_open = any(o["status"] == "open" for o in objections)
    return _transition(store, doc, "resolve_objection", update,
                       outcome="still_open" if still_open else "dismissed", note=f"异议不成立：{data['note']}")


def designate(store: Store, today: _dt.date, application_id: str, make_event: EventMaker,
              note: str = "") -> dict:
    """City bureau: after the notice's last working day with no open objection (R-9), within the
    year's quota (R-7), the studio is created (or, for a lead change, its lead replaced) and the
    event is written into that same studio document (outbox).

    No transaction spans the application and the studio, so the application is first claimed
    (``_designating``, which every other transition refuses), then the studio is written,
    then the application completes. A crash in between leaves the claim: designating again
    finds the studio by its application and completes; a refused studio releases the claim.
    """
    doc = get(store, application_id)
    workflow.decide(APPLICATION, doc["status"], "designate", store.principal.role)
    end_on = doc["notice"]["end_on"]
    if today.isoformat() <= end_on:
        raise RuleViolation(f"R-9: the public notice runs until {end_on} (its 5th working day); "
                            "designation is possible from the day after", rule="R-9",
                            errors={"notice.end_on": end_on})
    coll = store.scoped(APPLICATIONS)
    if not doc.get("_designating"):
        try:
            doc = coll.update(doc["_id"], {"$set": {"_designating": {"by": store.principal.user, "at": now()}},
                                           "$inc": {"rev": 1}},
                              extra_filter={"rev": doc["rev"]}, what="application")
        except NotFound:
            raise Conflict("the application changed meanwhile; reload it and try again")
    try:
        if doc["kind"] == LEAD_CHANGE:
            studio = studios.change_lead(store, doc, today, make_event)
        else:
            studio = studios.create_from_application(store, doc, today, make_event)
    except (RuleViolation, Conflict, NotFound):
        coll.update(doc["_id"], {"$unset": {"_designating": ""}, "$inc": {"rev": 1}})
        raise
    new = doc["kind"] == NEW_STUDIO
    designation = {"studio_id": studio["_id"], "designated_on": studio["designated_on"] if new else today.isoformat(),
                   "year": studio["year"] if new else today.year, "nameplate_no": studio.get("nameplate_no") if new
                   else None, "by": store.principal.user, "at": now()}
    return _transition(store, doc, "designate", {"$set": {"designation": designation, "studio_id": studio["_id"]},
                                                 "$unset": {"_designating": ""}},
                       note=note or (f"认定，铭牌 {studio.get('nameplate_no')}" if new else "更换领办人"))


def shortlist(store: Store, year) -> dict:
    """A year's shortlisted applications (incl. those in notice or held by an objection), ranked."""
    store.principal.require_role(*sorted(CITY_ROLES - {"system"}))
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationFailed("year required", errors={"year": "a year, e.g. 2026"})
    apps = store.scoped(APPLICATIONS).find({"year": year, "kind": NEW_STUDIO, "status": {
        "$in": [workflow.SHORTLISTED, workflow.IN_NOTICE, workflow.OBJECTED]}})
    principal = store.principal
    items = []
    for position, doc in enumerate(rank(apps), start=1):
        items.append({**render(doc, principal), "rank": position, "expert_mean": expert_mean(doc)})
    designated = store.scoped(STUDIOS).count({"year": year})
    return {"year": year, "rule": RANKING_RULE, "quota": contract.MAX_DESIGNATIONS_PER_YEAR, "designated": designated,
            "items": items}

"""Studios (市级工作室): designation, lead changes, other changes (R-19) and revocation (R-20).

A studio's lead, unit and address change only through an approved request. Every change
writes its event (studio.designated / studio.changed / studio.revoked) into the studio
document in the same write (the outbox relay publishes it), and every such write is
conditional so that repeating it changes nothing.
"""
from __future__ import annotations

import datetime as _dt
import uuid
from typing import Callable

from services.registry import contract
from services.registry.domain import designation, id_number, workflow
from services.registry.domain.records import history_entry as _history
from services.registry.domain.records import drafts_hidden, master_key, slot_key
from services.registry.domain.records import now as _now
from services.registry.domain.workflow import CHANGE_REQUEST, REVOCATION
from services.registry.storage import APPLICATIONS, CHANGE_REQUESTS, REVOCATIONS, STUDIOS, TENANTS, UNITS
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events import STUDIO_CHANGED, STUDIO_DESIGNATED, STUDIO_REVOKED
from shared.idempotency import create_once, key_used
from shared.principal import TENANT, UNIT, Principal
from shared.storage import Store, public

ACTIVE, REVOKED = "active", "revoked"
MAX_SEQUENCE_ATTEMPTS = 12

EventMaker = Callable[..., dict]


# -- reading ---------------------------------------------------------------------------
def _lead_view(lead: dict, principal: Principal) -> dict:
    out = dict(lead)
    if not principal.is_city:
        out["id_number"] = id_number.mask(out.get("id_number"))
    return out


def render(doc: dict, principal: Principal) -> dict:
    out = public(doc)
    out["lead"] = _lead_view(doc["lead"], principal)
    out["lead_history"] = [_lead_view(lead, principal) for lead in doc.get("lead_history") or []]
    return out


def get(store: Store, studio_id: str) -> dict:
    return store.scoped(STUDIOS).get(studio_id, "studio")


def list_page(store: Store, page=1, page_size=50, year=None, status=None, tenant=None) -> dict:
    flt: dict = {}
    if year not in (None, ""):
        try:
            flt["year"] = int(year)
        except (TypeError, ValueError):
            raise ValidationFailed("bad filter", errors={"year": "a year, e.g. 2026"})
    if status not in (None, ""):
        if status not in (ACTIVE, REVOKED):
            raise ValidationFailed("bad filter", errors={"status": "active or revoked"})
        flt["status"] = status
    if tenant not in (None, ""):
        flt["tenant_id"] = tenant
    principal = store.principal
    return store.scoped(STUDIOS).page(flt or None, page, page_size, sort=(("year", -1), ("seq", 1)),
                                      render=lambda d: render(d, principal))


# -- designation -----------------------------------------------------------------------
def _lead_from(app: dict, since: str) -> dict:
    m = app["master"]
    return {"name": m["name"], "gender": m["gender"], "birth_month": m["birth_month"],
            "original_retirement_age": m.get("original_retirement_age"), "id_number": m["id_number"],
            "occupation": m["occupation"], "skill_level": m["skill_level"], "since": since, "until": None,
            "application_id": app["_id"], "reason": None, "employment": None}


def create_from_application(store: Store, app: dict, today: _dt.date, make_event: EventMaker) -> dict:
    """The studio of a designated application, numbered in sequence within the year (R-7: at most 10)."""
    coll = store.scoped(STUDIOS)
    existing = coll.find_one({"application_id": app["_id"]})
    if existing is not None:
        return existing  # a designation that crashed after this write: complete it
    lead_key = master_key(app["master"])
    slot = slot_key(app["unit_id"], app.get("branch_id"), app["master"]["occupation"])
    year = today.year
    for _ in range(MAX_SEQUENCE_ATTEMPTS):
        designation.check_designation_unique(
            master_leads_active_studio=coll.find_one({"_active_lead_key": lead_key}) is not None,
            slot_has_active_studio=coll.find_one({"_active_slot_key": slot}) is not None)
        last = coll.find({"year": year}, sort=[("seq", -1)], limit=1)
        seq = designation.next_sequence(year, last[0]["seq"] if last else None)
        studio_id = uuid.uuid4().hex
        designated_on = today.isoformat()
        doc = {"_id": studio_id, "tenant_id": app["tenant_id"], "unit_id": app["unit_id"],
               "unit_name": app["unit_name"], "branch_id": app.get("branch_id"), "name": app["studio_name"],
               "occupation": app["master"]["occupation"], "address": app["studio_address"],
               "lead": _lead_from(app, designated_on), "lead_history": [], "application_id": app["_id"],
               "designated_on": designated_on, "year": year, "seq": seq,
               "nameplate_no": contract.nameplate_no(year, seq), "measures_version": contract.MEASURES_VERSION,
               "status": ACTIVE, "revoked_on": None, "revocation_ground": None, "changes": [],
               "history": [_history(store.principal, "designate", None, ACTIVE, f"application {app['_id']}")],
               "created_at": _now(), "_active_lead_key": lead_key, "_active_slot_key": slot}
        tenant = store.scoped(TENANTS).find_one({"_id": doc["tenant_id"]}) or {}
        data = {"studio_id": studio_id, "tenant_id": doc["tenant_id"], "unit_id": doc["unit_id"],
                "tenant_name": tenant.get("name", ""), "unit_name": doc["unit_name"],
                "branch_id": doc["branch_id"], "application_id": app["_id"], "name": doc["name"],
                "lead_name": doc["lead"]["name"], "lead": {"name": doc["lead"]["name"]},
                "occupation": doc["occupation"], "address": doc["address"], "designated_on": designated_on,
                "year": year, "nameplate_no": doc["nameplate_no"], "measures_version": doc["measures_version"]}
        doc["_outbox"] = [make_event(STUDIO_DESIGNATED[1], data, tenant_id=doc["tenant_id"])]
        try:
            return coll.insert(doc)
        except Conflict:
            existing = coll.find_one({"application_id": app["_id"]})
            if existing is not None:
                return existing
            # another designation took this sequence number (or the lead/slot): look again
    raise Conflict("too many designations at the same moment; try again")


def check_lead_change_form(studio: dict, form: dict) -> None:
    errors = {}
    if form["master"]["occupation"].strip() != studio["occupation"].strip():
        errors["application.master.occupation"] = f"a lead change keeps the studio's occupation ({studio['occupation']})"
    if (form.get("branch_id") or None) != (studio.get("branch_id") or None):
        errors["application.branch_id"] = "a lead change keeps the studio's unit and branch"
    if form["studio_address"].strip() != studio["address"].strip():
        errors["application.studio_address"] = "the address changes only through a relocation request"
    if errors:
        raise ValidationFailed("a lead change replaces the lead only", errors=errors)


def change_lead(store: Store, app: dict, today: _dt.date, make_event: EventMaker) -> dict:
    """R-19: the lead change's application passed the whole path; the new lead is recorded, the old kept."""
    coll = store.scoped(STUDIOS)
    studio = coll.get(app["studio_id"], "studio")
    if studio["lead"].get("application_id") == app["_id"]:
        return studio  # applied already
    if studio["status"] != ACTIVE:
        raise Conflict(f"studio {studio['_id']} is {studio['status']}")
    new_key = master_key(app["master"])
    designation.check_new_lead(new_lead_leads_another_studio=coll.find_one(
        {"_active_lead_key": new_key, "_id": {"$ne": studio["_id"]}}) is not None)
    effective = today.isoformat()
    old = {**studio["lead"], "until": effective, "reason": app.get("lead_change_reason")}
    new = _lead_from(app, effective)
    change = {"kind": contract.LEAD_CHANGE, "change_request_id": app["_id"], "effective_on": effective,
              "before": {"lead_name": old["name"]}, "after": {"lead_name": new["name"]}}
    event = make_event(STUDIO_CHANGED[1], {
        "studio_id": studio["_id"], "tenant_id": studio["tenant_id"], "unit_id": studio["unit_id"],
        "kind": contract.LEAD_CHANGE, "change": contract.LEAD_CHANGE, "change_request_id": app["_id"],
        "application_id": app["_id"], "effective_on": effective,
        "before": change["before"], "after": change["after"]}, tenant_id=studio["tenant_id"])
    update = {"$set": {"lead": new, "_active_lead_key": new_key},
              "$push": {"lead_history": old, "changes": change, "_outbox": event,
                        "history": _history(store.principal, "change_lead", ACTIVE, ACTIVE,
                                            f"{old['name']} → {new['name']}")}}
    try:
        return coll.update(studio["_id"], update, what="studio", extra_filter={
            "status": ACTIVE, "lead.application_id": studio["lead"]["application_id"]})
    except NotFound:
        raise Conflict("the studio changed meanwhile; try again")


# -- change requests (R-19) ------------------------------------------------------------
def _render_request(doc: dict, principal: Principal, machine) -> dict:
    out = public(doc)
    out["allowed_actions"] = workflow.actions_for(machine, doc["status"], principal.role)
    return out


def render_change_request(doc: dict, principal: Principal) -> dict:
    return _render_request(doc, principal, CHANGE_REQUEST)


def lead_change_as_request(app: dict, principal: Principal) -> dict:
    return {"id": app["_id"], "studio_id": app["studio_id"], "kind": contract.LEAD_CHANGE, "status": app["status"],
            "reason": app.get("change_reason", ""), "lead_change_reason": app.get("lead_change_reason"),
            "application_id": app["_id"], "tenant_id": app["tenant_id"], "unit_id": app["unit_id"],
            "allowed_actions": workflow.actions_for(workflow.APPLICATION, app["status"], principal.role),
            "history": app["history"], "created_by": app["created_by"], "created_at": app["created_at"]}


def create_change_request(store: Store, today: _dt.date, studio_id: str, data: dict,
                          idempotency_key: str | None = None) -> dict:
    """The same ``idempotency_key``, studio and body answer the request it made (shared/idempotency.py);
    a key a lead change (an application) was made with is another body here (409)."""
    principal = store.principal.require_role(UNIT, TENANT)
    if data["kind"] == contract.LEAD_CHANGE:
        raise ValidationFailed("a lead change is an application", errors={"kind": "use applications.create_lead_change"})
    if key_used(store.scoped(APPLICATIONS).collection, principal.user, idempotency_key):
        raise Conflict(f"Idempotency-Key {idempotency_key!r} was used for another request with a different body")

    def build():
        studio = get(store, studio_id)
        if studio["status"] != ACTIVE:
            raise Conflict(f"studio {studio_id} is {studio['status']}: no changes")
        if data["kind"] == "unit_rename" and data.get("new_unit_id"):
            unit = store.scoped(UNITS).get(data["new_unit_id"], "unit")
            if unit["tenant_id"] != studio["tenant_id"]:
                raise ValidationFailed("the unit is in another tenant", errors={"new_unit_id": "not in this tenant"})
        if data["kind"] in ("rehire", "delayed_retirement") and data["until"] <= today.isoformat():
            raise ValidationFailed("until must lie ahead", errors={"until": f"after today ({today.isoformat()})"})
        status = workflow.CR_SUBMITTED if principal.role == UNIT else workflow.CR_FORWARDED
        return {"_id": uuid.uuid4().hex, "studio_id": studio_id, "tenant_id": studio["tenant_id"],
                "unit_id": studio["unit_id"], "kind": data["kind"], "status": status, "reason": data["reason"],
                "lead_change_reason": None, "application_id": None, "until": data.get("until"),
                "new_unit_name": data.get("new_unit_name"), "new_unit_id": data.get("new_unit_id"),
                "new_address": data.get("new_address"), "rev": 0,
                "history": [_history(principal, "create", None, status,
                                     "filed by the tenant" if principal.role == TENANT else "")],
                "created_by": principal.user, "created_at": _now()}
    get(store, studio_id)  # 404 outside the caller's scope, replay or not
    doc, _ = create_once(store.scoped(CHANGE_REQUESTS), idempotency_key, {"studio_id": studio_id, **data}, build,
                         "change request")
    return render_change_request(doc, principal)


def list_change_requests(store: Store, studio_id: str) -> dict:
    principal = store.principal
    get(store, studio_id)
    items = [render_change_request(d, principal)
             for d in store.scoped(CHANGE_REQUESTS).find({"studio_id": studio_id}, sort=[("created_at", 1)])]
    items += [lead_change_as_request(a, principal) for a in store.scoped(APPLICATIONS).find(
        {"studio_id": studio_id, "kind": contract.LEAD_CHANGE, **drafts_hidden(principal)}, sort=[("created_at", 1)])]
    items.sort(key=lambda i: i["created_at"])
    return {"items": items, "total": len(items)}


def _request_transition(store: Store, collection: str, machine, doc: dict, action: str, note: str,
                        update: dict | None = None) -> dict:
    principal = store.principal
    to = workflow.decide(machine, doc["status"], action, principal.role)
    update = {op: dict(v) for op, v in (update or {}).items()}
    update.setdefault("$set", {})["status"] = to
    update.setdefault("$push", {})["history"] = _history(principal, action, doc["status"], to, note)
    update.setdefault("$inc", {})["rev"] = 1
    try:
        return store.scoped(collection).update(doc["_id"], update, extra_filter={"rev": doc["rev"]})
    except NotFound:
        raise Conflict("the request changed meanwhile; reload it and try again")


def _change_request(store: Store, studio_id: str, request_id: str) -> dict:
    doc = store.scoped(CHANGE_REQUESTS).get(request_id, "change request")
    if doc["studio_id"] != studio_id:
        raise NotFound(f"change request {request_id} not found")
    return doc


def forward_change_request(store: Store, studio_id: str, request_id: str, note: str) -> dict:
    doc = _change_request(store, studio_id, request_id)
    return render_change_request(_request_transition(store, CHANGE_REQUESTS, CHANGE_REQUEST, doc, "forward", note),
                                 store.principal)


def reject_change_request(store: Store, studio_id: str, request_id: str, reasons: str) -> dict:
    doc = _change_request(store, studio_id, request_id)
    return render_change_request(_request_transition(store, CHANGE_REQUESTS, CHANGE_REQUEST, doc, "reject",
                                                     reasons), store.principal)


def approve_change_request(store: Store, today: _dt.date, studio_id: str, request_id: str, note: str,
                           make_event: EventMaker) -> dict:
    """Employment centre approves: the studio changes (with studio.changed) in one conditional write."""
    doc = _change_request(store, studio_id, request_id)
    workflow.decide(CHANGE_REQUEST, doc["status"], "approve", store.principal.role)
    _apply_change(store, today, doc, make_event)
    return render_change_request(_request_transition(store, CHANGE_REQUESTS, CHANGE_REQUEST, doc, "approve", note),
                                 store.principal)


def _apply_change(store: Store, today: _dt.date, request: dict, make_event: EventMaker) -> dict:
    coll = store.scoped(STUDIOS)
    studio = coll.get(request["studio_id"], "studio")
    if any(c.get("change_request_id") == request["_id"] for c in studio.get("changes") or []):
        return studio  # applied already (a repeated approval after a crash)
    if studio["status"] != ACTIVE:
        raise Conflict(f"studio {studio['_id']} is {studio['status']}")
    kind, effective = request["kind"], today.isoformat()
    sets: dict = {}
    if kind in ("rehire", "delayed_retirement"):
        before = {"employment": studio["lead"].get("employment")}
        after = {"employment": {"status": kind, "until": request["until"], "change_request_id": request["_id"]}}
        sets["lead.employment"] = after["employment"]
    elif kind == "unit_rename":
        before = {"unit_id": studio["unit_id"], "unit_name": studio["unit_name"]}
        after = {"unit_id": request.get("new_unit_id") or studio["unit_id"], "unit_name": request["new_unit_name"]}
        sets.update(after)
        if after["unit_id"] != studio["unit_id"]:
            slot = slot_key(after["unit_id"], None, studio["occupation"])
            designation.check_unit_move(new_slot_has_active_studio=coll.find_one({"_active_slot_key": slot}) is not None)
            sets.update(_active_slot_key=slot, branch_id=None)
    elif kind == "relocation":
        before, after = {"address": studio["address"]}, {"address": request["new_address"]}
        sets.update(after)
    else:  # pragma: no cover - the schema allows no other kind
        raise ValidationFailed(f"unknown change kind {kind}")
    change = {"kind": kind, "change_request_id": request["_id"], "effective_on": effective,
              "before": before, "after": after}
    event = make_event(STUDIO_CHANGED[1], {
        "studio_id": studio["_id"], "tenant_id": studio["tenant_id"], "unit_id": after.get("unit_id", studio["unit_id"]),
        "kind": kind, "change": kind, "change_request_id": request["_id"], "effective_on": effective,
        "before": before, "after": after}, tenant_id=studio["tenant_id"])
    update = {"$set": sets, "$push": {"changes": change, "_outbox": event, "history": _history(
        store.principal, f"change:{kind}", ACTIVE, ACTIVE, request["reason"])}}
    try:
        return coll.update(studio["_id"], update, what="studio", extra_filter={
            "status": ACTIVE, "changes.change_request_id": {"$ne": request["_id"]}})
    except NotFound:
        raise Conflict("the studio changed meanwhile; try again")


# -- revocation (R-20) -----------------------------------------------------------------
def render_revocation(doc: dict, principal: Principal) -> dict:
    out = _render_request(doc, principal, REVOCATION)
    out["ground_name"] = contract.REVOCATION_GROUNDS[doc["ground"]]
    return out


def create_revocation(store: Store, studio_id: str, data: dict) -> dict:
    principal = store.principal.require_role(TENANT)
    studio = get(store, studio_id)
    if studio["status"] != ACTIVE:
        raise Conflict(f"studio {studio_id} is {studio['status']}")
    doc = {"_id": uuid.uuid4().hex, "studio_id": studio_id, "tenant_id": studio["tenant_id"],
           "unit_id": studio["unit_id"], "ground": data["ground"], "reason": data["reason"],
           "status": workflow.RV_REQUESTED, "revoked_on": None, "decision_note": None, "rev": 0,
           "history": [_history(principal, "request", None, workflow.RV_REQUESTED, data["reason"])],
           "created_by": principal.user, "created_at": _now(), "_open_key": studio_id}
    store.scoped(REVOCATIONS).insert(doc, duplicate=f"studio {studio_id} has an open revocation request")
    return render_revocation(doc, principal)


def request_revocation_from_assessment(store: Store, event: dict) -> bool:
    """``assessment.revocation_requested`` (R-18: failed after rectification) → a revocation request
    on that ground (R-20), as if the tenant had filed it; the city bureau decides it as any other.
    Applied once: the request's id comes from the round and the studio. Returns False when there
    is nothing to do (the studio is revoked already, or has an open request that stands)."""
    data = event["data"]
    sid, request_id = data["studio_id"], f"assessment:{data['round_id']}:{data['studio_id']}"
    coll = store.scoped(REVOCATIONS)
    if coll.find_one({"_id": request_id}) is not None:
        return False
    studio = store.scoped(STUDIOS).find_one({"_id": sid})
    if studio is None:
        raise NotFound(f"studio {sid} not found")
    if studio["status"] != ACTIVE:
        return False
    if data["ground"] not in contract.REVOCATION_GROUNDS:     # a poison event: retried, then parked
        raise ValidationFailed(f"unknown R-20 ground {data['ground']!r}", errors={"data.ground": "not a ground"})
    principal = store.principal
    reason = str(data.get("reason") or contract.REVOCATION_GROUNDS[data["ground"]])
    doc = {"_id": request_id, "studio_id": sid, "tenant_id": studio["tenant_id"], "unit_id": studio["unit_id"],
           "ground": data["ground"], "reason": reason, "status": workflow.RV_REQUESTED, "revoked_on": None,
           "decision_note": None, "rev": 0, "source": {"assessment_round_id": data["round_id"]},
           "history": [_history(principal, "request", None, workflow.RV_REQUESTED, reason)],
           "created_by": principal.user, "created_at": _now(), "_open_key": sid}
    try:
        coll.insert(doc)
    except Conflict:
        return False          # this request (a second delivery) or an open one of the tenant stands
    return True


def list_revocations(store: Store, studio_id: str) -> dict:
    get(store, studio_id)
    principal = store.principal
    items = [render_revocation(d, principal)
             for d in store.scoped(REVOCATIONS).find({"studio_id": studio_id}, sort=[("created_at", 1)])]
    return {"items": items, "total": len(items)}


def decide_revocation(store: Store, today: _dt.date, studio_id: str, request_id: str, data: dict,
                      make_event: EventMaker) -> dict:
    """City bureau decides; approval revokes the studio and publishes studio.revoked (ground, date)."""
    doc = store.scoped(REVOCATIONS).get(request_id, "revocation request")
    if doc["studio_id"] != studio_id:
        raise NotFound(f"revocation request {request_id} not found")
    action = data["decision"]
    workflow.decide(REVOCATION, doc["status"], action, store.principal.role)
    sets: dict = {"decision_note": data.get("note", "")}
    if action == "approve":
        studio = get(store, studio_id)
        revoked_on = data.get("revoked_on") or today.isoformat()
        if revoked_on > today.isoformat() or revoked_on < studio["designated_on"]:
            raise ValidationFailed("revocation date out of range", errors={
                "revoked_on": f"between the designation ({studio['designated_on']}) and today ({today.isoformat()})"})
        _revoke(store, studio, doc, revoked_on, make_event)
        sets["revoked_on"] = revoked_on
    updated = _request_transition(store, REVOCATIONS, REVOCATION, doc, action, data.get("note", ""),
                                  {"$set": sets, "$unset": {"_open_key": ""}})
    return render_revocation(updated, store.principal)


def _revoke(store: Store, studio: dict, request: dict, revoked_on: str, make_event: EventMaker) -> dict:
    coll = store.scoped(STUDIOS)
    if studio["status"] == REVOKED:
        if studio.get("revocation_request_id") == request["_id"]:
            return studio  # applied already
        raise Conflict(f"studio {studio['_id']} is revoked already")
    event = make_event(STUDIO_REVOKED[1], {
        "studio_id": studio["_id"], "tenant_id": studio["tenant_id"], "unit_id": studio["unit_id"],
        "ground": request["ground"], "ground_name": contract.REVOCATION_GROUNDS[request["ground"]],
        "revoked_on": revoked_on, "revocation_id": request["_id"], "revocation_request_id": request["_id"],
        "designated_on": studio["designated_on"],
        "year": studio["year"]}, tenant_id=studio["tenant_id"])
    update = {"$set": {"status": REVOKED, "revoked_on": revoked_on, "revocation_ground": request["ground"],
                       "revocation_request_id": request["_id"]},
              "$unset": {"_active_lead_key": "", "_active_slot_key": ""},
              "$push": {"_outbox": event, "history": _history(store.principal, "revoke", ACTIVE, REVOKED,
                                                              f"{request['ground']}: {request['reason']}")}}
    try:
        return coll.update(studio["_id"], update, what="studio", extra_filter={"status": ACTIVE})
    except NotFound:
        raise Conflict("the studio changed meanwhile; try again")

"""Tenant, unit and role isolation, generated from the OpenAPI document (issue 18).

Every operation of ``/api/v1/openapi.json`` whose path takes a record id is called with the
ids of records that belong to 东城区 and its unit 北京东城精工 (unit-a), by

- a user of another tenant (demo-haidian) and of another tenant's unit (demo-unit-b),
- a unit user of another unit of the same tenant (made here),
- a user of each role the operation's ``x-roles`` does not admit (the owners' own colleagues
  included),

and must answer 404 or 403 — or, where the service validates the body before it looks the
record up, exactly what it answers for an id that does not exist (nothing is revealed) —
and leave the records as they were. A path parameter without a record here (``RECORDS``)
fails the test: a route added without being covered is noticed. The number of route × user
pairs tried is printed.
"""
from __future__ import annotations

import io
import json

import pytest

from tests.registry import forms
from tests.support.waiting import wait_for
from bench.designations import designate_directly

pytestmark = pytest.mark.timeout(600)

OWNER_TENANT, OWNER_UNIT = "dongcheng", "unit-dc-jinggong"
ROLE_USERS = {"admin": "demo-admin", "city_center": "demo-center", "city_bureau": "demo-bureau",
              "finance": "demo-finance", "tenant": "demo-dongcheng", "unit": "demo-unit-a"}
OTHER_TENANT = ("demo-haidian", "demo-unit-b")                  # another tenant and its unit
OUTSIDERS = (*OTHER_TENANT, "iso-unit-other")                   # ... and another unit of the same tenant
# parameters that name no record (a year, a service name): not ids
NOT_IDS = {"year", "service", "kind", "version"}
NOT_ID_VALUES = {"year": 2026, "service": "registry", "kind": "plan", "version": 1}
FAKE = "no-such-record-0000"


def _bodies(records) -> dict:
    """A request body, valid for the schema, for every operation that takes one (by operationId)."""
    day = "2026-06-01"
    return {
        "update_application": forms.application(), "recommend_application": {
            "opinion": "同意推荐", "signed_by": "张三", "signed_on": day},
        "return_application": {"reasons": "补充材料"}, "reject_application": {"reasons": "不符合条件"},
        "review_application": {"stage": "material", "result": "pass"}, "start_notice": {},
        "add_objection": {"summary": "异议"}, "resolve_objection": {"outcome": "dismissed", "note": "核实无误"},
        "designate_application": {"note": ""},
        "create_change_request": {"kind": "unit_rename", "reason": "更名", "new_unit_name": "新名称有限公司"},
        "forward_change_request": {"note": ""}, "approve_change_request": {"note": ""},
        "reject_change_request": {"reasons": "不同意"},
        "create_revocation_request": {"ground": records["ground"], "reason": "长期不开展活动"},
        "decide_revocation_request": {"decision": "reject", "note": ""},
        "create_unit": {"name": "隔离测试单位", "credit_code": "91110101MA01AAAA0G"},
        "set_user_disabled": {"disabled": True},
        # reporting (issue 15)
        "save_agreement": {"support": {"funding_fen": 100, "premises_m2": 50.0, "equipment": "车床",
                                       "working_time": "每周两天"},
                           "duties": ["带徒传艺"], "tasks": [{"title": "培养徒弟", "output": records["output"],
                                                                "target": 2}],
                           "signed_on": day, "signatories": {"unit": "单位", "lead": "大师"}},
        "save_report": {"items": [{"output": records["output"], "title": "带徒"}]},
        "return_agreement": {"reasons": ["补充"]}, "return_report": {"reasons": ["补充"]},
        "book_entry": {"kind": "matching", "amount_fen": 100}, "ledger_book_entry": {"kind": "matching",
                                                                                  "amount_fen": 100},
        # supervision (issue 16)
        "record_inspection": _inspection(records["studio_id"]),
        "close_rectification": {"note": "已整改", "references": ["整改报告"]},
        "edit_summary": {"overview": "隔离测试"}, "reopen_summary": {"reason": "重新填报"},
        # assessment (issue 17)
        "add_assessment_round_studio": {"studio_id": records["studio_id"], "reason": "隔离测试"},
        "remove_assessment_round_studio": {"studio_id": records["studio_id"], "reason": "隔离测试"},
        "assign_assessment_scorers": {"assignments": {"demo-center": [records["studio_id"]]}},
        "enter_assessment_scores": {"scores": {"duties": 1}},
    }


def _inspection(studio_id) -> dict:
    return {"studio_id": studio_id, "inspected_on": "2026-06-01", "inspectors": ["张三"], "checked": ["activity"],
            "findings": "台账不全", "rating": "poor",
            "rectifications": [{"description": "补齐设备台账", "due_on": "2026-12-31"}]}


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload():
    return {"file": ("a.png", io.BytesIO(forms.PNG), "image/png")}


@pytest.fixture(scope="module")
def world(system):
    """Records of 东城区 / unit-a, a second unit user in 东城区, the document."""
    api = system
    # another unit of the owner's tenant, with a user of its own
    other = api.post(f"/api/v1/tenants/{OWNER_TENANT}/units", "demo-dongcheng",
                     json={"name": "东城隔离测试有限公司", "credit_code": "91110101MA01AAAB0H"})
    assert other.status_code == 201, other.text
    user = api.post("/api/v1/users", "demo-dongcheng", json={
        "username": "iso-unit-other", "password": "iso-pass-123", "role": "unit", "tenant_id": OWNER_TENANT,
        "unit_id": other.json()["id"]})
    assert user.status_code == 201, user.text
    api._tokens["iso-unit-other"] = api.post("/api/v1/auth/token", json={
        "username": "iso-unit-other", "password": "iso-pass-123"}).json()["access_token"]
    # an application of unit-a with a material
    app = api.post("/api/v1/applications", "demo-unit-a", json=forms.application())
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]
    material = api.post(f"/api/v1/applications/{app_id}/materials?kind=certificate", "demo-unit-a", files=_upload())
    assert material.status_code == 201, material.text
    # a studio of unit-a (designated the way the event tests do) and its ledger account
    registry = next(c for c in system.runner.containers if c.service_name == "registry")
    studio_id = designate_directly(registry, 1, "iso", first_year=2024)[0]
    wait_for(lambda: api.get(f"/api/v1/studios/{studio_id}/account", "demo-unit-a").status_code == 200,
             message="the studio's account")
    change = api.post(f"/api/v1/studios/{studio_id}/change-requests", "demo-unit-a",
                      json={"kind": "unit_rename", "reason": "更名", "new_unit_name": "北京东城精工新名有限公司"})
    assert change.status_code == 201, change.text
    doc = api.get("/api/v1/openapi.json").json()
    grounds = _enum_of(doc, "RevocationIn", "ground")
    revocation = api.post(f"/api/v1/studios/{studio_id}/revocation-requests", "demo-dongcheng",
                          json={"ground": grounds[0], "reason": "长期不开展活动"})
    assert revocation.status_code == 201, revocation.text
    records = {
        "tenant_id": OWNER_TENANT, "unit_id": OWNER_UNIT, "application_id": app_id,
        "material_id": material.json()["id"], "objection_id": FAKE, "studio_id": studio_id,
        "dead_letter_id": FAKE, "ground": grounds[0], "username": "iso-unit-other",
        "token": FAKE,   # an upload's error workbook: another user's token is not found
        "output": _enum_of(doc, "Task", "output")[0],
        # change and revocation requests share the parameter name: one of each is tried
        "request_id": [change.json()["id"], revocation.json()["id"]],
    }
    # a reporting record of the studio: its 2026 agreement (reporting's read model knows the studio)
    agreement = _bodies(records)["save_agreement"]
    wait_for(lambda: api.request("PUT", f"/api/v1/studios/{studio_id}/agreements/2026", "demo-unit-a",
                                 json=agreement).status_code == 200, message="the studio's agreement")
    records["job_id"] = _import_job(api)
    records.update(_supervision_records(api, studio_id))
    records["round_id"] = _assessment_round(api, studio_id)
    return api, doc, records


def _import_job(api) -> str:
    """A job of unit-a: the blank application template imported as a job (it fails: nothing is filled in)."""
    blank = api.get("/api/v1/templates/application.xlsx", "demo-unit-a")
    assert blank.status_code == 200, blank.text
    accepted = api.post("/api/v1/applications/import", "demo-unit-a", headers={"Prefer": "respond-async"},
                        files={"file": ("申报表.xlsx", blank.content, XLSX_TYPE)})
    assert accepted.status_code == 202, accepted.text
    return accepted.json()["id"]


def _supervision_records(api, studio_id) -> dict:
    """An inspection of the studio with a rectification item, the tenant's 2026 summary draft and a
    notification of unit-a (its agreement submitted and returned: report.returned)."""
    made = wait_for(lambda: _created(api.post(f"/api/v1/tenants/{OWNER_TENANT}/inspections", "demo-dongcheng",
                                              json=_inspection(studio_id))), message="an inspection of the studio")
    draft = api.post(f"/api/v1/tenants/{OWNER_TENANT}/summaries/2026/draft", "demo-dongcheng")
    assert draft.status_code in (200, 201), draft.text
    agreement = f"/api/v1/studios/{studio_id}/agreements/2026"
    submitted = api.post(f"{agreement}/submit", "demo-unit-a")
    assert submitted.status_code == 201, submitted.text
    returned = api.post(f"{agreement}/return", "demo-dongcheng", json={"reasons": ["补充"]})
    assert returned.status_code == 200, returned.text
    notes = wait_for(lambda: api.get("/api/v1/me/notifications", "demo-unit-a").json()["items"],
                     message="unit-a's notification of the returned agreement")
    return {"inspection_id": made["inspection_id"], "item_id": made["rectifications"][0]["item_id"],
            "notification_id": notes[0]["notification_id"]}


def _assessment_round(api, studio_id) -> str:
    """An open 2026 round (the city's) with the studio in it."""
    due = api.get("/api/v1/assessment-rounds/due?year=2026", "demo-center")
    assert due.status_code == 200, due.text
    body = {"year": 2026, "bonus_budget_fen": 20_000_000}
    if studio_id not in [s["studio_id"] for s in due.json()["due"]]:
        body["add"] = [{"studio_id": studio_id, "reason": "隔离测试"}]
    made = api.post("/api/v1/assessment-rounds", "demo-center", json=body)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _created(resp):
    return resp.json() if resp.status_code == 201 else None


def _enum_of(doc, schema_name, field):
    schema = doc["components"]["schemas"][schema_name]
    return schema["properties"][field]["enum"]


def _snapshot(api, records) -> str:
    """What the owners see of every record (compared before and after)."""
    a, s = records["application_id"], records["studio_id"]
    views = [("demo-unit-a", f"/api/v1/applications/{a}"), ("demo-unit-a", f"/api/v1/applications/{a}/materials"),
             ("demo-dongcheng", f"/api/v1/studios/{s}"), ("demo-unit-a", f"/api/v1/studios/{s}/account"),
             ("demo-unit-a", f"/api/v1/studios/{s}/account/entries"),
             ("demo-unit-a", f"/api/v1/studios/{s}/change-requests"),
             ("demo-dongcheng", f"/api/v1/studios/{s}/revocation-requests"),
             ("demo-admin", f"/api/v1/tenants/{OWNER_TENANT}"), ("demo-admin", f"/api/v1/units/{OWNER_UNIT}"),
             ("demo-admin", f"/api/v1/tenants/{OWNER_TENANT}/units"),
             ("demo-unit-a", f"/api/v1/studios/{s}/agreements/2026"),
             ("demo-dongcheng", f"/api/v1/tenants/{OWNER_TENANT}/inspections/{records['inspection_id']}"),
             ("demo-dongcheng", f"/api/v1/tenants/{OWNER_TENANT}/summaries/2026"),
             ("demo-unit-a", "/api/v1/me/notifications"),
             ("demo-center", f"/api/v1/assessment-rounds/{records['round_id']}")]
    return json.dumps([api.get(path, user).json() for user, path in views], sort_keys=True, ensure_ascii=False)


def _operations(doc):
    for path, item in sorted(doc["paths"].items()):
        for method, op in sorted(item.items()):
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            yield path, method.upper(), op, params


def _fill(path, values):
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    return path


def _variants(params, records):
    """Every assignment of the path's parameters to this world's records."""
    combos = [{}]
    for name in params:
        value = records[name] if name not in NOT_IDS else NOT_ID_VALUES[name]
        options = value if isinstance(value, list) else [value]
        combos = [{**c, name: v} for c in combos for v in options]
    return combos


def _call(api, method, path, op, user, body, headers=None):
    kwargs = {"headers": dict(headers or {})}
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        kwargs["files"] = _upload()
    elif "application/json" in content:
        kwargs["json"] = body
    return api.request(method, path, user, **kwargs)


def test_no_user_outside_a_records_tenant_unit_or_roles_reaches_it(world):
    api, doc, records = world
    bodies = _bodies(records)
    uncovered = [f"{m} {p}: {{{n}}}" for p, m, _, params in _operations(doc) for n in params
                 if n not in records and n not in NOT_IDS]
    assert not uncovered, "path parameters with no record in this test (add one to RECORDS): " + ", ".join(uncovered)
    missing_bodies = [op["operationId"] for p, m, op, params in _operations(doc)
                      if set(params) - NOT_IDS and "application/json" in op.get("requestBody", {}).get("content", {})
                      and op["operationId"] not in bodies]
    assert not missing_bodies, "operations with no request body in this test: " + ", ".join(missing_bodies)

    before = _snapshot(api, records)
    pairs, leaks, validated_first = 0, [], []
    for path, method, op, params in _operations(doc):
        if not set(params) - NOT_IDS:
            continue   # takes no record id
        roles = op.get("x-roles")
        # a tenant is its own users' (units' users included): for a route on the tenant alone the
        # outsiders are the other tenant's users
        outsiders = OTHER_TENANT if set(params) - NOT_IDS == {"tenant_id"} else OUTSIDERS
        users = list(outsiders) + [u for role, u in ROLE_USERS.items() if roles and role not in roles]
        for values in _variants(params, records):
            url = _fill(path, values)
            for user in users:
                body = bodies.get(op["operationId"])
                resp = _call(api, method, url, op, user, body)
                pairs += 1
                if resp.status_code in (403, 404):
                    continue
                if resp.status_code == 422:
                    fake_url = _fill(path, {k: (FAKE if k not in NOT_IDS else v) for k, v in values.items()})
                    fake = _call(api, method, fake_url, op, user, body)
                    if fake.status_code == 422 and fake.json().get("errors") == resp.json().get("errors"):
                        validated_first.append(f"{method} {url} as {user}")
                        continue
                leaks.append(f"{method} {url} as {user}: {resp.status_code} {resp.text[:200]}")
    after = _snapshot(api, records)
    print(f"\nisolation: {pairs} route × user pairs tried "
          f"({len(validated_first)} refused by body validation before the lookup, as for a missing id)")
    assert not leaks, "reached a record it may not:\n" + "\n".join(leaks)
    assert before == after, "a refused call changed a record"
    assert pairs > 100

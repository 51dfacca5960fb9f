"""The studio life cycle through the gateway, as the demo users, with every service on the real
broker (issue #3). The registry's clock is set per step (its Clock provider in the running
container) so one test walks an application from September to October in seconds.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import uuid

import pytest
from kombu import Connection, Exchange, Queue, binding
from openpyxl import load_workbook

from services.registry.dependencies import Clock
from shared.storage import container_db
from tests.registry import forms
from tests.support.waiting import wait_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OCCUPATIONS = itertools.count(1)


def problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    return resp.json()


def registry_container(system):
    return next(c for c in system.runner.containers if c.service_name == "registry")


def set_today(system, day: str) -> None:
    clock = next(d for d in registry_container(system).dependencies if isinstance(d, Clock))
    clock.fixed = dt.date.fromisoformat(day)


def put(system, path, as_user, **kw):
    return system.request("PUT", path, as_user, **kw)


def new_form(**master) -> dict:
    """A form with its own master and occupation, so tests of one module never clash on R-6."""
    master.setdefault("occupation", f"数控车工{next(_OCCUPATIONS)}")
    return forms.application(master=forms.master(**master))


def upload(system, app_id, content, name="证书.pdf", kind="certificate", user="demo-unit-a", mime="application/pdf"):
    return system.post(f"/api/v1/applications/{app_id}/materials?kind={kind}", user,
                       files={"file": (name, content, mime)})


def draft(system, form=None, user="demo-unit-a") -> dict:
    resp = system.post("/api/v1/applications", user, json=form or new_form())
    assert resp.status_code == 201, resp.text
    assert upload(system, resp.json()["id"], forms.PDF, user=user).status_code == 201
    return resp.json()


def submitted(system, form=None, user="demo-unit-a") -> dict:
    app = draft(system, form, user)
    resp = system.post(f"/api/v1/applications/{app['id']}/submit", user)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture(autouse=True)
def spring(system):
    set_today(system, "2026-03-02")


# -- the whole path ----------------------------------------------------------------------
def test_full_path_unit_applies_tenant_recommends_city_reviews_notice_across_national_day_designation_event(system):
    # a subscriber's queue on the registry's event exchange, declared before anything is designated
    exchange = Exchange("registry.events", type="topic", durable=True)
    queue = Queue(f"test-subscriber-{uuid.uuid4().hex[:8]}", exchange, routing_key="studio.designated",
                  durable=True, auto_delete=False)
    with Connection(system.config["AMQP_URI"]) as conn:
        subscriber = queue(conn.default_channel)
        subscriber.declare()
        try:
            _walk_the_path(system, subscriber)
        finally:
            subscriber.delete()


def _walk_the_path(system, subscriber):
    set_today(system, "2026-09-01")
    form = new_form(name="赵师傅")
    # the unit applies, with materials (a retry with the same Idempotency-Key changes nothing)
    created = system.post("/api/v1/applications", "demo-unit-a", json=form, headers={"Idempotency-Key": "path-1"})
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["unit_id"] == "unit-dc-jinggong"
    assert upload(system, app_id, forms.PDF).status_code == 201
    photo = upload(system, app_id, forms.PNG, name="场地.png", kind="premises", mime="image/png")
    assert photo.status_code == 201 and photo.json()["content_type"] == "image/png"
    submitted_ = system.post(f"/api/v1/applications/{app_id}/submit", "demo-unit-a")
    assert submitted_.status_code == 200, submitted_.text
    assert submitted_.json()["status"] == "submitted" and submitted_.json()["submitted_on"] == "2026-09-01"

    # the tenant recommends with its signed opinion
    set_today(system, "2026-09-02")
    rec = system.post(f"/api/v1/applications/{app_id}/recommend", "demo-dongcheng", json={
        "opinion": "经审核，该工作室符合申报条件，同意推荐。", "signed_by": "东城区人力社保局 李局长",
        "signed_on": "2026-09-02"})
    assert rec.status_code == 200, rec.text
    assert rec.json()["status"] == "recommended"

    # the city reviews: material, site visit, expert (several scores), overall
    for day, body in (("2026-09-03", {"stage": "material", "result": "pass"}),
                      ("2026-09-10", {"stage": "site_visit", "result": "pass", "note": "场地设备齐全"}),
                      ("2026-09-17", {"stage": "expert", "result": "pass", "scores": [
                          {"expert": "专家甲", "score": 92}, {"expert": "专家乙", "score": 88},
                          {"expert": "专家丙", "score": 90}]}),
                      ("2026-09-24", {"stage": "overall", "result": "pass", "note": "拟认定"})):
        set_today(system, day)
        resp = system.post(f"/api/v1/applications/{app_id}/review", "demo-center", json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json()["reviews"][body["stage"]]["date"] == day
    assert resp.json()["status"] == "shortlisted" and resp.json()["reviews"]["expert"]["mean_score"] == 90.0
    shortlist = system.get("/api/v1/applications/shortlist?year=2026", "demo-bureau").json()
    assert app_id in [a["id"] for a in shortlist["items"]]

    # public notice from Monday 2026-09-28: 28, 29, 30 Sep, then National Day (1–7 Oct), then 8, 9 Oct
    set_today(system, "2026-09-28")
    notice = system.post(f"/api/v1/applications/{app_id}/notice", "demo-center", json={})
    assert notice.status_code == 200, notice.text
    assert notice.json()["notice"]["start_on"] == "2026-09-28" and notice.json()["notice"]["end_on"] == "2026-10-09"

    set_today(system, "2026-10-09")  # the notice's last day: too early
    early = problem(system.post(f"/api/v1/applications/{app_id}/designate", "demo-bureau", json={}), 422)
    assert early["rule"] == "R-9"

    set_today(system, "2026-10-12")
    problem(system.post(f"/api/v1/applications/{app_id}/designate", "demo-center", json={}), 403)
    done = system.post(f"/api/v1/applications/{app_id}/designate", "demo-bureau", json={"note": "认定"})
    assert done.status_code == 200, done.text
    designation = done.json()["designation"]
    assert done.json()["status"] == "designated" and designation["designated_on"] == "2026-10-12"
    assert designation["nameplate_no"].startswith("京技能大师〔2026〕第")
    steps = [(e["action"], e["from"], e["to"]) for e in done.json()["history"]]
    assert steps[0] == ("create", None, "draft") and steps[-1] == ("designate", "in_notice", "designated")
    assert len(steps) == 9

    # the event, seen by a subscriber over the real broker
    event = _receive(subscriber, lambda e: e["data"]["studio_id"] == designation["studio_id"])
    assert event["type"] == "studio.designated" and event["source"] == "registry" and event["event_id"]
    assert {"tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong", "application_id": app_id, "lead_name": "赵师傅",
            "occupation": form["master"]["occupation"], "designated_on": "2026-10-12", "year": 2026,
            "nameplate_no": designation["nameplate_no"], "measures_version": "京人社能发〔2023〕3号"
            }.items() <= event["data"].items()

    # the studio, for those who may see it
    studio = system.get(f"/api/v1/studios/{designation['studio_id']}", "demo-unit-a")
    assert studio.status_code == 200 and studio.json()["lead"]["name"] == "赵师傅"
    assert studio.json()["address"] == form["studio_address"]
    problem(system.get(f"/api/v1/studios/{designation['studio_id']}", "demo-haidian"), 404)
    material = system.get(f"/api/v1/applications/{app_id}/materials/{photo.json()['id']}", "demo-dongcheng")
    assert material.status_code == 200 and material.content == forms.PNG
    assert material.headers["Content-Type"] == "image/png"


def _receive(subscriber, match, seconds: float = 20.0) -> dict:
    def next_match():
        message = subscriber.get(no_ack=True)
        while message is not None:
            payload = message.payload if isinstance(message.payload, dict) else json.loads(message.body)
            if match(payload):
                return payload
            message = subscriber.get(no_ack=True)
        return None
    return wait_for(next_match, seconds, 0.1, message="a matching event")


# -- refusals, each naming its rule ------------------------------------------------------
def test_R1_below_technician_is_422_naming_R1(system):
    app = draft(system, new_form(skill_level="高级工"))
    body = problem(system.post(f"/api/v1/applications/{app['id']}/submit", "demo-unit-a"), 422)
    assert body["rule"] == "R-1" and "master.skill_level" in body["errors"]


def test_R2_less_than_two_years_before_retirement_is_422_naming_R2(system):
    app = draft(system, new_form(birth="1966-06-10"))  # retires 2026-11 under the 2025 reform
    body = problem(system.post(f"/api/v1/applications/{app['id']}/submit", "demo-unit-a"), 422)
    assert body["rule"] == "R-2" and "2026-11" in body["errors"]["master.birth_month"]


def test_R4_team_under_three_is_422_naming_R4(system):
    form = new_form()
    form["team"] = forms.team(2)
    app = draft(system, form)
    body = problem(system.post(f"/api/v1/applications/{app['id']}/submit", "demo-unit-a"), 422)
    assert body["rule"] == "R-4" and "team" in body["errors"]


def test_R6_master_with_another_open_application_is_422_naming_R6(system):
    first = new_form()
    submitted(system, first)
    again = new_form()
    again["master"]["id_number"] = first["master"]["id_number"]
    app = draft(system, again)
    body = problem(system.post(f"/api/v1/applications/{app['id']}/submit", "demo-unit-a"), 422)
    assert body["rule"] == "R-6"


def test_R6_same_unit_and_occupation_is_422_naming_R6(system):
    first = new_form()
    submitted(system, first)
    app = draft(system, new_form(occupation=first["master"]["occupation"]))
    body = problem(system.post(f"/api/v1/applications/{app['id']}/submit", "demo-unit-a"), 422)
    assert body["rule"] == "R-6" and "master.occupation" in body["errors"]


def _to_notice(system, form, start_on: str) -> str:
    app = submitted(system, form)
    system.post(f"/api/v1/applications/{app['id']}/recommend", "demo-dongcheng", json={
        "opinion": "同意推荐", "signed_by": "李局长", "signed_on": app["submitted_on"]})
    for body in ({"stage": "material", "result": "pass"}, {"stage": "site_visit", "result": "pass"},
                 {"stage": "expert", "result": "pass", "scores": [{"expert": e, "score": 80} for e in "甲乙丙"]},
                 {"stage": "overall", "result": "pass"}):
        assert system.post(f"/api/v1/applications/{app['id']}/review", "demo-center", json=body).status_code == 200
    resp = system.post(f"/api/v1/applications/{app['id']}/notice", "demo-center", json={"start_on": start_on})
    assert resp.status_code == 200, resp.text
    return app["id"]


def seeded_studio(year: int, seq: int) -> dict:
    return {"_id": f"seed-{year}-{seq}", "tenant_id": "haidian", "unit_id": "unit-hd-zhizao",
            "unit_name": "北京海淀智造科技有限公司", "branch_id": None, "name": f"既有工作室{seq}",
            "occupation": f"既有工种{seq}", "address": "北京市海淀区", "application_id": f"seed-app-{year}-{seq}",
            "lead": {"name": f"既有领办人{seq}", "id_number": forms.id_number("1976-01-01")},
            "lead_history": [], "designated_on": f"{year}-05-0{seq % 9 + 1}", "year": year, "seq": seq,
            "nameplate_no": f"京技能大师〔{year}〕第{seq:02d}号", "measures_version": "京人社能发〔2023〕3号",
            "status": "active", "changes": [], "history": []}


def test_R7_eleventh_designation_is_refused_with_422_naming_R7(system):
    # 2025's ten designations are already in the register (seeded straight into the registry's store)
    db = container_db(registry_container(system))
    db["studios"].insert_many([seeded_studio(2025, n) for n in range(1, 11)])
    set_today(system, "2025-06-02")
    app_id = _to_notice(system, new_form(), "2025-06-03")
    set_today(system, "2025-06-16")
    body = problem(system.post(f"/api/v1/applications/{app_id}/designate", "demo-bureau", json={}), 422)
    assert body["rule"] == "R-7"
    assert system.get(f"/api/v1/applications/{app_id}", "demo-bureau").json()["status"] == "in_notice"


def test_R9_unknown_calendar_year_is_422_until_the_city_enters_it(system):
    set_today(system, "2035-12-17")
    form = new_form(birth="1985-05-05")
    app = submitted(system, form)
    system.post(f"/api/v1/applications/{app['id']}/recommend", "demo-dongcheng", json={
        "opinion": "同意推荐", "signed_by": "李局长", "signed_on": "2035-12-17"})
    for body in ({"stage": "material", "result": "pass"}, {"stage": "site_visit", "result": "pass"},
                 {"stage": "expert", "result": "pass", "scores": [{"expert": e, "score": 80} for e in "甲乙丙"]},
                 {"stage": "overall", "result": "pass"}):
        system.post(f"/api/v1/applications/{app['id']}/review", "demo-center", json=body)
    body = problem(system.post(f"/api/v1/applications/{app['id']}/notice", "demo-center",
                               json={"start_on": "2035-12-24"}), 422)
    assert body["rule"] == "R-9" and "2035" in body["detail"]
    problem(put(system, "/api/v1/calendar/2035", "demo-dongcheng", json={"holidays": [], "workdays": []}), 403)
    for year, holidays in ((2035, ["2035-12-26", "2035-12-27"]), (2036, ["2036-01-01"])):
        entered = put(system, f"/api/v1/calendar/{year}", "demo-admin", json={"holidays": holidays, "workdays": []})
        assert entered.status_code == 200 and entered.json()["origin"] == "entered"
    ok = system.post(f"/api/v1/applications/{app['id']}/notice", "demo-center", json={"start_on": "2035-12-24"})
    assert ok.status_code == 200 and ok.json()["notice"]["end_on"] == "2036-01-02"


# -- tenancy and roles -----------------------------------------------------------------
def test_another_tenants_application_is_404(system):
    app = submitted(system)
    for user in ("demo-haidian", "demo-unit-b"):
        problem(system.get(f"/api/v1/applications/{app['id']}", user), 404)
        problem(system.get(f"/api/v1/applications/{app['id']}/materials/{app['materials'][0]['id']}", user), 404)
    problem(system.post(f"/api/v1/applications/{app['id']}/recommend", "demo-haidian", json={
        "opinion": "越权推荐", "signed_by": "x", "signed_on": "2026-03-02"}), 404)
    assert system.get(f"/api/v1/applications/{app['id']}", "demo-dongcheng").status_code == 200
    listed = system.get("/api/v1/applications?page_size=500", "demo-haidian").json()
    assert app["id"] not in [a["id"] for a in listed["items"]]


def test_a_unit_cannot_recommend(system):
    app = submitted(system)
    problem(system.post(f"/api/v1/applications/{app['id']}/recommend", "demo-unit-a", json={
        "opinion": "自荐", "signed_by": "我", "signed_on": "2026-03-02"}), 403)
    assert system.get(f"/api/v1/applications/{app['id']}", "demo-unit-a").json()["status"] == "submitted"


def test_a_wrong_transition_is_409(system):
    app = submitted(system)
    problem(system.post(f"/api/v1/applications/{app['id']}/submit", "demo-unit-a"), 409)
    problem(system.post(f"/api/v1/applications/{app['id']}/notice", "demo-center", json={}), 409)
    opinion = {"opinion": "同意", "signed_by": "x", "signed_on": "2026-03-02"}
    assert system.post(f"/api/v1/applications/{app['id']}/recommend", "demo-dongcheng", json=opinion).status_code == 200
    problem(system.post(f"/api/v1/applications/{app['id']}/recommend", "demo-dongcheng", json=opinion), 409)


def test_id_number_is_masked_except_for_the_city(system):
    form = new_form()
    app = submitted(system, form)
    full = form["master"]["id_number"]
    assert system.get(f"/api/v1/applications/{app['id']}", "demo-unit-a").json()["master"]["id_number"] != full
    assert system.get(f"/api/v1/applications/{app['id']}", "demo-center").json()["master"]["id_number"] == full


# -- uploads ---------------------------------------------------------------------------
def test_a_forged_pdf_is_refused_with_415(system):
    app = system.post("/api/v1/applications", "demo-unit-a", json=new_form()).json()
    body = problem(upload(system, app["id"], forms.FORGED_PDF, name="证书.pdf"), 415)
    assert "PDF, JPEG or PNG" in body["detail"]
    assert system.get(f"/api/v1/applications/{app['id']}/materials", "demo-unit-a").json()["items"] == []


def test_a_large_material_travels_in_chunks_and_downloads_intact(system):
    """Issue 13: a file reaches the registry as a chunked upload (shared/uploads.py), never whole in
    one RPC message; the registry holds nothing once the material is stored."""
    app = system.post("/api/v1/applications", "demo-unit-a", json=new_form()).json()
    content = forms.PDF + bytes(range(256)) * 4096                 # just over 1 MiB: five chunks
    resp = upload(system, app["id"], content, name="大证书.pdf")
    assert resp.status_code == 201, resp.text
    assert resp.json()["size"] == len(content)
    got = system.get(f"/api/v1/applications/{app['id']}/materials/{resp.json()['id']}", "demo-unit-a")
    assert got.status_code == 200 and got.content == content
    db = container_db(registry_container(system))
    assert db["uploads"].count_documents({"filename": "大证书.pdf"}) == 0    # taken once, then removed


def test_an_11_mb_file_is_refused_with_413(system):
    app = system.post("/api/v1/applications", "demo-unit-a", json=new_form()).json()
    eleven = forms.PDF + b"0" * (11 * 1024 * 1024 - len(forms.PDF))
    problem(upload(system, app["id"], eleven, name="大文件.pdf"), 413)
    just_over = forms.PDF + b"0" * (10 * 1024 * 1024 + 1 - len(forms.PDF))
    problem(upload(system, app["id"], just_over, name="略大.pdf"), 413)
    assert system.get(f"/api/v1/applications/{app['id']}/materials", "demo-unit-a").json()["items"] == []


def test_a_duplicated_request_with_the_same_idempotency_key_creates_one_application(system):
    form = new_form()
    key = {"Idempotency-Key": f"dup-{uuid.uuid4().hex}"}
    before = system.get("/api/v1/applications?page_size=1", "demo-unit-a").json()["total"]
    first = system.post("/api/v1/applications", "demo-unit-a", json=form, headers=key)
    second = system.post("/api/v1/applications", "demo-unit-a", json=form, headers=key)
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert system.get("/api/v1/applications?page_size=1", "demo-unit-a").json()["total"] == before + 1
    other = new_form()
    problem(system.post("/api/v1/applications", "demo-unit-a", json=other, headers=key), 409)


# -- the Excel form ----------------------------------------------------------------------
def test_template_downloads_and_a_filled_copy_imports(system):
    resp = system.get("/api/v1/templates/application.xlsx", "demo-unit-a")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == XLSX
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["申报表", "团队成员", "填表说明"]
    filled = forms.fill_template(new_form(name="钱师傅"))
    created = system.post("/api/v1/applications/import", "demo-unit-a",
                          files={"file": ("申报表.xlsx", filled, XLSX)})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft" and created.json()["master"]["name"] == "钱师傅"
    problem(system.post("/api/v1/applications/import", "demo-dongcheng",
                        files={"file": ("申报表.xlsx", filled, XLSX)}), 403)


# -- changes and revocation ---------------------------------------------------------------
def test_R19_R20_relocation_and_revocation_change_the_studio_and_publish_events(system):
    exchange = Exchange("registry.events", type="topic", durable=True)
    queue = Queue(f"test-studio-events-{uuid.uuid4().hex[:8]}", exchange, routing_key="studio.*",
                  durable=True, auto_delete=False)
    with Connection(system.config["AMQP_URI"]) as conn:
        subscriber = queue(conn.default_channel)
        subscriber.declare()
        try:
            set_today(system, "2026-04-01")
            app_id = _to_notice(system, new_form(name="孙师傅"), "2026-04-01")
            set_today(system, "2026-04-10")
            studio_id = system.post(f"/api/v1/applications/{app_id}/designate", "demo-bureau",
                                    json={}).json()["designation"]["studio_id"]
            _receive(subscriber, lambda e: e["type"] == "studio.designated" and e["data"]["studio_id"] == studio_id)

            # relocation: unit → tenant → employment centre; only then the address changes
            base = f"/api/v1/studios/{studio_id}"
            request = system.post(f"{base}/change-requests", "demo-unit-a", json={
                "kind": "relocation", "reason": "厂区搬迁", "new_address": "北京市东城区东直门外大街8号"})
            assert request.status_code == 201 and request.json()["status"] == "submitted"
            change = f"{base}/change-requests/{request.json()['id']}"
            problem(system.post(f"{change}/approve", "demo-center", json={}), 409)
            problem(system.post(f"{change}/forward", "demo-unit-a", json={}), 403)
            assert system.post(f"{change}/forward", "demo-dongcheng", json={"note": "已核实"}).status_code == 200
            assert system.get(base, "demo-unit-a").json()["address"] != "北京市东城区东直门外大街8号"
            assert system.post(f"{change}/approve", "demo-center", json={}).json()["status"] == "approved"
            assert system.get(base, "demo-unit-a").json()["address"] == "北京市东城区东直门外大街8号"
            changed = _receive(subscriber, lambda e: e["type"] == "studio.changed" and e["data"]["studio_id"] == studio_id)
            assert changed["data"]["kind"] == "relocation"

            # revocation: requested by the tenant on an R-20 ground, decided by the city bureau
            problem(system.post(f"{base}/revocation-requests", "demo-unit-a",
                                json={"ground": "violation", "reason": "单位不能申请撤销"}), 403)
            problem(system.post(f"{base}/revocation-requests", "demo-haidian",
                                json={"ground": "violation", "reason": "另一租户"}), 404)
            revocation = system.post(f"{base}/revocation-requests", "demo-dongcheng", json={
                "ground": "inactive_over_one_year", "reason": "超过一年未开展工作"})
            assert revocation.status_code == 201, revocation.text
            decision = f"{base}/revocation-requests/{revocation.json()['id']}/decision"
            problem(system.post(decision, "demo-center", json={"decision": "approve"}), 403)
            set_today(system, "2026-06-30")
            decided = system.post(decision, "demo-bureau", json={"decision": "approve", "note": "同意撤销"})
            assert decided.status_code == 200 and decided.json()["revoked_on"] == "2026-06-30"
            assert system.get(base, "demo-dongcheng").json()["status"] == "revoked"
            revoked = _receive(subscriber, lambda e: e["type"] == "studio.revoked" and e["data"]["studio_id"] == studio_id)
            assert {"ground": "inactive_over_one_year", "revoked_on": "2026-06-30", "tenant_id": "dongcheng",
                    "revocation_id": revocation.json()["id"]}.items() <= revoked["data"].items()
        finally:
            subscriber.delete()


def _changed_queues():
    """The durable queues bound for studio.changed (the studio read models of the new services)."""
    from shared.topology import event_queues
    from tests.conftest import service_classes
    return [q for cls in service_classes() for q in event_queues(cls) if q.routing_key == "studio.changed"]


def test_an_event_nobody_subscribes_to_holds_back_no_other_event(system):
    """studio.changed has no subscriber here (its bindings are taken away for this test): it stays
    pending (the outbox never drops it), while a later studio.designated of another studio and
    the studio.revoked of the same studio go out."""
    with Connection(system.config["AMQP_URI"]) as conn:
        for queue in _changed_queues():
            queue(conn.default_channel).unbind_from(queue.exchange, routing_key="studio.changed")
    try:
        _nobody_subscribes(system)
    finally:
        with Connection(system.config["AMQP_URI"]) as conn:
            for queue in _changed_queues():
                queue(conn.default_channel).bind_to(queue.exchange, routing_key="studio.changed")


def _nobody_subscribes(system):
    set_today(system, "2026-05-04")
    first = _to_notice(system, new_form(name="周师傅"), "2026-05-06")
    second = _to_notice(system, new_form(name="吴师傅"), "2026-05-06")
    set_today(system, "2026-05-18")
    exchange = Exchange("registry.events", type="topic", durable=True)
    designated = Queue(f"test-designated-revoked-{uuid.uuid4().hex[:8]}", durable=True, auto_delete=False,
                       bindings=[binding(exchange, routing_key="studio.designated"),
                                 binding(exchange, routing_key="studio.revoked")])
    with Connection(system.config["AMQP_URI"]) as conn:
        subscriber = designated(conn.default_channel)
        subscriber.declare()
        try:
            studio_id = system.post(f"/api/v1/applications/{first}/designate", "demo-bureau",
                                    json={}).json()["designation"]["studio_id"]
            _receive(subscriber, lambda e: e["data"]["studio_id"] == studio_id)
            change = system.post(f"/api/v1/studios/{studio_id}/change-requests", "demo-dongcheng", json={
                "kind": "relocation", "reason": "搬迁", "new_address": "北京市东城区新地址1号"}).json()
            assert change["status"] == "forwarded"  # filed by the tenant itself
            approved = system.post(f"/api/v1/studios/{studio_id}/change-requests/{change['id']}/approve",
                                   "demo-center", json={})
            assert approved.status_code == 200, approved.text
            other = system.post(f"/api/v1/applications/{second}/designate", "demo-bureau",
                                json={}).json()["designation"]["studio_id"]
            _receive(subscriber, lambda e: e["data"]["studio_id"] == other)
            revocation = system.post(f"/api/v1/studios/{studio_id}/revocation-requests", "demo-dongcheng",
                                     json={"ground": "violation", "reason": "违规"}).json()
            system.post(f"/api/v1/studios/{studio_id}/revocation-requests/{revocation['id']}/decision",
                        "demo-bureau", json={"decision": "approve"})
            revoked = _receive(subscriber, lambda e: e["type"] == "studio.revoked")
            assert revoked["data"]["studio_id"] == studio_id
            studios = container_db(registry_container(system))["studios"]
            # the relay removes an event after the broker's confirm, which may come just after delivery
            assert wait_for(lambda: [e["type"] for e in studios.find_one({"_id": studio_id})["_outbox"]]
                               == ["studio.changed"])
        finally:
            subscriber.delete()

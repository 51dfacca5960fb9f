"""Reporting through the gateway with every service on the real broker and the demo users (issue 15,
R-10, R-11). Studios arrive the way production brings them: ``studio.designated`` (and one
``studio.revoked``) on the registry's exchange. The clock is moved (DEMO_MODE), never waited for."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from tests.reporting.workbook_files import fill_results, part, rewrite, save, sheet_part
from tests.support.waiting import wait_for

YEAR = 2031
DC, DC2, DC3, HD = "rep-e2e-dc", "rep-e2e-dc2", "rep-e2e-dc3", "rep-e2e-hd"
UNIT_A, UNIT_B = "unit-dc-jinggong", "unit-hd-zhizao"
REPORT = "/api/v1/studios/{}/reports/%d/{}" % YEAR
UPLOAD = f"/api/v1/studios/{{}}/reports/{YEAR}.xlsx"
PLAN = {"items": [{"output": "patents", "title": "数控夹具专利", "quantity": 2},
                  {"output": "apprentices", "title": "带徒", "quantity": 3}],
        "economic_benefit_fen": 1_000_000, "narrative": "年度计划"}


def problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    return resp.json()


def event(type_, data, tenant_id, n):
    return {"event_id": f"rep-e2e-{type_}-{n}", "source": "registry", "type": type_, "tenant_id": tenant_id,
            "occurred_at": dt.datetime.now(dt.timezone.utc).isoformat(), "request_id": None, "data": data}


def designated(studio_id, tenant_id, unit_id, name):
    return event("studio.designated", {
        "studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id, "name": name,
        "unit_name": "北京东城精工制造有限公司" if unit_id == UNIT_A else "北京海淀智造科技有限公司",
        "nameplate_no": f"京技能大师〔{YEAR - 1}〕第0{len(studio_id)}号", "designated_on": f"{YEAR - 1}-06-01",
        "year": YEAR - 1}, tenant_id, studio_id)


def move_clock(api, day: str):
    resp = api.request("PUT", "/api/v1/admin/clock", "demo-admin", json={"today": day, "reason": "reporting e2e"})
    assert resp.status_code == 200, resp.text

    def moved():
        body = api.get("/api/v1/admin/clock", "demo-admin").json()
        return all(s.get("today") == day for s in body["services"].values() if isinstance(s, dict))
    wait_for(moved, 20, 0.1, message=f"every clock to read {day}")


@pytest.fixture(scope="module")
def api(system):
    publisher = Publisher(system.config["AMQP_URI"])
    exchange = get_event_exchange("registry", system.config)
    for studio_id, tenant, unit, name in ((DC, "dongcheng", UNIT_A, "张建国技能大师工作室"),
                                          (DC2, "dongcheng", UNIT_A, "李四技能大师工作室"),
                                          (DC3, "dongcheng", UNIT_A, "王五技能大师工作室"),
                                          (HD, "haidian", UNIT_B, "赵六技能大师工作室")):
        publisher.publish(designated(studio_id, tenant, unit, name), exchange=exchange,
                          routing_key="studio.designated")
    publisher.publish(event("studio.revoked", {
        "studio_id": DC3, "tenant_id": "dongcheng", "unit_id": UNIT_A, "revocation_id": "rev-e2e",
        "ground": "inactive_over_one_year", "revoked_on": f"{YEAR}-10-01"}, "dongcheng", "revoked"),
        exchange=exchange, routing_key="studio.revoked")

    def known():
        rows = system.get(f"/api/v1/reports?year={YEAR}&page_size=500", "demo-center").json().get("items", [])
        return {DC, DC2, DC3, HD} <= {r["studio_id"] for r in rows}
    wait_for(known, 30, 0.2, message="the designations to reach reporting")
    wait_for(lambda: system.get(f"/api/v1/studios/{DC3}/reports/{YEAR}", "demo-center").status_code == 200
             and system.get("/api/v1/reports?year=%d&page_size=500" % YEAR, "demo-center").status_code == 200,
             10, 0.2)
    move_clock(system, f"{YEAR}-03-20")
    yield system
    system.request("PUT", "/api/v1/admin/clock", "demo-admin", json={"reset": True, "reason": "reporting e2e done"})


def upload(api, studio_id, content, user="demo-unit-a", dry_run=False):
    return api.post(UPLOAD.format(studio_id) + ("?dry_run=true" if dry_run else ""), user,
                    files={"file": ("年度报告.xlsx", content, "application/octet-stream")})


def test_R10_round_trip_template_filled_by_a_clerk_uploaded_read_back_in_json_and_workbook(api):
    template = api.get(f"/api/v1/templates/annual-report.xlsx?studio_id={DC}&year={YEAR}&kind=plan", "demo-unit-a")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    content = fill_results(template.content, year=YEAR)
    dry = upload(api, DC, content, dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True and dry.json()["report"] is None and dry.json()["rows"] == 2
    problem(api.get(REPORT.format(DC, "plan"), "demo-unit-a"), 404)            # nothing stored
    stored = upload(api, DC, content)
    assert stored.status_code == 200, stored.text
    report = api.get(REPORT.format(DC, "plan"), "demo-unit-a").json()
    draft = report["draft"]
    assert report["state"] == "draft" and draft["economic_benefit_fen"] == 12_345_678
    assert draft["narrative"] == "=全年完成既定目标，带徒12人"
    assert draft["items"][0]["title"] == "一种数控夹具（实用新型）" and draft["items"][0]["date"] == f"{YEAR}-05-03"
    assert draft["items"][1]["skill_level"] == "技师" and draft["items"][0]["note"] == "@已授权"
    submitted = api.post(REPORT.format(DC, "plan") + "/submit", "demo-unit-a", headers={"Idempotency-Key": "rt-1"})
    assert submitted.status_code == 201, submitted.text
    down = api.get(REPORT.format(DC, "plan") + ".xlsx", "demo-unit-a")
    wb = openpyxl.load_workbook(io.BytesIO(down.content))
    assert wb["基本信息"]["B9"].value == "=全年完成既定目标，带徒12人" and wb["基本信息"]["B9"].data_type == "s"
    assert wb["明细"]["C2"].value == "一种数控夹具（实用新型）" and wb["明细"]["D2"].value == 2
    assert wb["明细"]["E2"].value.date() == dt.date(YEAR, 5, 3) and wb["明细"]["H2"].value == "@已授权"


def test_R11_versions_return_with_reasons_and_resubmission(api):
    plan = REPORT.format(DC2, "plan")
    assert api.request("PUT", plan, "demo-unit-a", json=PLAN).status_code == 200
    first = api.post(plan + "/submit", "demo-unit-a", headers={"Idempotency-Key": "v-1"})
    assert first.status_code == 201 and first.json()["report"]["version"] == 1
    replay = api.post(plan + "/submit", "demo-unit-a", headers={"Idempotency-Key": "v-1"})
    # one rule for replays (issue 18): the first answer's status and body again, marked as a replay
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["Idempotency-Replayed"] == "true"
    problem(api.post(plan + "/return", "demo-unit-a", json={"reasons": ["x"]}), 403)      # the tenant's step
    problem(api.post(plan + "/return", "demo-dongcheng", json={"reasons": []}), 422)
    returned = api.post(plan + "/return", "demo-dongcheng", json={"reasons": ["带徒人数与花名册不符"]})
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    problem(api.post(plan + "/accept", "demo-dongcheng"), 409)                               # nothing submitted
    changed = {**PLAN, "narrative": "已按意见修改"}
    assert api.request("PUT", plan, "demo-unit-a", json=changed).status_code == 200
    second = api.post(plan + "/submit", "demo-unit-a", headers={"Idempotency-Key": "v-2"})
    assert second.status_code == 201 and second.json()["report"]["version"] == 2
    accepted = api.post(plan + "/accept", "demo-dongcheng").json()
    assert accepted["state"] == "accepted"
    assert [h["action"] for h in accepted["history"]] == ["draft_saved", "submitted", "returned", "draft_saved",
                                                           "resubmitted", "accepted"]
    versions = api.get(plan + "/versions", "demo-center").json()["items"]
    assert [(v["version"], v["outcome"]) for v in versions] == [(1, "returned"), (2, "accepted")]
    assert versions[0]["reasons"] == ["带徒人数与花名册不符"]
    v1 = api.get(plan + "/versions/1", "demo-dongcheng").json()
    assert v1["content"]["narrative"] == "年度计划"                                           # stays readable


def test_R11_a_unit_cannot_report_for_another_units_studio_and_another_tenants_report_is_404(api):
    problem(api.request("PUT", REPORT.format(HD, "plan"), "demo-unit-a", json=PLAN), 404)
    problem(api.post(UPLOAD.format(HD), "demo-unit-a", files={"file": ("x.xlsx", b"PK\x03\x04")}), 404)
    problem(api.get(REPORT.format(DC2, "plan"), "demo-haidian"), 404)
    problem(api.get(REPORT.format(DC2, "plan"), "demo-unit-b"), 404)
    problem(api.post(REPORT.format(DC2, "plan") + "/accept", "demo-haidian"), 404)
    mine = api.get(f"/api/v1/reports?year={YEAR}", "demo-haidian").json()["items"]
    assert {r["studio_id"] for r in mine} == {HD}
    problem(api.get(f"/api/v1/reports?year={YEAR}&state=lost", "demo-center"), 422)       # unknown filter value


def test_R11_on_time_late_and_missing_by_moving_the_clock_and_a_revoked_studio_owes_nothing(api):
    rows = {r["studio_id"]: r for r in api.get(f"/api/v1/reports?year={YEAR}&page_size=500", "demo-center")
            .json()["items"]}
    assert rows[HD]["plan"] is None                                  # not yet due on March 20
    move_clock(api, f"{YEAR}-04-02")
    rows = {r["studio_id"]: r for r in api.get(f"/api/v1/reports?year={YEAR}&page_size=500", "demo-center")
            .json()["items"]}
    assert rows[DC2]["plan"]["timeliness"] == "on_time"
    assert rows[HD]["plan"]["timeliness"] == "missing" and rows[HD]["plan"]["state"] == "missing"
    plan = REPORT.format(HD, "plan")
    assert api.request("PUT", plan, "demo-unit-b", json=PLAN).status_code == 200
    late = api.post(plan + "/submit", "demo-unit-b").json()["report"]
    assert late["timeliness"] == "late" and late["versions"][0]["late_days"] == 2
    move_clock(api, f"{YEAR}-12-05")

    def revocation_applied():   # studio.revoked may wait for its designation and come back on a retry
        rows = {r["studio_id"]: r for r in api.get(f"/api/v1/reports?year={YEAR}&page_size=500", "demo-center")
                .json()["items"]}
        return rows if rows[DC3]["results"] is None else None
    rows = wait_for(revocation_applied, 30, 0.2, message="reporting to apply DC3's revocation")
    assert rows[DC3]["plan"]["timeliness"] == "missing"             # revoked Oct 1: owed the plan
    assert rows[DC3]["results"] is None                              # but no results after its revocation
    assert rows[DC2]["results"]["timeliness"] == "missing"
    missing = api.get(f"/api/v1/reports?year={YEAR}&timeliness=missing&page_size=500", "demo-center").json()
    assert {DC2, DC3} <= {r["studio_id"] for r in missing["items"]}
    sheet = api.get(f"/api/v1/reports.xlsx?year={YEAR}&tenant_id=dongcheng", "demo-center")
    ws = openpyxl.load_workbook(io.BytesIO(sheet.content)).active
    header = [c.value for c in ws[1]]
    by_id = {row[0]: dict(zip(header, row)) for row in ws.iter_rows(min_row=2, values_only=True)}
    assert by_id[DC2]["计划状态"] == "已通过" and by_id[DC3]["总结状态"] is None and HD not in by_id
    problem(api.request("PUT", REPORT.format(DC3, "results"), "demo-unit-a", json=PLAN), 409)   # revoked


def test_R10_each_bad_file_is_refused_with_the_reason_and_nothing_is_stored(api):
    template = api.get(f"/api/v1/templates/annual-report.xlsx?studio_id={HD}&year={YEAR}&kind=results",
                       "demo-unit-b").content
    good = fill_results(template, year=YEAR)
    assert problem(upload(api, HD, b"%PDF-1.7 not a workbook", "demo-unit-b"), 415)["reason"] == "not_xlsx"
    xlsm = rewrite(good, {}, {"xl/vbaProject.bin": b"\0" * 64})
    assert problem(upload(api, HD, xlsm, "demo-unit-b"), 415)["reason"] == "macros"
    old = openpyxl.load_workbook(io.BytesIO(good))
    old["_meta"]["B2"] = "2020.1"
    assert problem(upload(api, HD, save(old), "demo-unit-b"), 422)["reason"] == "template_version"
    bomb = rewrite(good, {}, {"xl/media/pad.bin": b"\0" * (210 * 1024 * 1024)}, compression=zipfile.ZIP_DEFLATED)
    assert problem(upload(api, HD, bomb, "demo-unit-b"), 413)["reason"] == "zip_bomb"
    name = sheet_part(good, "基本信息")
    xml = part(good, name)
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + xml.split(b"?>", 1)[-1]
    assert problem(upload(api, HD, rewrite(good, {name: laughs}), "demo-unit-b"), 400)["reason"] == "xml_entities"
    wb = openpyxl.load_workbook(io.BytesIO(good))
    wb["明细"]["D2"] = "=1+1"
    wb["基本信息"].merge_cells("B8:C8")
    wb["明细"]["E3"] = dt.date(YEAR - 5, 1, 1)
    body = problem(upload(api, HD, save(wb), "demo-unit-b"), 422)
    assert set(body["errors"]) == {"明细!D2", "基本信息!B8", "明细!E3"}
    link = body["error_workbook"]
    marked = api.get(link, "demo-unit-b")
    assert marked.status_code == 200
    commented = {(ws.title, c.coordinate) for ws in openpyxl.load_workbook(io.BytesIO(marked.content))
                 for row in ws.iter_rows() for c in row if c.comment}
    assert commented == {("明细", "D2"), ("基本信息", "B8"), ("明细", "E3")}
    problem(api.get(link, "demo-unit-a"), 404)                        # another tenant's file
    problem(api.get(REPORT.format(HD, "results"), "demo-unit-b"), 404)  # nothing stored from any of them


def test_R11_the_city_sets_due_dates_and_the_digest_answers_contract_fields(api):
    assert api.get(f"/api/v1/reporting/due-dates/{YEAR + 1}", "demo-unit-a").json() == {
        "year": YEAR + 1, "plan": f"{YEAR + 1}-03-31", "results": f"{YEAR + 1}-12-01"}
    problem(api.request("PUT", f"/api/v1/reporting/due-dates/{YEAR + 1}", "demo-dongcheng",
                        json={"results": f"{YEAR + 1}-11-20"}), 403)
    moved = api.request("PUT", f"/api/v1/reporting/due-dates/{YEAR + 1}", "demo-center",
                        json={"results": f"{YEAR + 1}-11-20"})
    assert moved.json()["results"] == f"{YEAR + 1}-11-20"
    year = api.get(f"/api/v1/studios/{DC}/reports/{YEAR}", "demo-unit-a").json()
    assert set(year) >= {"studio_id", "tenant_id", "unit_id", "year", "agreement", "plan", "results",
                         "targets_total", "targets_met", "outputs", "economic_benefit_fen"}
    assert year["plan"]["state"] == "submitted" and year["outputs"]["patents"] == 0


def test_R11_agreement_targets_and_results_met_or_not_per_target(api):
    agreement = f"/api/v1/studios/{DC}/agreements/{YEAR}"
    body = {"support": {"funding_fen": 50_000_000, "premises_m2": 120.5, "equipment": "数控机床3台",
                        "working_time": "每周不少于8小时"},
            "duties": ["技能研发", "带徒传技"],
            "tasks": [{"title": "申请专利", "output": "patents", "target": 2},
                      {"title": "培养徒弟", "output": "apprentices", "target": 5}],
            "signed_on": f"{YEAR}-01-10", "signatories": {"unit": "王厂长", "lead": "张建国"}}
    bad = api.request("PUT", agreement, "demo-unit-a", json={**body, "tasks": []})
    assert problem(bad, 422)["rule"] == "R-11"
    assert api.request("PUT", agreement, "demo-unit-a", json=body).status_code == 200
    assert api.post(agreement + "/submit", "demo-unit-a").status_code == 201
    assert api.post(agreement + "/accept", "demo-dongcheng").json()["state"] == "accepted"
    workbook = api.get(agreement + ".xlsx", "demo-unit-a")
    assert openpyxl.load_workbook(io.BytesIO(workbook.content))["任务目标"]["A2"].value == "申请专利"
    results = REPORT.format(DC, "results")
    done = {"items": [{"output": "patents", "title": "夹具专利", "quantity": 2},
                      {"output": "apprentices", "title": "带徒", "quantity": 3}], "economic_benefit_fen": 500}
    assert api.request("PUT", results, "demo-unit-a", json=done).status_code == 200
    assert api.post(results + "/submit", "demo-unit-a").status_code == 201
    targets = {(t["source"], t["output"]): t["met"] for t in api.get(results, "demo-dongcheng").json()["targets"]}
    assert targets[("agreement", "patents")] is True and targets[("agreement", "apprentices")] is False
    year = api.get(f"/api/v1/studios/{DC}/reports/{YEAR}", "demo-center").json()
    assert year["agreement"]["state"] == "accepted" and year["targets_met"] >= 1
    assert year["outputs"]["patents"] == 2 and year["economic_benefit_fen"] == 500
    sheet = openpyxl.load_workbook(io.BytesIO(api.get(results + ".xlsx", "demo-unit-a").content))
    assert [c.value for c in sheet["目标对照"][2]][-1] in ("已完成", "未完成")

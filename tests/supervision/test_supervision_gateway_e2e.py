"""Supervision through the gateway with the demo users (R-12, R-11), on the real broker: registry,
ledger, supervision and the gateway as they run, reporting as a stand-in answering
``report_digest`` per the contract between the services. Studios come the way production brings them: registry's
``studio.designated`` (two 东城区 units, one 海淀区 unit); the clock is moved through the admin
route, never waited for. The tests tell one story in file order (drafts, submissions, the city's
view, a reopening): run the module, not one test picked out with -k."""
import io
import os
import sys

import openpyxl
import pytest

from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from shared.events import new_event
from tests.conftest import running_system, service_classes
from tests.support.waiting import wait_for

sys.path.insert(0, os.path.dirname(__file__))
import fakes  # noqa: E402

YEAR = 2026
STUDIOS = [("SUP-DC-1", "dongcheng", "东城区", "unit-dc-jinggong", "北京东城精工制造有限公司"),
           ("SUP-DC-2", "dongcheng", "东城区", "unit-dc-second", "北京东城第二机械厂"),
           ("SUP-HD-1", "haidian", "海淀区", "unit-hd-zhizao", "北京海淀智造科技有限公司")]
SUMMARY = "/api/v1/tenants/{}/summaries/2026"


def problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    return resp.json()


def designated(studio_id, tenant_id, tenant_name, unit_id, unit_name, n):
    return new_event("registry", "studio.designated", {
        "studio_id": studio_id, "tenant_id": tenant_id, "tenant_name": tenant_name, "unit_id": unit_id,
        "unit_name": unit_name, "name": f"{unit_name}技能大师工作室", "lead_name": "王师傅",
        "nameplate_no": f"京技能大师〔2026〕第{n:02d}号", "designated_on": "2026-06-01", "year": YEAR},
        tenant_id=tenant_id)


@pytest.fixture(scope="module")
def api(module_vhost):
    fakes.DATA["digest"] = [fakes.digest_item(sid, t, u, YEAR) for sid, t, _, u, _ in STUDIOS]
    fakes.DATA["funds"] = []
    classes = [c for c in service_classes() if c.name not in ("reporting", "assessment")] + [fakes.FakeReporting]
    with running_system(module_vhost, classes) as api:
        publisher = Publisher(api.config["AMQP_URI"])
        exchange = get_event_exchange("registry", api.config)
        for n, row in enumerate(STUDIOS, 1):
            publisher.publish(designated(*row, n), exchange=exchange, routing_key="studio.designated")
        wait_for(lambda: len(api.get("/api/v1/ledger/accounts?page_size=500", "demo-finance").json()["items"]) >= 3,
                 timeout=30, message="the designations opened the accounts")
        yield api


def move_clock(api, now):
    resp = api.request("PUT", "/api/v1/admin/clock", "demo-admin", json={"now": now, "reason": "R-12 test"})
    assert resp.status_code == 200, resp.text
    wait_for(lambda: api.get("/api/v1/admin/clock", "demo-admin").json()["services"]["supervision"]["now"][:10]
             == now[:10] or now[:10] in str(api.get("/api/v1/admin/clock", "demo-admin").json()["services"]["supervision"]),
             message=f"supervision's clock reads {now}")


def test_R12_R11_two_dongcheng_units_roll_into_dongcheng_draft_and_not_haidian(api):
    wait_for(lambda: api.post(f"{SUMMARY.format('dongcheng')}/draft", "demo-dongcheng").status_code in (200, 201)
             and len(api.get(SUMMARY.format("dongcheng"), "demo-dongcheng").json()["studios"]) == 2,
             message="both 东城区 studios in the read model")
    dc = api.post(f"{SUMMARY.format('dongcheng')}/draft", "demo-dongcheng")
    assert dc.status_code == 200, dc.text                          # rebuilt: it exists
    body = dc.json()
    assert {s["studio_id"] for s in body["studios"]} == {"SUP-DC-1", "SUP-DC-2"}
    assert {s["unit_id"] for s in body["studios"]} == {"unit-dc-jinggong", "unit-dc-second"}
    f = body["figures"]
    assert f["studios"]["total"] == 2 and f["outputs"]["apprentices"] == 6 and f["reports"]["plan"]["accepted"] == 2
    assert f["funds"]["city_received_fen"] == 2 * 30_000_000        # the ledger's grants
    assert body["state"] == "draft" and body["due_on"] == "2026-12-15"

    hd = api.post(f"{SUMMARY.format('haidian')}/draft", "demo-haidian")
    assert hd.status_code == 201, hd.text
    assert [s["studio_id"] for s in hd.json()["studios"]] == ["SUP-HD-1"]
    assert hd.json()["figures"]["outputs"]["apprentices"] == 3

    problem(api.post(f"{SUMMARY.format('haidian')}/draft", "demo-dongcheng"), 404)   # not yours: 404
    problem(api.get(SUMMARY.format("dongcheng"), "demo-haidian"), 404)
    assert "year" in problem(api.get("/api/v1/tenants/dongcheng/summaries/twenty", "demo-dongcheng"), 422)["errors"]
    problem(api.post(f"{SUMMARY.format('dongcheng')}/draft", "demo-center"), 403)    # the tenant builds


def test_R12_december_15_is_on_time_december_16_late_by_one_day(api):
    edited = api.request("PATCH", SUMMARY.format("dongcheng"), "demo-dongcheng",
                         json={"overview": "全年工作室运行良好（第一版）"})
    assert edited.status_code == 200 and edited.json()["narrative"]["overview"].endswith("（第一版）")
    problem(api.request("PATCH", SUMMARY.format("dongcheng"), "demo-dongcheng", json={"poem": "x"}), 422)

    move_clock(api, "2026-12-15T18:00:00+08:00")
    key = {"Idempotency-Key": "sup-e2e-submit-dc"}
    first = api.post(f"{SUMMARY.format('dongcheng')}/submit", "demo-dongcheng", headers=key)
    assert first.status_code == 200, first.text
    assert first.json()["timeliness"] == "on_time" and first.json()["late_days"] == 0
    again = api.post(f"{SUMMARY.format('dongcheng')}/submit", "demo-dongcheng", headers=key)
    assert again.status_code == 200 and again.json()["version"] == 1 and len(again.json()["versions"]) == 1
    problem(api.post(f"{SUMMARY.format('dongcheng')}/submit", "demo-dongcheng"), 409)   # already submitted

    move_clock(api, "2026-12-16T09:00:00+08:00")
    late = api.post(f"{SUMMARY.format('haidian')}/submit", "demo-haidian")
    assert late.status_code == 200, late.text
    assert late.json()["timeliness"] == "late" and late.json()["late_days"] == 1   # accepted, marked late


def test_R12_the_city_sees_both_tenants_status_and_a_tenant_only_its_own(api):
    rows = api.get("/api/v1/summaries?year=2026", "demo-center").json()
    by = {r["tenant_id"]: r for r in rows["items"]}
    assert by["dongcheng"]["status"] == "on_time" and by["dongcheng"]["submitted_on"] == "2026-12-15"
    assert by["haidian"]["status"] == "late" and by["haidian"]["days_late"] == 1
    assert rows["totals"]["on_time"] == 1 and rows["totals"]["late"] == 1
    own = api.get("/api/v1/summaries?year=2026", "demo-dongcheng").json()
    assert [r["tenant_id"] for r in own["items"]] == ["dongcheng"]
    assert [r["tenant_id"] for r in api.get("/api/v1/summaries?year=2026&status=late", "demo-bureau").json()["items"]] \
        == ["haidian"]
    assert "status" in problem(api.get("/api/v1/summaries?year=2026&status=sunny", "demo-center"), 422)["errors"]
    assert "year" in problem(api.get("/api/v1/summaries?year=twenty", "demo-center"), 422)["errors"]
    problem(api.get("/api/v1/summaries?year=2026", "demo-unit-a"), 403)
    xlsx = api.get("/api/v1/summaries.xlsx?year=2026", "demo-center")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content))["报送情况"]
    assert {"东城区", "海淀区"} <= {row[1] for row in ws.iter_rows(min_row=4, values_only=True)}


def test_R12_reopening_by_the_city_with_a_reason_keeps_the_first_version(api):
    url = SUMMARY.format("dongcheng")
    problem(api.post(f"{url}/reopen", "demo-dongcheng", json={"reason": "x"}), 403)
    assert "reason" in problem(api.post(f"{url}/reopen", "demo-center", json={}), 422)["errors"]
    reopened = api.post(f"{url}/reopen", "demo-center", json={"reason": "请补充资金使用说明"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["state"] == "draft" and reopened.json()["version"] == 2
    assert reopened.json()["history"][-1]["reason"] == "请补充资金使用说明"
    rebuilt = api.post(f"{url}/draft", "demo-dongcheng")                   # a reopened draft can be rebuilt
    assert rebuilt.status_code == 200 and rebuilt.json()["versions"][0]["version"] == 1
    api.request("PATCH", url, "demo-dongcheng", json={"overview": "补充了资金说明（第二版）"})
    resubmitted = api.post(f"{url}/submit", "demo-dongcheng")
    assert resubmitted.status_code == 200 and resubmitted.json()["version"] == 2
    first = api.get(f"{url}?version=1", "demo-center").json()
    assert first["narrative"]["overview"] == "全年工作室运行良好（第一版）" and first["timeliness"] == "on_time"
    assert len(first["studios"]) == 2 and first["figures"]["studios"]["total"] == 2    # the snapshot is whole
    assert api.get(url, "demo-center").json()["narrative"]["overview"].endswith("（第二版）")
    status = {r["tenant_id"]: r for r in api.get("/api/v1/summaries?year=2026", "demo-center").json()["items"]}
    assert status["dongcheng"]["status"] == "on_time" and status["dongcheng"]["reopened"] is True
    book = api.get(f"{url}.xlsx?version=1", "demo-dongcheng")
    assert book.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(book.content))
    assert wb.sheetnames == ["封面", "工作室明细"]
    cover = {r[0]: r[1] for r in wb["封面"].iter_rows(min_row=3, values_only=True)}
    assert cover["工作室总数"] == 2 and cover["总体情况"].endswith("（第一版）")


def test_R12_inspections_a_tenant_records_a_unit_closes_its_item_others_see_nothing(api):
    url = "/api/v1/tenants/dongcheng/inspections"
    poor = {"studio_id": "SUP-DC-1", "inspected_on": "2026-12-01", "inspectors": ["张三"],
            "checked": ["activity", "funds"], "findings": "台账不全", "rating": "poor"}
    assert problem(api.post(url, "demo-dongcheng", json=poor), 422)["rule"] == "R-12"
    poor["rectifications"] = [{"description": "补齐设备台账", "due_on": "2026-12-31"}]
    made = api.post(url, "demo-dongcheng", json=poor, headers={"Idempotency-Key": "sup-e2e-insp"})
    assert made.status_code == 201, made.text
    again = api.post(url, "demo-dongcheng", json=poor, headers={"Idempotency-Key": "sup-e2e-insp"})
    # one rule for replays (issue 18): the first answer's status and body, marked as a replay
    assert again.status_code == 201 and again.json()["inspection_id"] == made.json()["inspection_id"]
    assert again.headers["Idempotency-Replayed"] == "true" and "Idempotency-Replayed" not in made.headers
    iid = made.json()["inspection_id"]
    problem(api.post("/api/v1/tenants/haidian/inspections", "demo-dongcheng", json=poor), 404)
    problem(api.post(url, "demo-dongcheng", json={**poor, "studio_id": "SUP-HD-1"}), 404)
    problem(api.get(url, "demo-haidian"), 404)
    assert [i["inspection_id"] for i in api.get(url, "demo-unit-a").json()["items"]] == [iid]
    assert api.get(url, "demo-center").json()["total"] == 1
    closure = f"{url}/{iid}/items/1/closure"
    problem(api.post(closure, "demo-unit-b", json={"note": "x"}), 404)
    closed = api.post(closure, "demo-unit-a", json={"note": "台账已补齐", "references": ["整改报告.pdf"]})
    assert closed.status_code == 200, closed.text
    assert closed.json()["rectifications"][0]["state"] == "closed"
    problem(api.post(closure, "demo-unit-a", json={"note": "again"}), 409)


def test_R11_R12_notifications_reach_the_addressed_unit_only(api):
    publisher = Publisher(api.config["AMQP_URI"])
    event = new_event("assessment", "assessment.graded", {
        "round_id": "r-1", "studio_id": "SUP-DC-1", "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
        "grade": "pass", "graded_on": "2026-12-10", "published_on": "2026-12-12"}, tenant_id="dongcheng")
    publisher.publish(event, exchange=get_event_exchange("assessment", api.config), routing_key="assessment.graded")
    returned = new_event("reporting", "report.returned", {
        "report_id": "rep-1", "studio_id": "SUP-DC-1", "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
        "year": YEAR, "kind": "plan", "version": 1, "reasons": ["缺少单位盖章", "目标任务不具体"],
        "returned_at": "2026-12-12T10:00:00+08:00"}, tenant_id="dongcheng")
    publisher.publish(returned, exchange=get_event_exchange("reporting", api.config), routing_key="report.returned")
    mine = wait_for(lambda: (items := api.get("/api/v1/me/notifications", "demo-unit-a").json()["items"])
                    and len(items) == 2 and items, message="demo-unit-a's two notifications")
    assert sorted(n["topic"] for n in mine) == ["assessment.graded", "report.returned"]
    back = next(n for n in mine if n["topic"] == "report.returned")
    assert "缺少单位盖章" in back["body"] and back["subject"]["reasons"] == ["缺少单位盖章", "目标任务不具体"]
    # the studio by its name (the read model's), not its id: a unit with several studios knows which
    assert back["body"].startswith("北京东城精工制造有限公司技能大师工作室的2026年年度工作计划已被退回"), back["body"]
    mine = [n for n in mine if n["topic"] == "assessment.graded"]
    assert mine[0]["read"] is False
    for other in ("demo-unit-b", "demo-dongcheng", "demo-haidian", "demo-center"):
        # (earlier tests' submissions notify the tenant and the city: only these two events matter)
        theirs = api.get("/api/v1/me/notifications?page_size=100", other).json()["items"]
        assert not [n for n in theirs if n["topic"] in ("assessment.graded", "report.returned")], other
    nid = mine[0]["notification_id"]
    problem(api.post(f"/api/v1/me/notifications/{nid}/read", "demo-unit-b"), 404)
    assert api.post(f"/api/v1/me/notifications/{nid}/read", "demo-unit-a").json()["read"] is True
    assert api.get("/api/v1/me/notifications?unread_only=true", "demo-unit-a").json()["total"] == 1
    assert "unread_only" in problem(api.get("/api/v1/me/notifications?unread_only=maybe", "demo-unit-a"), 422)["errors"]


def test_every_supervision_route_documents_its_error_statuses(api):
    spec = api.get("/api/v1/openapi.json").json()
    paths = {p: ops for p, ops in spec["paths"].items() if "summar" in p or "inspection" in p or "notification" in p}
    assert len(paths) >= 9
    for path, ops in paths.items():
        for method, op in ops.items():
            assert {"401", "403", "404", "422", "503"} <= set(op["responses"]), (method, path)

"""The ledger through the gateway, with every service running on the real broker (issue #4).

Accounts are opened the way production opens them: a ``studio.designated`` event on the
registry's exchange (for a studio of 北京东城精工 in 东城区 and one of 海淀智造 in 海淀区)."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from tests.support.waiting import wait_for

DC, HD = "ledger-e2e-dc", "ledger-e2e-hd"
YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year
ENTRIES = "/api/v1/studios/{}/account/entries"


def problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    return resp.json()


def designated(studio_id, tenant_id, unit_id, name):
    return {"event_id": f"e2e-{studio_id}", "source": "registry", "type": "studio.designated",
            "tenant_id": tenant_id, "occurred_at": datetime.now(ZoneInfo("Asia/Shanghai")).isoformat(),
            "request_id": None, "data": {"studio_id": studio_id, "tenant_id": tenant_id, "unit_id": unit_id,
                                         "name": name, "nameplate_no": f"京技能大师〔{YEAR}〕第01号"}}


@pytest.fixture(scope="module")
def accounts(system):
    publisher = Publisher(system.config["AMQP_URI"])
    exchange = get_event_exchange("registry", system.config)
    for event in (designated(DC, "dongcheng", "unit-dc-jinggong", "张师傅技能大师工作室"),
                  designated(HD, "haidian", "unit-hd-zhizao", "=李师傅技能大师工作室")):
        publisher.publish(event, exchange=exchange, routing_key="studio.designated")

    def seen():
        return {a["studio_id"] for a in system.get("/api/v1/ledger/accounts?page_size=500", "demo-finance")
                .json().get("items", [])}
    wait_for(lambda: {DC, HD} <= seen(), 20, 0.1, message="the designations to open the accounts")
    return system


def test_R21_designation_opened_each_account_with_the_grant(accounts):
    body = accounts.get(f"/api/v1/studios/{DC}/account", "demo-unit-a").json()
    assert body["received"]["city_grant_fen"] == 30_000_000 and body["studio_name"] == "张师傅技能大师工作室"


def test_a_tenant_user_sees_only_its_tenants_accounts_and_another_tenants_is_404(accounts):
    items = accounts.get("/api/v1/ledger/accounts", "demo-dongcheng").json()["items"]
    assert {a["tenant_id"] for a in items} == {"dongcheng"} and DC in {a["studio_id"] for a in items}
    problem(accounts.get(f"/api/v1/studios/{HD}/account", "demo-dongcheng"), 404)
    problem(accounts.get(ENTRIES.format(HD), "demo-dongcheng"), 404)
    problem(accounts.get(f"/api/v1/studios/{DC}/account", "demo-haidian"), 404)
    assert accounts.get(f"/api/v1/studios/{HD}/account", "demo-haidian").status_code == 200


def test_finance_sees_every_account(accounts):
    items = accounts.get("/api/v1/ledger/accounts?page_size=500", "demo-finance").json()["items"]
    assert {DC, HD} <= {a["studio_id"] for a in items}
    assert accounts.get(f"/api/v1/studios/{HD}/account", "demo-finance").status_code == 200


def test_R23_a_unit_books_matching_funds_and_the_same_key_returns_the_first_entry(accounts):
    headers = {"Idempotency-Key": "e2e-matching-1"}
    first = accounts.post(ENTRIES.format(DC), "demo-unit-a", headers=headers,
                          json={"kind": "matching", "amount_fen": 10_000_000, "memo": "单位配套资金"})
    assert first.status_code == 201, first.text
    again = accounts.post(ENTRIES.format(DC), "demo-unit-a", headers=headers,
                          json={"kind": "matching", "amount_fen": 10_000_000, "memo": "单位配套资金"})
    # one rule for replays (issue 18): the first answer's status and body, marked as a replay
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotency-Replayed"] == "true" and "Idempotency-Replayed" not in first.headers
    entries = accounts.get(ENTRIES.format(DC), "demo-unit-a").json()
    assert [e["kind"] for e in entries["items"]].count("matching") == 1


def test_the_same_idempotency_key_with_another_body_is_409(accounts):
    headers = {"Idempotency-Key": "e2e-matching-2"}
    assert accounts.post(ENTRIES.format(DC), "demo-unit-a", headers=headers,
                         json={"kind": "matching", "amount_fen": 100}).status_code == 201
    body = problem(accounts.post(ENTRIES.format(DC), "demo-unit-a", headers=headers,
                                 json={"kind": "matching", "amount_fen": 101}), 409)
    assert "Idempotency" in body["detail"] or "idempotency" in body["detail"]


def test_a_unit_cannot_book_for_another_units_studio(accounts):
    problem(accounts.post(ENTRIES.format(HD), "demo-unit-a", json={"kind": "matching", "amount_fen": 100}), 404)
    problem(accounts.get(f"/api/v1/studios/{HD}/account", "demo-unit-a"), 404)


def test_only_units_book(accounts):
    problem(accounts.post(ENTRIES.format(DC), "demo-dongcheng", json={"kind": "matching", "amount_fen": 100}), 403)
    problem(accounts.post(ENTRIES.format(DC), "demo-finance", json={"kind": "matching", "amount_fen": 100}), 403)


def test_R22_spending_more_city_money_than_the_account_holds_is_422_naming_the_rule(accounts):
    body = problem(accounts.post(ENTRIES.format(HD), "demo-unit-b", json={
        "kind": "expenditure", "amount_fen": 30_000_001, "category": "training", "funding": "city",
        "unit_price_fen": 50_000}), 422)
    assert body["rule"] == "R-22" and "amount_fen" in body["errors"]


def test_R22_a_fixed_asset_is_required_at_the_threshold_and_is_registered(accounts):
    spend = {"kind": "expenditure", "amount_fen": 100_000, "category": "equipment_facilities", "funding": "city"}
    body = problem(accounts.post(ENTRIES.format(HD), "demo-unit-b", json=spend), 422)
    assert body["rule"] == "R-22" and "fixed_asset" in body["errors"]
    spend["fixed_asset"] = {"asset_tag": "HD-FA-001", "name": "工业机器人", "quantity": 1, "location": "智造实训中心"}
    assert accounts.post(ENTRIES.format(HD), "demo-unit-b", json=spend).status_code == 201
    register = accounts.get(f"/api/v1/studios/{HD}/account/fixed-assets", "demo-haidian").json()
    assert [r["asset_tag"] for r in register["items"]] == ["HD-FA-001"]


def test_a_malformed_booking_is_422_field_by_field(accounts):
    body = problem(accounts.post(ENTRIES.format(DC), "demo-unit-a", json={"kind": "matching", "amount_fen": "5"}), 422)
    assert "amount_fen" in body["errors"]


def test_R22_R23_compliance_of_the_current_cycle(accounts):
    body = accounts.get(f"/api/v1/studios/{DC}/account/compliance?next_assessment_at={YEAR + 2}-03-01",
                        "demo-dongcheng").json()
    assert body["cycle"] == 1 and body["city_funds_fen"] == 30_000_000 and body["deadline_passed"] is False
    assert set(body["rules"]) == {"R-22", "R-23"}


def test_reconciliation_json_for_finance_and_for_a_tenant_of_its_own(accounts):
    city = accounts.get(f"/api/v1/ledger/reconciliation?year={YEAR}", "demo-finance").json()
    assert city["all_balanced"] and {DC, HD} <= {s["studio_id"] for s in city["studios"]}
    assert city["city"]["received"]["city_grant_fen"] >= 60_000_000
    own = accounts.get(f"/api/v1/ledger/reconciliation?year={YEAR}", "demo-dongcheng").json()
    assert {s["tenant_id"] for s in own["studios"]} == {"dongcheng"}
    problem(accounts.get(f"/api/v1/ledger/reconciliation?year={YEAR}&tenant_id=haidian", "demo-dongcheng"), 404)
    problem(accounts.get(f"/api/v1/ledger/reconciliation?year={YEAR}", "demo-unit-a"), 403)
    assert "year" in problem(accounts.get("/api/v1/ledger/reconciliation", "demo-finance"), 422)["errors"]


def test_reconciliation_xlsx_downloads_and_opens(accounts):
    resp = accounts.get(f"/api/v1/ledger/reconciliation.xlsx?year={YEAR}", "demo-finance")
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in resp.headers["Content-Disposition"] and ".xlsx" in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["工作室明细", "主管部门汇总", "全市汇总", "说明"]
    names = {wb["工作室明细"].cell(row=r, column=6).value for r in range(3, wb["工作室明细"].max_row + 1)}
    assert "'=李师傅技能大师工作室" in names                               # escaped, never a formula


def test_finance_checks_the_stored_balances_against_the_entries(accounts):
    assert accounts.get(f"/api/v1/studios/{DC}/account/verification", "demo-finance").json()["ok"]
    assert accounts.get("/api/v1/ledger/verification", "demo-finance").json()["ok"]
    problem(accounts.get("/api/v1/ledger/verification", "demo-dongcheng"), 403)


def test_every_ledger_route_is_in_the_openapi_document(accounts):
    spec = accounts.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/ledger/accounts", "/api/v1/studios/{studio_id}/account",
                 "/api/v1/studios/{studio_id}/account/entries", "/api/v1/studios/{studio_id}/account/fixed-assets",
                 "/api/v1/studios/{studio_id}/account/compliance", "/api/v1/ledger/reconciliation",
                 "/api/v1/ledger/reconciliation.xlsx"):
        assert path in spec["paths"], path
    post = spec["paths"]["/api/v1/studios/{studio_id}/account/entries"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert {"201", "409", "422"} <= set(post["responses"])

"""The assessment through the gateway, every service on the real broker (reporting is a fake that
answers CONTRACTS.md's ``report_digest``): the due list for studios designated two years earlier
(the clock set to 2026-11-20), a round, filled-in figures matching the ledger's, scorers, the
preview, publishing, the bonus once (R-16, R-17, R-21); visibility by tenant before and after
publishing; problem+json, Idempotency-Key, paging and unknown filter values (API conventions)."""
from __future__ import annotations

import io

import openpyxl
import pytest
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from tests.assessment.test_assessment_broker import FakeReporting
from tests.conftest import make_config, running_system, service_classes
from bench.designations import designate_directly
from tests.support.waiting import holds_for, wait_for

ROUNDS = "/api/v1/assessment-rounds"
# with the real supervision service answering, duties_rectification is filled in from its open
# rectifications (none here) and experts may not score it; duties_inspection (no inspection) is theirs
EXPERT_CODES = ["duties_work", "city_funds_rules", "economic_benefit", "social_benefit", "duties_inspection"]


@pytest.fixture(scope="module")
def api(module_vhost):
    config = make_config(module_vhost, CLOCK_NOW="2026-11-20T09:00:00+08:00", RPC_TIMEOUT_SECONDS=5)
    classes = [c for c in service_classes() if c.name != "reporting"] + [FakeReporting]
    with running_system(config, classes) as api:
        registry = next(c for c in api.runner.containers if c.service_name == "registry")
        api.ids = designate_directly(registry, 5, "e2e", first_year=2024)      # dongcheng, haidian, …
        wait_for(lambda: len(api.get("/api/v1/ledger/accounts?page_size=500", "demo-finance").json()["items"]) == 5,
                 30, 0.2, message="the grants")
        yield api


def problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    return resp.json()


def put(api, path, user, **kw):
    return api.request("PUT", path, user, **kw)


def test_assessment_routes_are_in_the_openapi_with_their_error_statuses(api):
    doc = api.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/assessment-rounds"]["post"]
    assert {"201", "400", "401", "403", "409", "422", "503"} <= set(op["responses"])
    assert "Idempotency-Replayed" in op["responses"]["201"]["headers"]
    assert "/api/v1/assessment-rounds/{round_id}/results.xlsx" in doc["paths"]


def test_r13_to_r17_the_city_runs_a_round_through_the_gateway(api):
    """R-13: the city assesses (a district may not ask who is due, see the scores or the grades);
    R-14 … R-17: due list, round, scores, grades with the cap, published results."""
    ids = api.ids
    dc, hd = ids[0::2], ids[1::2]
    # the unit of ids[0] (北京东城精工) matches the city funds and spends them
    entries = f"/api/v1/studios/{ids[0]}/account/entries"
    for key, entry in (("m", {"kind": "matching", "amount_fen": 30_000_000}),
                       ("e", {"kind": "expenditure", "amount_fen": 30_000_000, "category": "training",
                              "funding": "city", "unit_price_fen": 50_000})):
        assert api.post(entries, "demo-unit-a", json=entry, headers={"Idempotency-Key": f"e2e-{key}"}).status_code == 201
    # who is due: the five, designated 2024-06-01; tenants may not ask
    due = api.get(f"{ROUNDS}/due?year=2026", "demo-center").json()
    assert sorted(d["studio_id"] for d in due["due"]) == sorted(ids)
    problem(api.get(f"{ROUNDS}/due?year=2026", "demo-dongcheng"), 403)
    problem(api.get(f"{ROUNDS}?state=closed", "demo-center"), 422)                  # unknown filter value

    body = {"year": 2026, "bonus_budget_fen": 20_000_000}
    first = api.post(ROUNDS, "demo-center", json=body, headers={"Idempotency-Key": "e2e-round"})
    assert first.status_code == 201, first.text
    again = api.post(ROUNDS, "demo-center", json=body, headers={"Idempotency-Key": "e2e-round"})
    # one rule for replays (issue 18): the first answer's status and body, marked as a replay
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotency-Replayed"] == "true" and "Idempotency-Replayed" not in first.headers
    problem(api.post(ROUNDS, "demo-center", json={**body, "bonus_budget_fen": 1},
                     headers={"Idempotency-Key": "e2e-round"}), 409)
    bad = problem(api.post(ROUNDS, "demo-center", json={"year": 2026}), 422)
    assert "bonus_budget_fen" in bad["errors"]
    rid = first.json()["id"]

    # filled in from the ledger: the figures are the ledger's
    sheets = api.get(f"{ROUNDS}/{rid}/scores?page_size=2", "demo-center").json()
    assert sheets["total"] == 5 and len(sheets["items"]) == 2 and sheets["pages"] == 3
    filled = {f["code"]: f for f in sheets["items"][0]["filled_in"]}
    sid = sheets["items"][0]["studio_id"]
    compliance = api.get(f"/api/v1/studios/{sid}/account/compliance", "demo-finance").json()
    assert filled["city_funds_use"]["figures"]["city_funds_fen"] == compliance["city_funds_fen"] == 30_000_000
    assert filled["duties_targets"]["figures"] == {"targets_total": 10, "targets_met": 9}
    problem(api.get(f"{ROUNDS}/{rid}/scores", "demo-dongcheng"), 403)

    # scorers: demo-center and demo-bureau score every studio
    assert put(api, f"{ROUNDS}/{rid}/scorers", "demo-center",
               json={"assignments": {"demo-center": ids, "demo-bureau": ids}}).status_code == 200
    values = dict(zip(ids, (100, 90, 80, 75, 20)))
    for user in ("demo-center", "demo-bureau"):
        for s, v in values.items():
            r = put(api, f"{ROUNDS}/{rid}/scores/{s}", user, json={"scores": {c: v for c in EXPERT_CODES}})
            assert r.status_code == 200, r.text
    err = problem(put(api, f"{ROUNDS}/{rid}/scores/{ids[0]}", "demo-center",
                      json={"scores": {"duties_work": 101}}), 422)
    assert err["rule"] == "R-15" and "scores.duties_work" in err["errors"]

    preview = api.get(f"{ROUNDS}/{rid}/grade", "demo-center").json()
    assert preview["summary"]["cap"] == 1          # 20 % of 5; the budget allows one
    grades = {i["studio_id"]: i["grade"] for i in preview["items"]}
    assert grades == {ids[0]: "excellent", ids[1]: "pass", ids[2]: "pass", ids[3]: "pass", ids[4]: "fail"}
    # before publishing: the tenant sees no results (404), the city does the preview
    problem(api.get(f"{ROUNDS}/{rid}/results", "demo-dongcheng"), 404)
    problem(api.get(f"{ROUNDS}/{rid}/grade", "demo-dongcheng"), 403)

    pub = api.post(f"{ROUNDS}/{rid}/publish", "demo-bureau", headers={"Idempotency-Key": "e2e-pub"})
    assert pub.status_code == 200 and pub.json()["state"] == "published", pub.text
    mine = api.get(f"{ROUNDS}/{rid}/results", "demo-dongcheng").json()
    assert sorted(r["studio_id"] for r in mine["items"]) == sorted(dc)
    assert sorted(r["studio_id"] for r in api.get(f"{ROUNDS}/{rid}/results", "demo-haidian").json()["items"]) \
        == sorted(hd)
    assert api.get(f"{ROUNDS}/{rid}/results?grade=fail", "demo-center").json()["total"] == 1

    # the ledger books the excellent studio's bonus once, however often it is told
    def bonuses():
        return [e for e in api.get(f"{entries}?page_size=500", "demo-finance").json()["items"] if e["kind"] == "bonus"]
    booked = wait_for(bonuses, 20, 0.1, message="the bonus")
    assert len(booked) == 1 and booked[0]["amount_fen"] == 20_000_000
    event = {"event_id": booked[0]["caused_by"]["event_id"], "source": "assessment", "type": "assessment.graded",
             "tenant_id": "dongcheng", "occurred_at": "2026-11-20T09:00:00+08:00", "request_id": None,
             "data": {"round_id": rid, "studio_id": ids[0], "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong",
                      "grade": "excellent", "graded_on": "2026-11-20", "published_on": "2026-11-20"}}
    Publisher(api.config["AMQP_URI"]).publish(event, exchange=get_event_exchange("assessment", api.config),
                                              routing_key="assessment.graded")           # delivered twice
    assert api.post(f"{ROUNDS}/{rid}/publish", "demo-bureau").status_code == 200         # published twice
    holds_for(lambda: len(bonuses()) == 1, 2, message="one bonus")
    rec = api.get(f"/api/v1/studios/{ids[0]}/assessment", "demo-dongcheng").json()
    assert rec["national_recommendation"]["round_id"] == rid
    problem(api.get(f"/api/v1/studios/{ids[0]}/assessment", "demo-haidian"), 404)
    problem(api.get(f"{ROUNDS}/{rid}/results?grade=great", "demo-center"), 422)
    wb = api.get(f"{ROUNDS}/{rid}/results.xlsx", "demo-haidian")
    assert wb.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(wb.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 + len(hd) and "等级" in rows[2]
    problem(api.post(f"{ROUNDS}/{rid}/removals", "demo-center", json={"studio_id": ids[0], "reason": "晚了"}), 409)

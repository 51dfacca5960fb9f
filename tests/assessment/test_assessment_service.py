"""The assessment service's entry points on an embedded store, other services faked by their
contracts (no broker): rounds (R-14), filled-in indicators with their source (R-15, R-23),
scorers, grading and publishing (R-16), consequences (R-17, R-18), visibility by tenant."""
from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from shared.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed

from .support import (BUREAU, CENTER, DONGCHENG, EXPERT, HAIDIAN, SHANGHAI, UNIT_A, Assessment)

EXPERT_CODES = ["duties_work", "city_funds_rules", "economic_benefit", "social_benefit"]


def ledger_item(sid, spent=24_000_000, matching=30_000_000):
    return {"studio_id": sid, "tenant_id": "dongcheng", "unit_id": "unit-dc", "cycle": 1,
            "city_funds_fen": 30_000_000, "city_spent_fen": spent, "city_unspent_fen": 30_000_000 - spent,
            "matching_fen": matching, "matching_ratio_bp": matching * 10_000 // 30_000_000,
            "matching_at_least_city": matching >= 30_000_000}


def digest_item(sid, met=8):
    return {"studio_id": sid, "tenant_id": "dongcheng", "unit_id": "unit-dc", "year": 2026,
            "plan": {"state": "accepted", "version": 1, "timeliness": "on_time"},
            "results": {"state": "submitted", "version": 1, "timeliness": "on_time"},
            "targets_total": 8, "targets_met": met, "outputs": {}, "economic_benefit_fen": 0}


@pytest.fixture
def world():
    a = Assessment()
    a.designate("S1", "2024-06-01")
    a.designate("S2", "2024-07-01", unit_id="unit-dc-2")
    a.designate("S3", "2024-08-01", tenant_id="haidian", unit_id="unit-hd")
    a.designate("S4", "2024-09-01")
    a.designate("S5", "2024-10-01", tenant_id="haidian", unit_id="unit-hd")
    a.designate("NEW", "2025-06-01")
    a.designate("OLD", "2022-05-01")
    a.revoke("OLD")
    ids = ["S1", "S2", "S3", "S4", "S5"]
    a.calls.answers[("ledger", "compliance_batch")] = lambda sids, **kw: [ledger_item(s) for s in sids]
    a.calls.answers[("reporting", "report_digest")] = lambda year, studio_ids=None, **kw: [
        digest_item(s) for s in studio_ids]
    # supervision does not answer (its digest not there yet): the default fake raises ServiceUnavailable
    a.ids = ids
    return a


def open_round(a, budget=10 * 20_000_000, key="k1"):
    out = a.as_(CENTER).create_round({"year": 2026, "bonus_budget_fen": budget}, idempotency_key=key)
    return out["round"]["id"], out


def score_all(a, rid, values):
    """Five experts each score every studio ``values[sid]`` on every expert indicator."""
    a.as_(CENTER).assign_scorers(rid, {"assignments": {e.user: list(values) for e in EXPERT.values()}})
    for e in EXPERT.values():
        for sid, v in values.items():
            a.as_(e).enter_scores(rid, sid, {"scores": {c: v for c in EXPERT_CODES}})


def test_r14_due_preview_and_round_for_studios_designated_two_years_earlier(world):
    preview = world.as_(CENTER).due_preview(2026)
    assert [d["studio_id"] for d in preview["due"]] == world.ids
    assert {d["reason"] for d in preview["due"]} == {"two_years"}
    why = {d["studio_id"]: d["why_not"] for d in preview["not_due"]}
    assert why["OLD"] == "revoked" and why["NEW"].startswith("two full years on 2027-06-01")
    rid, out = open_round(world)
    assert out["created"] and out["round"]["studio_count"] == 5 and out["round"]["rubric_version"] == 1
    # the same Idempotency-Key and body: the first round again; another body: 409
    again = world.as_(CENTER).create_round({"year": 2026, "bonus_budget_fen": 10 * 20_000_000}, idempotency_key="k1")
    assert again["round"]["id"] == rid and not again["created"]
    with pytest.raises(Conflict):
        world.as_(CENTER).create_round({"year": 2026, "bonus_budget_fen": 1}, idempotency_key="k1")
    # the studios of an open round are not due again
    assert world.as_(CENTER).due_preview(2026)["due"] == []


def test_r14_add_and_remove_with_reasons_in_the_history(world):
    rid, _ = open_round(world)
    c = world.as_(CENTER)
    c.remove_round_studio(rid, {"studio_id": "S4", "reason": "领办人重病"})
    doc = c.add_round_studio(rid, {"studio_id": "NEW", "reason": "主管部门申请提前考核"})
    assert [s["studio_id"] for s in doc["studios"]] == ["S1", "S2", "S3", "S5", "NEW"]
    assert [(h["action"], h.get("studio_id"), h.get("reason")) for h in doc["history"][1:]] == [
        ("remove", "S4", "领办人重病"), ("add", "NEW", "主管部门申请提前考核")]
    with pytest.raises(ValidationFailed) as err:
        c.add_round_studio(rid, {"studio_id": "S4"})
    assert "reason" in err.value.errors
    with pytest.raises(Forbidden):
        world.as_(DONGCHENG).remove_round_studio(rid, {"studio_id": "S1", "reason": "x"})


def test_r23_filled_in_indicators_match_the_ledger_and_reporting_and_show_unavailable_supervision(world):
    rid, _ = open_round(world)
    sheets = world.as_(CENTER).list_scores(rid)
    assert sheets["total"] == 5
    s1 = {f["code"]: f for f in sheets["items"][0]["filled_in"]}
    assert s1["city_funds_use"]["figures"]["city_spent_fen"] == 24_000_000
    assert s1["city_funds_use"]["score"] == 80.0 and s1["city_funds_use"]["source"] == "ledger.city_funds_use"
    assert s1["matching_funds"]["score"] == 100.0
    assert s1["duties_targets"]["score"] == 100.0 and s1["duties_targets"]["figures"]["targets_met"] == 8
    assert not s1["duties_inspection"]["available"]
    assert s1["duties_inspection"]["unavailable_code"] == "source_no_answer"
    assert s1["duties_inspection"]["unavailable_reason"] == "年度检查未应答，未能取得数据"
    # the experts may score what is unavailable, never what was filled in
    assert "duties_inspection" in sheets["items"][0]["expert_indicators"]
    assert "city_funds_use" not in sheets["items"][0]["expert_indicators"]
    assert any(c[0] == "as_system" for c in world.calls.calls)     # system calls, with a reason


def test_r15_asking_again_says_in_chinese_which_source_did_not_answer(world):
    rid, _ = open_round(world)
    out = world.as_(CENTER).refresh_inputs(rid)
    assert out["sources"]["ledger"] == {"available": True, "code": None, "reason": None, "detail": None}
    supervision = out["sources"]["supervision"]
    assert not supervision["available"] and supervision["code"] == "source_no_answer"
    assert supervision["reason"] == "年度检查未应答，未能取得数据" and supervision["detail"]


def test_r15_a_scorer_sees_and_scores_only_the_studios_assigned(world):
    rid, _ = open_round(world)
    world.as_(CENTER).assign_scorers(rid, {"assignments": {EXPERT[1].user: ["S1", "S2"]}})
    mine = world.as_(EXPERT[1]).list_scores(rid)
    assert mine["scorer"] and [i["studio_id"] for i in mine["items"]] == ["S1", "S2"]
    world.as_(EXPERT[1]).enter_scores(rid, "S1", {"scores": {"duties_work": 90}})
    with pytest.raises(NotFound):
        world.as_(EXPERT[1]).enter_scores(rid, "S3", {"scores": {"duties_work": 90}})
    with pytest.raises(ValidationFailed) as err:
        world.as_(EXPERT[1]).enter_scores(rid, "S1", {"scores": {"city_funds_use": 10, "duties_work": 101}})
    assert err.value.rule == "R-15"
    with pytest.raises(Forbidden):
        world.as_(DONGCHENG).enter_scores(rid, "S1", {"scores": {"duties_work": 90}})
    with pytest.raises(NotFound):
        world.as_(DONGCHENG).list_scores(rid)                      # before publishing: city only


def test_r16_preview_publish_events_once_and_tenants_see_only_their_own(world):
    rid, _ = open_round(world, budget=3 * 20_000_000)
    with pytest.raises(RuleViolation):
        world.as_(BUREAU).publish_round(rid)                        # incomplete: nothing is published
    score_all(world, rid, {"S1": 100, "S2": 95, "S3": 90, "S4": 70, "S5": 20})
    preview = world.as_(CENTER).grade_preview(rid)
    assert preview["summary"]["cap"] == 1 and preview["summary"]["excellent"] == 1    # 20 % of 5
    grades = {i["studio_id"]: i["grade"] for i in preview["items"]}
    assert grades == {"S1": "excellent", "S2": "pass", "S3": "pass", "S4": "pass", "S5": "fail"}
    for who in (DONGCHENG, UNIT_A):
        with pytest.raises(NotFound):
            world.as_(who).list_results(rid)
        with pytest.raises(NotFound):
            world.as_(who).grade_preview(rid)
    assert world.as_(CENTER).list_rounds()["total"] == 1 and world.as_(DONGCHENG).list_rounds()["total"] == 0

    done = world.as_(BUREAU).publish_round(rid)
    assert done["state"] == "published" and done["summary"]["excellent"] == 1
    graded = [e for e in world.outbox.recorded if e["type"] == "assessment.graded"]
    assert sorted((e["data"]["studio_id"], e["data"]["grade"]) for e in graded) == sorted(grades.items())
    assert graded[0]["data"]["round_id"] == rid and graded[0]["data"]["published_on"] == "2026-11-20"
    world.as_(BUREAU).publish_round(rid)                            # again: nothing new
    assert len([e for e in world.outbox.recorded if e["type"] == "assessment.graded"]) == 5
    with pytest.raises(Conflict):
        world.as_(CENTER).remove_round_studio(rid, {"studio_id": "S1", "reason": "too late"})

    assert {r["studio_id"] for r in world.as_(DONGCHENG).list_results(rid)["items"]} == {"S1", "S2", "S4"}
    assert {r["studio_id"] for r in world.as_(HAIDIAN).list_results(rid)["items"]} == {"S3", "S5"}
    assert {r["studio_id"] for r in world.as_(UNIT_A).list_results(rid)["items"]} == {"S1", "S4"}   # its own
    assert world.as_(CENTER).list_results(rid)["total"] == 5
    assert world.as_(DONGCHENG).list_results(rid, tenant_id="haidian")["items"] == []
    rec = world.as_(DONGCHENG).studio_record("S1")
    assert rec["national_recommendation"]["round_id"] == rid
    with pytest.raises(NotFound):
        world.as_(DONGCHENG).studio_record("S5")
    assert world.as_(HAIDIAN).studio_record("S5")["rectification_due_on"] == "2027-05-19"

    book = world.as_(DONGCHENG).results_xlsx(rid)
    ws = load_workbook(io.BytesIO(base64.b64decode(book["content_b64"]))).active
    rows = list(ws.iter_rows(values_only=True))
    assert [r[3] for r in rows[3:]] == ["S1技能大师工作室", "S2技能大师工作室", "S4技能大师工作室"]
    assert rows[3][rows[2].index("等级")] == "优秀"


def test_r18_fail_then_fail_the_re_assessment_requests_revocation(world):
    rid, _ = open_round(world)
    score_all(world, rid, {"S1": 90, "S2": 80, "S3": 80, "S4": 80, "S5": 10})
    world.as_(CENTER).publish_round(rid)
    world.now = dt.datetime(2027, 6, 1, 9, 0, tzinfo=SHANGHAI)            # the rectification is due
    preview = world.as_(CENTER).due_preview(2027)
    assert [(d["studio_id"], d["reason"]) for d in preview["due"]] == [("S5", "re_assessment"), ("NEW", "two_years")]
    out = world.as_(CENTER).create_round({"year": 2027, "bonus_budget_fen": 0, "remove": [
        {"studio_id": "NEW", "reason": "另行安排"}]}, idempotency_key="k2")
    rid2 = out["round"]["id"]
    score_all(world, rid2, {"S5": 30})
    world.as_(CENTER).publish_round(rid2)
    asked = [e for e in world.outbox.recorded if e["type"] == "assessment.revocation_requested"]
    assert len(asked) == 1 and asked[0]["data"]["studio_id"] == "S5"
    assert asked[0]["data"]["ground"] == "failed_after_rectification"
    assert world.as_(CENTER).studio_record("S5")["revocation_requested"]["round_id"] == rid2


def test_r15_rubric_versions_and_a_round_keeps_its_own(world):
    rid, _ = open_round(world)
    rubric = world.as_(CENTER).get_rubric(1)
    data = {k: rubric[k] for k in ("name", "pass_threshold", "excellent_line", "rectification_days", "notes")}
    data["name"] = "2027版"
    data["pass_threshold"] = 70
    data["indicators"] = [{k: i[k] for k in ("code", "group", "name", "weight", "maximum", "source", "guidance")}
                          for i in rubric["indicators"]]
    out = world.as_(CENTER).create_rubric(data, idempotency_key="r2")
    assert out["created"] and out["rubric"]["version"] == 2
    assert [r["version"] for r in world.as_(DONGCHENG).list_rubrics()["items"]] == [1, 2]
    assert world.as_(CENTER).get_round(rid)["rubric"]["pass_threshold"] == 60.0     # unchanged
    data["indicators"][0]["weight"] = 99
    with pytest.raises(ValidationFailed) as err:
        world.as_(CENTER).create_rubric(data)
    assert err.value.rule == "R-15"

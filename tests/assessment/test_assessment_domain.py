"""The assessment domain without a broker or a store (R-14 … R-18, R-20, R-21, R-23)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from services.assessment.domain import consequences, due, grading, inputs, rounds, rubric, scoring, workbook
from services.assessment.domain.due import AssessmentRecord, StudioFacts
from services.assessment.domain.evaluation import as_auto, evaluate
from services.assessment.domain.scores import to_cp
from shared.errors import Conflict, Forbidden, NotFound, RuleViolation, ServiceUnavailable, ValidationFailed

AT = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.timezone.utc)


def facts(sid, designated, **kw):
    return StudioFacts(sid, kw.pop("tenant_id", "dongcheng"), kw.pop("unit_id", "u1"), designated, name=f"{sid}工作室",
                       **kw)


# -- who is due ------------------------------------------------------------------------
def test_r14_due_after_a_full_two_years_since_designation():
    s = facts("a", dt.date(2024, 6, 30))
    assert due.why_due(s, None, dt.date(2026, 6, 29))[0] is None
    entry, _ = due.why_due(s, None, dt.date(2026, 6, 30))
    assert (entry.reason, entry.due_on) == (due.TWO_YEARS, dt.date(2026, 6, 30))


def test_r14_two_years_since_the_last_assessment_and_29_february():
    s = facts("a", dt.date(2020, 5, 1))
    rec = AssessmentRecord(last_assessed_on=dt.date(2024, 2, 29))
    assert due.why_due(s, rec, dt.date(2026, 2, 28))[0] is None       # not full until 1 March
    assert due.why_due(s, rec, dt.date(2026, 3, 1))[0].since == dt.date(2024, 2, 29)


def test_article_27_transitional_batches_for_studios_designated_before_the_measures():
    old = facts("old", dt.date(2022, 9, 1))
    entry, _ = due.why_due(old, None, dt.date(2024, 3, 1))
    assert entry.reason == due.TRANSITIONAL and not entry.overdue
    assert due.why_due(old, None, dt.date(2025, 3, 1))[0].overdue          # past the end of 2024
    # once assessed under the measures it follows R-14
    assert due.why_due(old, AssessmentRecord(dt.date(2024, 6, 1)), dt.date(2025, 3, 1))[0] is None


def test_r18_studio_in_rectification_is_due_for_re_assessment_when_its_rectification_is_due():
    s = facts("f", dt.date(2024, 1, 1))
    rec = AssessmentRecord(rectification_due_on=dt.date(2027, 5, 28))
    assert due.why_due(s, rec, dt.date(2027, 5, 27))[0] is None
    assert due.why_due(s, rec, dt.date(2027, 5, 28))[0].reason == due.RE_ASSESSMENT


def test_r20_revoked_and_busy_studios_are_not_due():
    studios = [facts("a", dt.date(2020, 1, 1), revoked=True), facts("b", dt.date(2023, 6, 1)),
               facts("c", dt.date(2023, 7, 1))]
    listed = due.due_list(studios, {}, dt.date(2026, 1, 1), busy={"c"})
    assert [d.studio_id for d in listed] == ["b"]
    why = {d["studio_id"]: d["why_not"] for d in due.not_due_list(studios, {}, dt.date(2026, 1, 1), busy={"c"})}
    assert why == {"a": "revoked", "c": "in another open round"}


# -- rubric ----------------------------------------------------------------------------
def test_r15_default_rubric_covers_the_five_headings_and_weights_add_up_to_100():
    r = rubric.DEFAULT_RUBRIC
    assert {i.group for i in r.indicators} == set(rubric.GROUPS)
    assert sum(i.weight for i in r.indicators) == 100
    assert r.fund_use_code == "city_funds_use"
    again = rubric.rubric_from_dict(r.to_dict(), 1)
    assert again.to_dict() == r.to_dict()


def test_r15_a_bad_rubric_is_refused_with_field_errors():
    data = rubric.DEFAULT_RUBRIC.to_dict()
    data["indicators"][0]["weight"] = 50
    data["indicators"][1]["source"] = "ledger.nonsense"
    data["excellent_line"] = 50
    with pytest.raises(ValidationFailed) as err:
        rubric.rubric_from_dict(data, 2)
    assert err.value.rule == "R-15"
    assert set(err.value.errors) >= {"indicators.1.source", "excellent_line"}


def test_scores_are_exact_hundredths():
    assert to_cp("87.25", "x") == 8725 and to_cp(90, "x") == 9000
    for bad in ("87.255", "abc", True, -1, "NaN"):
        with pytest.raises(ValidationFailed):
            to_cp(bad, "x", maximum_cp=10000)
    with pytest.raises(ValidationFailed):
        to_cp(100.01, "x", maximum_cp=10000)


# -- filled-in indicators ----------------------------------------------------------------
LEDGER = {"studio_id": "a", "cycle": 1, "city_funds_fen": 30_000_000, "city_spent_fen": 24_000_000,
          "city_unspent_fen": 6_000_000, "matching_fen": 15_000_000, "matching_ratio_bp": 5000,
          "matching_at_least_city": False}
REPORTING = {"studio_id": "a", "targets_total": 8, "targets_met": 6,
             "plan": {"state": "accepted", "timeliness": "on_time"},
             "results": {"state": "submitted", "timeliness": "late"}}
SUPERVISION = {"studio_id": "a", "inspected": True, "inspected_on": "2026-10-01", "rating": "fair",
               "open_rectifications": 1}


def test_r23_filled_in_indicators_with_their_source():
    src = {"ledger": inputs.Source.of("ledger", [LEDGER]), "reporting": inputs.Source.of("reporting", [REPORTING]),
           "supervision": inputs.Source.of("supervision", [SUPERVISION])}
    auto = inputs.autofill(rubric.DEFAULT_RUBRIC, "a", src)
    scores = {c: v.score_cp for c, v in auto.items()}
    assert scores == {"city_funds_use": 8000, "matching_funds": 5000, "duties_targets": 7500,
                      "duties_reports": 7500, "duties_inspection": 6000, "duties_rectification": 5000}
    assert auto["matching_funds"].figures["matching_fen"] == 15_000_000
    assert auto["city_funds_use"].to_dict()["source"] == "ledger.city_funds_use"


def test_r15_unavailable_inputs_are_marked_with_a_code_and_a_chinese_reason_and_scoring_still_works():
    src = {"ledger": inputs.Source.failed("ledger", ServiceUnavailable("ledger did not answer within 5 s")),
           "reporting": inputs.Source.of("reporting", []),
           "supervision": inputs.Source.of("supervision", [{**SUPERVISION, "inspected": False, "rating": None,
                                                                         "open_rectifications": None}])}
    auto = inputs.autofill(rubric.DEFAULT_RUBRIC, "a", src)
    assert all(v.score_cp is None for v in auto.values())
    why = {c: (v.unavailable_code, v.unavailable) for c, v in auto.items()}
    assert why["city_funds_use"] == (inputs.SOURCE_NO_ANSWER, "专门账目未应答，未能取得数据")
    assert why["duties_targets"] == (inputs.NO_RECORD, "年度报告中没有该工作室的记录")
    assert why["duties_inspection"] == (inputs.NOT_INSPECTED, "年度检查：本年度未检查该工作室（或没有检查等次）")
    assert why["duties_rectification"] == (inputs.FIGURES_MISSING, "整改事项：数据缺失")
    assert as_auto(auto["city_funds_use"].to_dict()) == auto["city_funds_use"]     # stored and read back
    # the experts may score what is unavailable; what nobody scores is left out, weights rescaled
    allowed = scoring.expert_codes_for(rubric.DEFAULT_RUBRIC, auto)
    assert "city_funds_use" in allowed
    experts = {"e1": {c: 8000 for c in rubric.DEFAULT_RUBRIC.expert_codes}}
    s = scoring.score_studio(rubric.DEFAULT_RUBRIC, "a", auto, experts)
    assert s.combined_cp == 8000 and set(s.left_out) == {i for i in auto}


def test_r15_each_unavailable_figure_has_its_code_and_a_chinese_reason():
    def why(source, item):
        v = inputs.autofill(rubric.DEFAULT_RUBRIC, "a", {source.split(".")[0]: inputs.Source.of(
            source.split(".")[0], [{"studio_id": "a", **item}])})
        a = next(x for x in v.values() if x.source == source)
        return a.unavailable_code, a.unavailable

    assert why("ledger.city_funds_use", {"city_funds_fen": 0, "city_spent_fen": 0}) == (
        inputs.NOTHING_TO_MEASURE, "市级资助资金使用：基数为 0，无法计算")
    assert why("ledger.matching_ratio", {"matching_ratio_bp": None}) == (
        inputs.NO_CITY_FUNDS, "配套资金比例：没有可对比的市级资助资金")
    assert why("reporting.targets_met", {}) == (inputs.FIGURES_MISSING, "目标任务：数据缺失")
    assert why("reporting.reports_submitted", {"plan": {"timeliness": "not_due"},
                                               "results": {"timeliness": "not_due"}}) == (
        inputs.NO_REPORT_DUE, "年度报告：尚无到期的报告")
    # a source that failed otherwise than by not answering, or was never asked
    refused = inputs.Source.failed("supervision", Forbidden("no"))
    assert (refused.unavailable_code, refused.unavailable) == (inputs.SOURCE_FAILED, "no")
    auto = inputs.autofill(rubric.DEFAULT_RUBRIC, "a", {"supervision": refused})
    assert auto["duties_inspection"].unavailable == "年度检查出错，未能取得数据"
    assert auto["city_funds_use"].unavailable_code == inputs.SOURCE_NOT_ASKED
    assert auto["city_funds_use"].unavailable == "未向专门账目取数"
    broken = inputs.Source.failed("ledger", KeyError("x"))
    assert broken.unavailable_code == inputs.SOURCE_FAILED and broken.unavailable.startswith("KeyError")


def test_r15_the_published_unavailable_codes_are_the_domains():
    from services.assessment import schemas
    assert set(schemas.UNAVAILABLE_CODES) == set(inputs.UNAVAILABLE)
    assert "unavailable_code" in schemas.FilledInIndicatorSchema().fields
    assert "unavailable_code" in schemas.IndicatorResultSchema().fields


# -- experts ---------------------------------------------------------------------------
def test_r15_combination_rule_drops_highest_and_lowest_from_five_experts():
    assert scoring.combine([9000, 1000, 8000, 7000, 10000]) == (8000, 2)
    assert scoring.combine([9000, 6000, 6000]) == (7000, 0)
    assert scoring.combine([]) == (None, 0)


def test_r15_incomplete_until_every_expert_indicator_has_a_score():
    auto = inputs.autofill(rubric.DEFAULT_RUBRIC, "a", {
        "ledger": inputs.Source.of("ledger", [LEDGER]), "reporting": inputs.Source.of("reporting", [REPORTING]),
        "supervision": inputs.Source.of("supervision", [SUPERVISION])})
    partial = {"e1": {"duties_work": 9000}}
    s = scoring.score_studio(rubric.DEFAULT_RUBRIC, "a", auto, partial)
    assert s.combined_cp is None and "social_benefit" in s.missing


def test_r15_experts_cannot_overwrite_a_filled_in_indicator():
    with pytest.raises(ValidationFailed) as err:
        scoring.check_entry(rubric.DEFAULT_RUBRIC, {"city_funds_use": 100, "duties_work": 101},
                            rubric.DEFAULT_RUBRIC.expert_codes)
    assert set(err.value.errors) == {"scores.city_funds_use", "scores.duties_work"}


# -- a round ---------------------------------------------------------------------------
def make_round(n=5, budget=10 ** 10):
    studios = {f"s{i}": facts(f"s{i}", dt.date(2024, 1, 1 + i)) for i in range(n)}
    listed = due.due_list(studios.values(), {}, dt.date(2026, 11, 29))
    return rounds.new_round("r1", 2026, dt.date(2026, 11, 29), listed, studios, rubric.DEFAULT_RUBRIC, budget,
                            "center", AT), studios


def test_r14_round_with_additions_and_removals_kept_in_history():
    r, studios = make_round(3)
    extra = facts("late", dt.date(2025, 9, 1))
    r2 = rounds.add_studio(r, extra, "主管部门申请提前考核", "center", AT)
    r3 = rounds.remove_studio(r2, "s0", "领办人重病，申请延期", "center", AT)
    assert rounds.studio_ids(r3) == ["s1", "s2", "late"]
    assert [(h["action"], h.get("studio_id"), h.get("reason")) for h in r3["history"][1:]] == [
        ("add", "late", "主管部门申请提前考核"), ("remove", "s0", "领办人重病，申请延期")]
    assert r3["removed"][0]["removed_reason"] == "领办人重病，申请延期"
    assert rounds.studio_ids(r) == ["s0", "s1", "s2"]          # the caller's document is untouched
    with pytest.raises(ValidationFailed):
        rounds.remove_studio(r3, "s1", "  ", "center", AT)
    with pytest.raises(RuleViolation):
        rounds.add_studio(r3, facts("x", dt.date(2020, 1, 1), revoked=True), "why", "center", AT)


def test_r15_scorer_sees_only_assigned_studios():
    r, _ = make_round(3)
    r = rounds.assign_scorers(r, {"expert1": ["s0", "s1"], "expert2": ["s2"]}, "center", AT)
    assert rounds.studios_for(r, "expert1") == ["s0", "s1"]
    rounds.require_assigned(r, "expert2", "s2")
    with pytest.raises(NotFound):
        rounds.require_assigned(r, "expert2", "s0")
    with pytest.raises(ValidationFailed):
        rounds.assign_scorers(r, {"expert3": ["nope"]}, "center", AT)


def full_entries(sids, value_cp):
    return {sid: {f"e{k}": {c: value_cp[sid] for c in rubric.DEFAULT_RUBRIC.expert_codes} for k in range(5)}
            for sid in sids}


def test_r16_preview_and_publish_then_a_published_round_never_changes():
    r, _ = make_round(10, budget=5 * grading.BONUS_FEN)
    values = {f"s{i}": 5000 + i * 500 for i in range(10)}   # s9 highest
    results, summary = evaluate(r, {}, full_entries(values, values), {})
    assert summary["cap"] == 2 and summary["excellent"] == 2 and summary["fail"] == 2
    assert {s for s, v in results.items() if v["grade"] == "excellent"} == {"s8", "s9"}
    later = rubric.Rubric(2, "later", rubric.DEFAULT_RUBRIC.indicators, pass_threshold_cp=9900)
    assert r["rubric_version"] == 1 and later.version == 2          # the round keeps its copy
    published, summary = evaluate(r, {}, full_entries(values, values), {}, published_on=dt.date(2026, 11, 30))
    done = rounds.publish(r, published, summary, "center", AT)
    assert done["state"] == rounds.PUBLISHED
    assert done["results"]["s9"]["consequences"]["national_recommendation"] is True
    with pytest.raises(Conflict) as err:
        rounds.remove_studio(done, "s1", "late change", "center", AT)
    assert err.value.rule == "R-16"


def test_r16_publish_refused_while_scores_are_incomplete():
    r, _ = make_round(2)
    results, summary = evaluate(r, {}, {}, {})
    with pytest.raises(RuleViolation) as err:
        rounds.publish(r, results, summary, "center", AT)
    assert err.value.extra["incomplete"] == ["s0", "s1"]


# -- consequences ----------------------------------------------------------------------
def test_r17_r21_excellent_recommended_first_and_bonus():
    c = consequences.consequence("a", grading.EXCELLENT, None, dt.date(2026, 12, 1), 180)
    assert c.national_recommendation and c.bonus and c.record.last_assessed_on == dt.date(2026, 12, 1)


def test_r18_fail_rectification_then_fail_again_requests_revocation_on_the_r18_ground():
    first = consequences.consequence("a", grading.FAIL, None, dt.date(2026, 12, 1), 180)
    assert first.rectification_due_on == dt.date(2027, 5, 30) and not first.revocation_requested
    again = consequences.consequence("a", grading.FAIL, first.record, dt.date(2027, 6, 15), 180)
    assert again.revocation_requested and again.to_dict()["revocation_ground"] == "failed_after_rectification"
    passed = consequences.consequence("a", grading.PASS, first.record, dt.date(2027, 6, 15), 180)
    assert passed.record == AssessmentRecord(last_assessed_on=dt.date(2027, 6, 15))


# -- the workbook ----------------------------------------------------------------------
def test_r16_results_workbook_in_chinese_one_row_a_studio_with_every_indicator():
    r, _ = make_round(3)
    r["studios"][0]["name"] = "=HYPERLINK(\"x\")"
    values = {"s0": 9000, "s1": 7000, "s2": 5000}
    results, summary = evaluate(r, {}, full_entries(values, values), {}, published_on=dt.date(2026, 12, 1))
    done = rounds.publish(r, results, summary, "center", AT)
    ws = load_workbook(io.BytesIO(workbook.results_workbook(done))).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    assert header[:6] == tuple(workbook.FIXED_HEADERS)
    assert any(str(h).startswith("技能攻关") for h in header) and "综合得分" in header and "等级" in header
    body = rows[3:6]
    assert {row[header.index("等级")] for row in body} == {"合格", "不合格"}
    assert body[0][3].startswith("'=")                          # formula escaped
    assert body[0][header.index("综合得分")] == 90.0
    assert len([c for c in header if "权重" in str(c)]) == len(rubric.DEFAULT_RUBRIC.indicators)

"""Records, validation, lifecycle, due dates and comparison (R-10, R-11): pure domain, no broker."""
from __future__ import annotations

import datetime as dt

import pytest

from services.reporting.domain import comparison, deadlines, lifecycle, records
from shared.errors import Conflict, ValidationFailed

UTC = dt.timezone.utc


def report(**overrides):
    content = {"items": [{"output": "patents", "title": "夹具专利", "quantity": 2, "date": "2026-05-01"},
                         {"output": "promotions", "title": "晋升", "skill_level": "技师"},
                         {"output": "trainings_given", "title": "培训", "quantity": 30}],
               "economic_benefit_fen": 12_345_678, "narrative": "全年完成"}
    content.update(overrides)
    return content


def agreement(**overrides):
    content = {"support": {"funding_fen": 10_000_000, "premises_m2": 120.5, "equipment": "数控机床",
                           "working_time": "每周8小时"},
               "duties": ["技能研发", "带徒传技"],
               "tasks": [{"title": "申请专利", "output": "patents", "target": 2},
                         {"title": "培养徒弟", "output": "apprentices", "target": 5}],
               "expected_outputs": "专利2项", "signed_on": "2026-01-10",
               "signatories": {"unit": "王厂长", "lead": "张建国"}}
    content.update(overrides)
    return content


def test_r10_report_is_normalised_under_the_four_headings():
    out = records.validate_content("results", 2026, report())
    assert [i["heading"] for i in out["items"]] == ["skill_rd", "apprenticeship", "social_benefit"]
    assert out["items"][1]["quantity"] == 1
    outputs = records.outputs_of(out)
    assert outputs["patents"] == 2 and outputs["trainings_given"] == 30 and outputs["rd_projects"] == 0
    assert set(records.by_heading(outputs)) == {"skill_rd", "apprenticeship", "exchange", "social_benefit"}


def test_r10_field_errors_name_the_rule_and_the_field():
    bad = report(items=[{"output": "nonsense", "title": ""},
                        {"output": "patents", "heading": "exchange", "title": "x", "quantity": 0,
                         "date": "2025-12-31"},
                        {"output": "promotions", "title": "晋升"}],
                 economic_benefit_fen=1.5)
    with pytest.raises(ValidationFailed) as err:
        records.validate_content("plan", 2026, bad)
    errors = err.value.errors
    assert err.value.rule == "R-10"
    assert set(errors) >= {"items.0.output", "items.0.title", "items.1.heading", "items.1.quantity",
                           "items.1.date", "items.2.skill_level", "economic_benefit_fen"}
    assert all(message.endswith("(R-10)") for message in errors.values())


def test_r11_agreement_validation():
    out = records.validate_content("agreement", 2026, agreement())
    assert out["support"]["funding_fen"] == 10_000_000 and out["tasks"][0]["output"] == "patents"
    with pytest.raises(ValidationFailed) as err:
        records.validate_content("agreement", 2026, agreement(tasks=[{"title": "x", "output": "patents", "target": 0}],
                                                              duties=[], signed_on="2020-01-01",
                                                              signatories={"unit": "a"}))
    assert err.value.rule == "R-11"
    assert set(err.value.errors) >= {"tasks.0.target", "duties", "signed_on", "signatories.lead"}


def _record():
    return lifecycle.new_record(studio_id="S1", tenant_id="dongcheng", unit_id="U1", year=2026, kind="plan")


def test_r11_draft_submit_return_resubmit_accept_keeps_every_version_and_the_history():
    at = dt.datetime(2026, 3, 1, 2, tzinfo=UTC)
    due = dt.date(2026, 3, 31)
    rec = lifecycle.save_draft(_record(), records.validate_content("plan", 2026, report()), by="unit-a", at=at)
    rec, submitted = lifecycle.submit(rec, by="unit-a", at=at, due_on=due)
    assert rec["state"] == "submitted" and submitted["version"] == 1 and submitted["late_days"] == 0
    assert set(submitted) >= {"report_id", "studio_id", "tenant_id", "unit_id", "year", "kind", "submitted_at", "due_on"}
    rec, returned = lifecycle.return_for_changes(rec, ["培训人数不实"], by="tenant", at=at + dt.timedelta(days=1))
    assert rec["state"] == "returned" and returned["reasons"] == ["培训人数不实"]
    assert rec["draft"] == rec["versions"][0]["content"]
    changed = report(narrative="已修改")
    rec = lifecycle.save_draft(rec, records.validate_content("plan", 2026, changed), by="unit-a",
                               at=at + dt.timedelta(days=2))
    late = dt.datetime(2026, 4, 2, 1, tzinfo=UTC)
    rec, again = lifecycle.submit(rec, by="unit-a", at=late, due_on=due)
    assert again["version"] == 2 and again["late_days"] == 2
    rec, accepted = lifecycle.accept(rec, by="tenant", at=late)
    assert rec["state"] == "accepted" and accepted["version"] == 2
    assert [v["outcome"] for v in rec["versions"]] == ["returned", "accepted"]
    assert rec["versions"][0]["content"]["narrative"] == "全年完成"      # earlier versions stay readable
    assert [h["action"] for h in rec["history"]] == ["draft_saved", "submitted", "returned", "draft_saved",
                                                     "resubmitted", "accepted"]
    assert all(h["by"] and h["at"] for h in rec["history"])


def test_r11_wrong_transitions_are_conflicts_and_a_return_needs_reasons():
    at = dt.datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ValidationFailed):
        lifecycle.submit(_record(), by="u", at=at, due_on=None)       # nothing to submit
    with pytest.raises(Conflict):
        lifecycle.accept(_record(), by="t", at=at)
    rec = lifecycle.save_draft(_record(), {"items": []}, by="u", at=at)
    rec, _ = lifecycle.submit(rec, by="u", at=at, due_on=None)
    with pytest.raises(Conflict):
        lifecycle.save_draft(rec, {"items": []}, by="u", at=at)
    with pytest.raises(ValidationFailed) as err:
        lifecycle.return_for_changes(rec, ["  "], by="t", at=at)
    assert err.value.rule == "R-11"
    rec, _ = lifecycle.accept(rec, by="t", at=at)
    with pytest.raises(Conflict):
        lifecycle.return_for_changes(rec, ["x"], by="t", at=at)


def test_r11_due_dates_default_and_configurable():
    assert deadlines.DueDates.for_year(2026).as_dict() == {"plan": "2026-03-31", "results": "2026-12-01"}
    assert deadlines.DueDates.for_year(2026, {"results": "2026-11-20"}).results == dt.date(2026, 11, 20)


def test_r11_on_time_late_missing_not_due_in_shanghai_days():
    due = dt.date(2026, 3, 31)
    # 2026-03-31 23:30 in Shanghai is 15:30 UTC: still on time
    on_time = dt.datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    late = dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC)      # 04-01 00:30 in Shanghai
    assert deadlines.timeliness(due_on=due, first_submitted_at=on_time, today=dt.date(2026, 5, 1)) == "on_time"
    assert deadlines.timeliness(due_on=due, first_submitted_at=late, today=dt.date(2026, 5, 1)) == "late"
    assert deadlines.late_days(late, due) == 1
    assert deadlines.timeliness(due_on=due, first_submitted_at=None, today=dt.date(2026, 3, 31)) == "not_due"
    assert deadlines.timeliness(due_on=due, first_submitted_at=None, today=dt.date(2026, 4, 1)) == "missing"


def test_r11_a_revoked_studio_owes_nothing_after_its_revocation_date():
    due = dt.date(2026, 12, 1)
    assert deadlines.timeliness(due_on=due, first_submitted_at=None, today=dt.date(2026, 12, 20),
                                revoked_on=dt.date(2026, 10, 1)) == "not_due"
    assert deadlines.timeliness(due_on=due, first_submitted_at=None, today=dt.date(2026, 12, 20),
                                revoked_on=dt.date(2026, 12, 5)) == "missing"
    assert deadlines.timeliness(due_on=dt.date(2026, 3, 31), first_submitted_at=None, today=dt.date(2026, 12, 20),
                                designated_on=dt.date(2026, 6, 1)) == "not_due"


def test_r10_r11_results_against_agreement_targets_and_plan():
    plan = records.validate_content("plan", 2026, report())
    results = records.validate_content("results", 2026, report(items=[
        {"output": "patents", "title": "p", "quantity": 3},
        {"output": "apprentices", "title": "a", "quantity": 4}]))
    lines = comparison.compare(results=results, plan=plan, agreement=records.validate_content("agreement", 2026,
                                                                                              agreement()))
    by = {(line["source"], line["output"]): line for line in lines}
    assert by[("agreement", "patents")]["met"] is True
    assert by[("agreement", "apprentices")]["met"] is False and by[("agreement", "apprentices")]["actual"] == 4
    assert by[("plan", "trainings_given")]["met"] is False
    assert comparison.tally(lines) == (5, 2)
    pending = comparison.compare(results=None, plan=plan, agreement=None)
    assert all(line["met"] is None for line in pending)

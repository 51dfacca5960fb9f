"""The registry's studio life cycle through its entry points (worker_factory, embedded store).

Each test is named for the rule or behaviour it proves. The gateway-level path, with the
event seen over the real broker, is in tests/gateway/test_applications_e2e.py.
"""
from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from services.registry.domain.files import MAX_MATERIAL_BYTES
from services.registry.storage import APPLICATIONS, MATERIAL_CHUNKS, STUDIOS
from shared.errors import (Conflict, Forbidden, NotFound, PayloadTooLarge, RuleViolation,
                           UnsupportedMediaType, ValidationFailed)
from tests.registry import forms
from tests.registry.forms import fill_template
from tests.registry.harness import (ADMIN, BUREAU, CENTER, DONGCHENG, HAIDIAN, UNIT_A, UNIT_B, Harness, b64)


@pytest.fixture
def h():
    return Harness()


def rule_of(excinfo) -> str:
    return excinfo.value.rule


# -- on submit --------------------------------------------------
def test_R1_skill_level_below_technician_is_refused(h):
    app = h.draft(forms.application(master=forms.master(skill_level="高级工")))
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(app["id"])
    assert rule_of(exc) == "R-1" and "master.skill_level" in exc.value.errors
    assert h.as_(UNIT_A).get_application(app["id"])["status"] == "draft"


def test_R1_technician_is_the_lowest_level_that_qualifies(h):
    app = h.submitted(forms.application(master=forms.master(skill_level="技师")))
    assert app["status"] == "submitted"


@pytest.mark.parametrize("field,value", [("front_line", False), ("employment_status", "retired"),
                                         ("employment_status", "left")])
def test_R1_front_line_and_currently_employed_are_required(h, field, value):
    app = h.draft(forms.application(master=forms.master(**{field: value})))
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(app["id"])
    assert rule_of(exc) == "R-1" and f"master.{field}" in exc.value.errors


def test_R2_less_than_two_years_before_retirement_is_refused(h):
    # a man born 1966-06 retires at 60y5m (2026-11) under the 2025 reform; on 2026-03-02 that is < 2 years
    app = h.draft(forms.application(master=forms.master(birth="1966-06-10")))
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(app["id"])
    assert rule_of(exc) == "R-2" and "2026-11" in exc.value.errors["master.birth_month"]


@pytest.mark.parametrize("birth,gender,today,ok", [
    # man born 1966-05: 60y5m → retires 2026-10; two years before is 2024-10-01 (inclusive)
    ("1966-05-01", "M", "2024-10-01", True),
    ("1966-05-01", "M", "2024-10-02", False),
    # woman (55) born 1972-09: 55y9m → retires 2028-06; two years before: 2026-06-01
    ("1972-09-01", "F", "2026-06-01", True),
    ("1972-09-01", "F", "2026-06-02", False),
])
def test_R2_is_judged_on_the_application_date_at_the_month_boundary(h, birth, gender, today, ok):
    h.on(today)
    app = h.draft(forms.application(master=forms.master(birth=birth, gender=gender)))
    if ok:
        assert h.as_(UNIT_A).submit_application(app["id"])["submitted_on"] == today
    else:
        with pytest.raises(RuleViolation) as exc:
            h.as_(UNIT_A).submit_application(app["id"])
        assert rule_of(exc) == "R-2"


def test_R2_woman_with_original_age_50_retires_earlier_than_with_55(h):
    h.on("2026-03-02")
    born = "1976-01-20"  # 50 → 50y7m (2026-08): refused; 55 → 55y… (2031+): accepted
    worker = forms.application(master=forms.master(birth=born, gender="F", original_retirement_age=50))
    cadre = forms.application(master=forms.master(birth=born, gender="F", original_retirement_age=55))
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(h.draft(worker)["id"])
    assert rule_of(exc) == "R-2"
    cadre["master"]["occupation"] = "钳工"
    assert h.submitted(cadre)["status"] == "submitted"


def test_R4_team_of_fewer_than_three_formal_employees_is_refused(h):
    form = forms.application(team=forms.team(2) + forms.team(3, formal=False))
    app = h.draft(form)
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(app["id"])
    assert rule_of(exc) == "R-4" and "2 formal" in exc.value.errors["team"]


def test_R4_every_unit_condition_must_hold(h):
    form = forms.application()
    form["conditions"]["stable_funding"] = False
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(h.draft(form)["id"])
    assert rule_of(exc) == "R-4" and "conditions.stable_funding" in exc.value.errors


def test_refusal_names_the_first_rule_and_lists_all(h):
    form = forms.application(master=forms.master(skill_level="中级工", birth="1966-06-10"), team=forms.team(1))
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(h.draft(form)["id"])
    assert exc.value.rule == "R-1" and exc.value.extra["rules"] == ["R-1", "R-2", "R-4"]


def test_R6_master_with_another_open_application_is_refused(h):
    first = h.submitted()
    again = forms.application(master={**forms.master(), "id_number": first_id(h, first), "occupation": "钳工"})
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(h.draft(again)["id"])
    assert rule_of(exc) == "R-6" and "open application" in exc.value.errors["master.id_number"]


def test_R6_master_who_already_leads_a_studio_is_refused_even_in_another_tenant(h):
    studio = designate(h, h.in_notice())
    lead_id = h.db[STUDIOS].find_one({"_id": studio})["lead"]["id_number"]
    elsewhere = forms.application(master={**forms.master(), "id_number": lead_id},
                                  studio_address="北京市海淀区中关村大街1号")
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_B).submit_application(h.draft(elsewhere, unit=UNIT_B)["id"])
    assert rule_of(exc) == "R-6"
    assert studio not in exc.value.errors["master.id_number"]  # another tenant's id is not shown


def test_R6_second_studio_of_the_same_unit_and_occupation_is_refused(h):
    designate(h, h.in_notice())
    same_slot = forms.application(master=forms.master(name="王师傅", birth="1978-08-08"))
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(h.draft(same_slot)["id"])
    assert rule_of(exc) == "R-6" and "master.occupation" in exc.value.errors


def test_R6_the_same_occupation_in_another_branch_is_allowed(h):
    h.db["units"].insert_one({"_id": "branch-dc-2", "tenant_id": "dongcheng", "name": "精工第二分厂",
                              "credit_code": "X", "kind": "branch", "parent_id": "unit-dc-jinggong"})
    designate(h, h.in_notice())
    other_branch = forms.application(master=forms.master(name="王师傅", birth="1978-08-08"), branch_id="branch-dc-2")
    assert h.submitted(other_branch)["status"] == "submitted"


def test_R6_a_branch_must_belong_to_the_unit(h):
    with pytest.raises(ValidationFailed) as exc:
        h.as_(UNIT_A).create_application(forms.application(branch_id="unit-hd-zhizao"))
    assert "branch_id" in exc.value.errors


def test_R6_second_open_application_for_the_same_unit_and_occupation_is_refused(h):
    h.submitted()
    with pytest.raises(RuleViolation) as exc:
        h.submitted(forms.application(master=forms.master(name="王师傅", birth="1978-08-08")))
    assert rule_of(exc) == "R-6"


def test_R6_a_rejected_application_frees_the_master_again(h):
    first = h.submitted()
    h.as_(DONGCHENG).reject_application(first["id"], {"reasons": "材料不全"})
    again = forms.application(master={**forms.master(), "id_number": first_id(h, first)})
    assert h.submitted(again)["status"] == "submitted"


def test_R8_the_certificate_must_be_attached(h):
    app = h.draft(materials=("award",))
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(app["id"])
    assert rule_of(exc) == "R-8"


# -- R-7 --------------------------------------------------------------------------------
OCCUPATIONS = ["数控车工", "钳工", "焊工", "电工", "铣工", "磨工", "装配钳工", "工具钳工", "模具工", "维修电工", "汽车维修工"]


def test_R7_eleventh_designation_is_refused(h):
    in_notice = []
    for i, occupation in enumerate(OCCUPATIONS):
        h.on("2026-03-02")
        form = forms.application(master=forms.master(name=f"师傅{i}", birth=f"1975-{(i % 12) + 1:02d}-10",
                                                     occupation=occupation))
        in_notice.append(h.in_notice(form))
    h.on("2026-03-20")
    numbers = [h.as_(BUREAU).designate_application(a["id"], {})["designation"]["nameplate_no"] for a in in_notice[:10]]
    assert numbers == [f"京技能大师〔2026〕第{n:02d}号" for n in range(1, 11)]
    with pytest.raises(RuleViolation) as exc:
        h.as_(BUREAU).designate_application(in_notice[10]["id"], {})
    assert rule_of(exc) == "R-7"
    eleventh = h.as_(BUREAU).get_application(in_notice[10]["id"])
    assert eleventh["status"] == "in_notice" and "designate" in eleventh["allowed_actions"]
    assert h.db[STUDIOS].count_documents({"year": 2026}) == 10
    # the next calendar year has its own quota and numbering
    h.on("2027-01-05")
    assert h.as_(BUREAU).designate_application(in_notice[10]["id"], {})["designation"]["nameplate_no"] == \
        "京技能大师〔2027〕第01号"


def test_R7_a_revoked_studio_still_counts_for_its_year(h):
    studio = designate(h, h.in_notice())
    revoke(h, studio)
    assert h.db[STUDIOS].count_documents({"year": 2026}) == 1
    assert h.as_(CENTER).shortlist(2026)["designated"] == 1


# -- review, notice, objection ----------------------------------------------------
def test_R9_review_stages_go_in_order_with_dates(h):
    app = h.recommended()
    with pytest.raises(Conflict) as exc:
        h.as_(CENTER).review_application(app["id"], {"stage": "expert", "result": "pass", "scores": [
            {"expert": "甲", "score": 90}, {"expert": "乙", "score": 80}, {"expert": "丙", "score": 85}]})
    assert exc.value.extra["expected_stage"] == "material"
    with pytest.raises(ValidationFailed):
        h.as_(CENTER).review_application(app["id"], {"stage": "material", "result": "pass", "date": "2026-03-03"})
    done = h.as_(CENTER).review_application(app["id"], {"stage": "material", "result": "pass", "date": "2026-03-02"})
    assert done["status"] == "under_review" and done["reviews"]["material"]["date"] == "2026-03-02"


def test_R9_expert_review_needs_several_experts_scores(h):
    app = h.recommended()
    center = h.as_(CENTER)
    center.review_application(app["id"], {"stage": "material", "result": "pass"})
    center.review_application(app["id"], {"stage": "site_visit", "result": "pass"})
    with pytest.raises(ValidationFailed) as exc:
        center.review_application(app["id"], {"stage": "expert", "result": "pass",
                                              "scores": [{"expert": "甲", "score": 90}]})
    assert "scores" in exc.value.errors
    done = center.review_application(app["id"], {"stage": "expert", "result": "pass", "scores": [
        {"expert": "甲", "score": 90}, {"expert": "乙", "score": 80}, {"expert": "丙", "score": 85}]})
    assert done["reviews"]["expert"]["mean_score"] == 85.0


def test_R9_a_failed_review_stage_rejects_with_its_reasons(h):
    app = h.recommended()
    rejected = h.as_(CENTER).review_application(app["id"], {"stage": "material", "result": "fail",
                                                            "note": "证书复印件不清晰"})
    assert rejected["status"] == "rejected" and rejected["rejection"]["reasons"] == "证书复印件不清晰"


def test_R9_notice_ends_on_the_fifth_working_day_across_national_day(h):
    h.on("2026-09-01")
    app = h.shortlisted()
    h.on("2026-09-28")
    notice = h.as_(CENTER).start_notice(app["id"], {})["notice"]
    assert notice == {**notice, "start_on": "2026-09-28", "end_on": "2026-10-09", "working_days": 5}


def test_R9_notice_cannot_start_in_the_past(h):
    app = h.shortlisted()
    with pytest.raises(ValidationFailed) as exc:
        h.as_(CENTER).start_notice(app["id"], {"start_on": "2026-03-01"})
    assert "start_on" in exc.value.errors


# 2035 and 2036: years no chinese_calendar release knows (the package stops at its release year)
YOUNG = dict(birth="1985-05-05")


def test_R9_notice_in_a_year_the_calendar_does_not_know_is_422_saying_so(h):
    h.on("2035-12-17")
    app = h.shortlisted(forms.application(master=forms.master(**YOUNG)))
    with pytest.raises(RuleViolation) as exc:
        h.as_(CENTER).start_notice(app["id"], {"start_on": "2035-12-24"})
    assert rule_of(exc) == "R-9" and "No statutory holiday calendar for 2035" in exc.value.detail
    assert h.as_(CENTER).get_application(app["id"])["status"] == "shortlisted"


def test_R9_a_year_entered_by_the_city_takes_precedence(h):
    h.on("2035-12-17")
    app = h.shortlisted(forms.application(master=forms.master(**YOUNG)))
    # as if the State Council had given 2035-12-26/27 and 2036-01-01 off
    h.as_(ADMIN).put_calendar_year(2035, {"holidays": ["2035-12-26", "2035-12-27"], "workdays": [],
                                          "source": "国务院办公厅关于2035年部分节假日安排的通知（测试）"})
    assert h.as_(UNIT_A).get_calendar_year(2035)["origin"] == "entered"
    with pytest.raises(RuleViolation) as exc:  # the notice runs into 2036, which nobody entered yet
        h.as_(CENTER).start_notice(app["id"], {"start_on": "2035-12-24"})
    assert "2036" in exc.value.detail
    h.as_(CENTER).put_calendar_year(2036, {"holidays": ["2036-01-01"], "workdays": []})
    notice = h.as_(CENTER).start_notice(app["id"], {"start_on": "2035-12-24"})["notice"]
    # 12-24 Mon 1, 12-25 Tue 2, (26, 27 off), 12-28 Fri 3, (weekend), 12-31 Mon 4, (01-01 off), 01-02 Wed 5
    assert notice["end_on"] == "2036-01-02"


def test_R9_an_entered_year_overrides_the_package(h):
    h.on("2026-09-01")
    app = h.shortlisted()
    # suppose a correction made 2026-10-08 a holiday too: the notice then ends a working day later
    holidays = [f"2026-10-0{d}" for d in range(1, 9)]
    h.as_(ADMIN).put_calendar_year(2026, {"holidays": holidays, "workdays": ["2026-09-20", "2026-10-10"]})
    h.on("2026-09-28")
    assert h.as_(CENTER).start_notice(app["id"], {})["notice"]["end_on"] == "2026-10-10"


def test_calendar_entries_are_checked_and_only_the_city_enters_them(h):
    with pytest.raises(Forbidden):
        h.as_(DONGCHENG).put_calendar_year(2027, {"holidays": [], "workdays": []})
    with pytest.raises(ValidationFailed):
        h.as_(ADMIN).put_calendar_year(2027, {"holidays": ["2028-01-01"], "workdays": []})
    with pytest.raises(ValidationFailed):
        h.as_(ADMIN).put_calendar_year(2027, {"holidays": [], "workdays": ["2027-03-03"]})  # a Wednesday
    assert h.as_(ADMIN).get_calendar_year(2026)["origin"] == "package"
    assert "2026-10-01" in h.as_(ADMIN).get_calendar_year(2026)["holidays"]


def test_R9_designation_waits_for_the_day_after_the_notice(h):
    h.on("2026-09-01")
    app = h.shortlisted()
    h.on("2026-09-28")
    h.as_(CENTER).start_notice(app["id"], {})
    h.on("2026-10-09")
    with pytest.raises(RuleViolation) as exc:
        h.as_(BUREAU).designate_application(app["id"], {})
    assert rule_of(exc) == "R-9"
    h.on("2026-10-10")
    assert h.as_(BUREAU).designate_application(app["id"], {})["designation"]["designated_on"] == "2026-10-10"


def test_R9_an_objection_holds_the_application_until_resolved(h):
    app = h.in_notice()
    h.on("2026-03-04")
    held = h.as_(CENTER).add_objection(app["id"], {"summary": "反映其团队成员并非正式员工", "objector": "匿名"})
    assert held["status"] == "objected"
    h.on("2026-03-10")
    with pytest.raises(Conflict):
        h.as_(BUREAU).designate_application(app["id"], {})
    objection = held["objections"][0]["id"]
    resumed = h.as_(BUREAU).resolve_objection(app["id"], objection, {"outcome": "dismissed",
                                                                     "note": "核实为正式员工"})
    assert resumed["status"] == "in_notice"
    with pytest.raises(Conflict):
        h.as_(BUREAU).resolve_objection(app["id"], objection, {"outcome": "upheld", "note": "x"})
    assert h.as_(BUREAU).designate_application(app["id"], {})["status"] == "designated"


def test_R9_an_upheld_objection_rejects(h):
    app = h.in_notice()
    held = h.as_(CENTER).add_objection(app["id"], {"summary": "证书造假"})
    done = h.as_(CENTER).resolve_objection(app["id"], held["objections"][0]["id"],
                                           {"outcome": "upheld", "note": "查证属实"})
    assert done["status"] == "rejected" and "查证属实" in done["rejection"]["reasons"]


def test_R9_an_objection_after_the_notice_ended_is_refused(h):
    app = h.in_notice()
    h.on("2026-03-09")
    with pytest.raises(ValidationFailed) as exc:
        h.as_(CENTER).add_objection(app["id"], {"summary": "迟到的异议"})
    assert "received_on" in exc.value.errors


# -- roles, tenants, transitions, history -----------------------------------------------
def test_a_unit_cannot_recommend(h):
    app = h.submitted()
    with pytest.raises(Forbidden):
        h.as_(UNIT_A).recommend_application(app["id"], {"opinion": "自荐", "signed_by": "我", "signed_on": "2026-03-02"})


def test_another_tenants_application_is_404(h):
    app = h.submitted()
    for who in (HAIDIAN, UNIT_B):
        with pytest.raises(NotFound):
            h.as_(who).get_application(app["id"])
    with pytest.raises(NotFound):
        h.as_(HAIDIAN).recommend_application(app["id"], {"opinion": "越权", "signed_by": "x", "signed_on": "2026-03-02"})
    assert h.as_(HAIDIAN).list_applications()["total"] == 0
    assert h.as_(DONGCHENG).list_applications()["total"] == 1


def test_a_wrong_transition_is_409(h):
    app = h.draft()
    submitted = h.as_(UNIT_A).submit_application(app["id"])
    with pytest.raises(Conflict):
        h.as_(UNIT_A).submit_application(submitted["id"])
    with pytest.raises(Conflict):
        h.as_(UNIT_A).update_application(submitted["id"], forms.application())
    with pytest.raises(Conflict):
        h.as_(CENTER).start_notice(submitted["id"], {})
    h.as_(DONGCHENG).recommend_application(app["id"], {"opinion": "x", "signed_by": "x", "signed_on": "2026-03-02"})
    with pytest.raises(Conflict):
        h.as_(DONGCHENG).recommend_application(app["id"], {"opinion": "x", "signed_by": "x", "signed_on": "2026-03-02"})
    with pytest.raises(Conflict):
        h.as_(DONGCHENG).return_application(app["id"], {"reasons": "太迟了"})


def test_a_draft_is_the_units_own_until_submitted(h):
    app = h.draft()
    for who in (DONGCHENG, CENTER, BUREAU):
        with pytest.raises(NotFound):
            h.as_(who).get_application(app["id"])
        with pytest.raises(NotFound):
            h.as_(who).download_material(app["id"], app["materials"][0]["id"])
        assert h.as_(who).list_applications()["total"] == 0
    h.as_(UNIT_A).submit_application(app["id"])
    assert h.as_(DONGCHENG).get_application(app["id"])["status"] == "submitted"
    assert h.as_(CENTER).list_applications(status="submitted")["total"] == 1


def test_only_the_city_bureau_designates(h):
    app = h.in_notice()
    h.on("2026-03-10")
    for who in (CENTER, DONGCHENG, UNIT_A):
        with pytest.raises(Forbidden):
            h.as_(who).designate_application(app["id"], {})


def test_returned_application_is_fixed_and_resubmitted_with_full_history(h):
    app = h.submitted(forms.application(studio_address="旧地址"))
    returned = h.as_(DONGCHENG).return_application(app["id"], {"reasons": "请补充工作地址门牌号"})
    assert returned["status"] == "returned" and returned["returns"][0]["reasons"] == "请补充工作地址门牌号"
    fixed = h.as_(UNIT_A).update_application(app["id"], forms.application(
        master={**forms.master(), "id_number": first_id(h, app)}, studio_address="北京市东城区和平里东街1号2号楼3层"))
    assert fixed["studio_address"].endswith("3层")
    again = h.as_(UNIT_A).submit_application(app["id"])
    steps = [(e["action"], e["from"], e["to"], e["by"]) for e in again["history"]]
    assert steps == [("create", None, "draft", "demo-unit-a"), ("submit", "draft", "submitted", "demo-unit-a"),
                     ("return", "submitted", "returned", "demo-dongcheng"),
                     ("edit", "returned", "returned", "demo-unit-a"),
                     ("submit", "returned", "submitted", "demo-unit-a")]
    assert again["history"][2]["note"] == "请补充工作地址门牌号" and all(e["at"] for e in again["history"])


def test_id_number_is_masked_to_all_but_the_city(h):
    app = h.submitted()
    full = first_id(h, app)
    assert h.as_(UNIT_A).get_application(app["id"])["master"]["id_number"] == full[:6] + "*" * 8 + full[-4:]
    assert h.as_(DONGCHENG).get_application(app["id"])["master"]["id_number"] != full
    assert h.as_(CENTER).get_application(app["id"])["master"]["id_number"] == full


def test_same_idempotency_key_creates_one_application(h):
    form = forms.application()
    first = h.as_(UNIT_A).create_application(form, idempotency_key="k-1")
    second = h.as_(UNIT_A).create_application(form, idempotency_key="k-1")
    assert first["id"] == second["id"] and h.db[APPLICATIONS].count_documents({}) == 1
    with pytest.raises(Conflict):
        h.as_(UNIT_A).create_application(forms.application(studio_address="别处"), idempotency_key="k-1")


def test_invalid_forms_are_422_by_field(h):
    valid = forms.id_number("1975-03-15", "F")
    wrong_check = valid[:17] + ("1" if valid[17] != "1" else "2")
    bad = forms.application(master=forms.master(gender="F", id_number=wrong_check))
    with pytest.raises(ValidationFailed) as exc:
        h.as_(UNIT_A).create_application(bad)
    assert "master.id_number" in exc.value.errors
    mismatch = forms.application(master={**forms.master(birth="1975-03-15"), "birth_month": "1975-04"})
    with pytest.raises(ValidationFailed) as exc:
        h.as_(UNIT_A).create_application(mismatch)
    assert "master.birth_month" in exc.value.errors


def test_shortlist_ranks_R3_honours_then_R5_then_expert_scores(h):
    plain_high = forms.application(master=forms.master(name="甲", honours=[], occupation="钳工", birth="1980-01-01"))
    r5_only = forms.application(master=forms.master(name="乙", honours=[], occupation="焊工", birth="1980-02-02"),
                                existing_studio={"level": "district", "name": "东城区乙师傅工作室"})
    r3 = forms.application(master=forms.master(name="丙", occupation="电工", birth="1980-03-03"))
    for form, scores in ((plain_high, (99, 98, 97)), (r5_only, (70, 71, 72)), (r3, (60, 61, 62))):
        h.shortlisted(form, expert_scores=scores)
    ranked = h.as_(BUREAU).shortlist(2026)
    assert [a["master"]["name"] for a in ranked["items"]] == ["丙", "乙", "甲"]
    assert [a["rank"] for a in ranked["items"]] == [1, 2, 3] and "R-3" in ranked["rule"]
    with pytest.raises(Forbidden):
        h.as_(DONGCHENG).shortlist(2026)


# -- materials ------------------------------------------------------------------------
def test_materials_are_recognised_by_content_and_stored_with_size_and_sha256(h):
    app = h.as_(UNIT_A).create_application(forms.application())
    for content, kind in ((forms.PDF, "certificate"), (forms.PNG, "premises"), (forms.JPEG, "award")):
        summary = h.as_(UNIT_A).add_material(app["id"], kind, h.upload(UNIT_A, content, "照片.bin"))
        assert summary["size"] == len(content) and len(summary["sha256"]) == 64
        got = h.as_(UNIT_A).download_material(app["id"], summary["id"])
        assert got["content_b64"] == b64(content)
    assert [m["content_type"] for m in h.as_(UNIT_A).list_materials(app["id"])["items"]] == [
        "application/pdf", "image/png", "image/jpeg"]
    assert h.as_(UNIT_A).list_materials(app["id"])["items"][1]["filename"] == "照片.png"


def test_a_forged_pdf_is_refused(h):
    app = h.as_(UNIT_A).create_application(forms.application())
    with pytest.raises(UnsupportedMediaType):
        h.as_(UNIT_A).add_material(app["id"], "certificate", h.upload(UNIT_A, forms.FORGED_PDF, "证书.pdf"))
    assert h.db[MATERIAL_CHUNKS].count_documents({}) == 0


def test_a_file_over_10_mb_is_refused_by_the_service(h):
    app = h.as_(UNIT_A).create_application(forms.application())
    big = forms.PDF + b"0" * (MAX_MATERIAL_BYTES + 1 - len(forms.PDF))
    with pytest.raises(PayloadTooLarge):
        h.as_(UNIT_A).add_material(app["id"], "certificate", h.upload(UNIT_A, big, "big.pdf"))
    exactly = big[:MAX_MATERIAL_BYTES]
    summary = h.as_(UNIT_A).add_material(app["id"], "certificate", h.upload(UNIT_A, exactly, "ten.pdf"))
    assert summary["size"] == MAX_MATERIAL_BYTES
    assert h.as_(UNIT_A).download_material(app["id"], summary["id"])["size"] == MAX_MATERIAL_BYTES


def test_materials_of_another_tenant_are_404_and_close_after_submission(h):
    app = h.submitted()
    material = app["materials"][0]["id"]
    with pytest.raises(NotFound):
        h.as_(HAIDIAN).download_material(app["id"], material)
    with pytest.raises(Conflict):
        h.as_(UNIT_A).add_material(app["id"], "award", h.upload(UNIT_A, forms.PDF, "late.pdf"))
    opinion = h.as_(DONGCHENG).add_material(app["id"], "tenant_opinion", h.upload(DONGCHENG, forms.PDF, "意见.pdf"))
    rec = h.as_(DONGCHENG).recommend_application(app["id"], {"opinion": "同意推荐", "signed_by": "李局长",
                                                             "signed_on": "2026-03-02",
                                                             "opinion_material_id": opinion["id"]})
    assert rec["recommendation"]["opinion_material_id"] == opinion["id"]


# -- the Excel form -------------------------------------------------------------------
def test_template_has_chinese_headers_dropdowns_and_instructions(h):
    content = h.as_(UNIT_A).application_template()["content_b64"]
    wb = load_workbook(io.BytesIO(base64.b64decode(content)))
    assert wb.sheetnames == ["申报表", "团队成员", "填表说明"]
    form = wb["申报表"]
    assert form["A3"].value == "项目" and form["B3"].value == "填写内容"
    lists = [dv.formula1 for dv in form.data_validations.dataValidation]
    assert any("技师" in f and "首席技师" in f for f in lists) and any("是,否" in f for f in lists)
    assert wb["团队成员"]["A1"].value == "姓名" and "R-4" in "".join(str(c.value) for c in wb["填表说明"]["A"])


def test_a_filled_template_imports_as_a_draft(h):
    form = forms.application()
    created = h.as_(UNIT_A).import_application(h.workbook(UNIT_A, fill_template(form)), idempotency_key="xlsx-1")
    assert created["status"] == "draft" and created["master"]["name"] == "张师傅"
    assert created["master"]["honours"] == ["national_technical_expert"]
    assert created["master"]["other_honours"] == ["北京市劳动模范", "首都劳动奖章"]
    assert created["existing_studio"]["level"] == "district" and len(created["team"]) == 3
    resaved = fill_template(form, created=dt.datetime(2020, 1, 1))  # other bytes, same answers
    again = h.as_(UNIT_A).import_application(h.workbook(UNIT_A, resaved), idempotency_key="xlsx-1")
    assert again["id"] == created["id"]


def test_import_names_the_bad_cells(h):
    form = forms.application()
    form["master"]["skill_level"] = "大师"
    with pytest.raises(ValidationFailed) as exc:
        h.as_(UNIT_A).import_application(h.workbook(UNIT_A, fill_template(form)))
    assert any(key.startswith("申报表!B") and "职业资格" in msg for key, msg in exc.value.errors.items())
    with pytest.raises(UnsupportedMediaType):
        h.as_(UNIT_A).import_application(h.workbook(UNIT_A, forms.PDF))


# -- designation, changes, revocation --------------------------------------------------
def designate(h, app) -> str:
    h.on("2026-03-20")
    return h.as_(BUREAU).designate_application(app["id"], {})["designation"]["studio_id"]


def revoke(h, studio_id, ground="inactive_over_one_year"):
    request = h.as_(DONGCHENG).create_revocation_request(studio_id, {"ground": ground, "reason": "全年未开展活动"})
    return h.as_(BUREAU).decide_revocation_request(studio_id, request["id"], {"decision": "approve", "note": "同意"})


def first_id(h, app) -> str:
    return h.db[APPLICATIONS].find_one({"_id": app["id"]})["master"]["id_number"]


def test_designation_creates_the_studio_and_writes_the_event_into_it(h):
    app = h.in_notice()
    studio_id = designate(h, app)
    studio = h.as_(UNIT_A).get_studio(studio_id)
    assert studio["status"] == "active" and studio["designated_on"] == "2026-03-20"
    assert studio["measures_version"] == "京人社能发〔2023〕3号" and studio["nameplate_no"] == "京技能大师〔2026〕第01号"
    assert studio["lead"]["name"] == "张师傅" and studio["occupation"] == "数控车工"
    [event] = h.studio_events()
    assert event["type"] == "studio.designated" and event["tenant_id"] == "dongcheng"
    assert {"studio_id": studio_id, "application_id": app["id"], "lead_name": "张师傅", "designated_on": "2026-03-20",
            "year": 2026, "nameplate_no": "京技能大师〔2026〕第01号", "measures_version": "京人社能发〔2023〕3号",
            "unit_id": "unit-dc-jinggong", "occupation": "数控车工"}.items() <= event["data"].items()
    with pytest.raises(NotFound):
        h.as_(UNIT_B).get_studio(studio_id)


def test_designation_interrupted_after_the_studio_write_completes_on_retry(h):
    app = h.in_notice()
    h.on("2026-03-20")
    from services.registry.storage import studios
    studios.create_from_application(h.as_(BUREAU).store, h.db[APPLICATIONS].find_one({"_id": app["id"]}),
                                    h.today, lambda t, d, tenant_id: {"event_id": "e1", "type": t, "data": d})
    done = h.as_(BUREAU).designate_application(app["id"], {})
    assert done["status"] == "designated" and h.db[STUDIOS].count_documents({}) == 1


def test_R19_lead_change_goes_through_the_path_and_keeps_the_old_lead(h):
    studio_id = designate(h, h.in_notice())
    new_form = forms.application(master=forms.master(name="李师傅", birth="1982-04-04"))
    request = h.as_(UNIT_A).create_change_request(studio_id, {
        "kind": "lead_change", "reason": "张师傅退休", "lead_change_reason": "retirement", "application": new_form})
    assert request["kind"] == "lead_change" and request["status"] == "draft"
    app_id = request["application_id"]
    h.as_(UNIT_A).add_material(app_id, "certificate", h.upload(UNIT_A, forms.PDF, "c.pdf"))
    h.as_(UNIT_A).submit_application(app_id)
    h.as_(DONGCHENG).recommend_application(app_id, {"opinion": "同意", "signed_by": "李局长", "signed_on": "2026-03-20"})
    center = h.as_(CENTER)
    for stage in ("material", "site_visit"):
        center.review_application(app_id, {"stage": stage, "result": "pass"})
    center.review_application(app_id, {"stage": "expert", "result": "pass", "scores": [
        {"expert": e, "score": 80} for e in "甲乙丙"]})
    center.review_application(app_id, {"stage": "overall", "result": "pass"})
    center.start_notice(app_id, {})
    h.on("2026-04-01")
    assert h.as_(BUREAU).designate_application(app_id, {})["status"] == "designated"
    studio = h.as_(CENTER).get_studio(studio_id)
    assert studio["lead"]["name"] == "李师傅" and studio["lead"]["since"] == "2026-04-01"
    assert [(l["name"], l["until"], l["reason"]) for l in studio["lead_history"]] == [("张师傅", "2026-04-01", "retirement")]
    assert studio["nameplate_no"] == "京技能大师〔2026〕第01号" and h.db[STUDIOS].count_documents({}) == 1
    assert [e["type"] for e in h.studio_events()] == ["studio.designated", "studio.changed"]
    listed = h.as_(UNIT_A).list_change_requests(studio_id)["items"]
    assert [(r["kind"], r["status"]) for r in listed] == [("lead_change", "designated")]


def test_R19_a_lead_change_keeps_occupation_unit_and_address(h):
    studio_id = designate(h, h.in_notice())
    form = forms.application(master=forms.master(name="李师傅", birth="1982-04-04", occupation="钳工"))
    with pytest.raises(ValidationFailed) as exc:
        h.as_(UNIT_A).create_change_request(studio_id, {"kind": "lead_change", "reason": "x",
                                                        "lead_change_reason": "leaving", "application": form})
    assert "application.master.occupation" in exc.value.errors


@pytest.mark.parametrize("kind,fields,check", [
    ("relocation", {"new_address": "北京市东城区安定门外大街2号"}, lambda s: s["address"] == "北京市东城区安定门外大街2号"),
    ("unit_rename", {"new_unit_name": "北京东城精工科技集团有限公司"},
     lambda s: s["unit_name"] == "北京东城精工科技集团有限公司"),
    ("rehire", {"until": "2028-12-31"}, lambda s: (s["lead"]["employment"] or {}).get("status") == "rehire"),
    ("delayed_retirement", {"until": "2029-06-30"}, lambda s: (s["lead"]["employment"] or {}).get("until") == "2029-06-30"),
])
def test_R19_changes_pass_unit_tenant_centre_and_only_then_change_the_studio(h, kind, fields, check):
    studio_id = designate(h, h.in_notice())
    request = h.as_(UNIT_A).create_change_request(studio_id, {"kind": kind, "reason": "因搬迁/合并", **fields})
    assert request["status"] == "submitted" and not check(h.as_(CENTER).get_studio(studio_id))
    with pytest.raises(Forbidden):
        h.as_(CENTER).forward_change_request(studio_id, request["id"], {})
    with pytest.raises(Conflict):
        h.as_(CENTER).approve_change_request(studio_id, request["id"], {})
    h.as_(DONGCHENG).forward_change_request(studio_id, request["id"], {"note": "经核实"})
    approved = h.as_(CENTER).approve_change_request(studio_id, request["id"], {"note": "同意"})
    assert approved["status"] == "approved"
    studio = h.as_(CENTER).get_studio(studio_id)
    assert check(studio) and studio["changes"][-1]["kind"] == kind
    assert h.studio_events()[-1]["type"] == "studio.changed"
    with pytest.raises(Conflict):
        h.as_(CENTER).approve_change_request(studio_id, request["id"], {})


def test_R19_the_studio_record_has_no_direct_edit(h):
    from services.registry.service import RegistryService
    assert not [name for name in dir(RegistryService) if name.startswith(("update_studio", "edit_studio"))]


def test_R20_approved_revocation_revokes_and_writes_studio_revoked(h):
    studio_id = designate(h, h.in_notice())
    with pytest.raises(Forbidden):
        h.as_(UNIT_A).create_revocation_request(studio_id, {"ground": "violation", "reason": "x"})
    with pytest.raises(NotFound):
        h.as_(HAIDIAN).create_revocation_request(studio_id, {"ground": "violation", "reason": "x"})
    with pytest.raises(ValidationFailed):
        h.as_(DONGCHENG).create_revocation_request(studio_id, {"ground": "bored", "reason": "x"})
    request = h.as_(DONGCHENG).create_revocation_request(studio_id, {"ground": "failed_after_rectification",
                                                                     "reason": "整改后考核仍不合格"})
    with pytest.raises(Conflict):
        h.as_(DONGCHENG).create_revocation_request(studio_id, {"ground": "violation", "reason": "重复"})
    with pytest.raises(Forbidden):
        h.as_(CENTER).decide_revocation_request(studio_id, request["id"], {"decision": "approve"})
    h.on("2026-06-30")
    decided = h.as_(BUREAU).decide_revocation_request(studio_id, request["id"], {"decision": "approve"})
    assert decided["status"] == "approved" and decided["revoked_on"] == "2026-06-30"
    studio = h.as_(UNIT_A).get_studio(studio_id)
    assert studio["status"] == "revoked" and studio["revocation_ground"] == "failed_after_rectification"
    event = h.studio_events()[-1]
    assert event["type"] == "studio.revoked" and {"studio_id": studio_id, "tenant_id": "dongcheng",
                                                  "unit_id": "unit-dc-jinggong", "ground": "failed_after_rectification",
                                                  "revoked_on": "2026-06-30"}.items() <= event["data"].items()
    with pytest.raises(Conflict):
        h.as_(UNIT_A).create_change_request(studio_id, {"kind": "relocation", "reason": "x", "new_address": "y"})


def test_R20_a_rejected_revocation_changes_nothing(h):
    studio_id = designate(h, h.in_notice())
    request = h.as_(DONGCHENG).create_revocation_request(studio_id, {"ground": "not_cooperating", "reason": "x"})
    decided = h.as_(BUREAU).decide_revocation_request(studio_id, request["id"], {"decision": "reject", "note": "证据不足"})
    assert decided["status"] == "rejected" and h.as_(CENTER).get_studio(studio_id)["status"] == "active"
    assert [e["type"] for e in h.studio_events()] == ["studio.designated"]
    # a new request may be filed once the previous one is decided
    assert h.as_(DONGCHENG).create_revocation_request(studio_id, {"ground": "violation", "reason": "y"})["status"] == \
        "requested"


def test_R20_revocation_frees_the_master_and_the_slot(h):
    first = h.in_notice()
    lead_id = first_id(h, first)
    studio_id = designate(h, first)
    revoke(h, studio_id, ground="lead_cannot_continue")
    h.on("2026-07-01")
    again = forms.application(master={**forms.master(), "id_number": lead_id})
    assert h.submitted(again)["status"] == "submitted"


# -- races the store settles -------------------------------------------------------------
def test_R6_two_racing_submits_of_one_master_cannot_both_pass(h, monkeypatch):
    from services.registry.domain import eligibility
    from services.registry.storage import applications
    first = h.draft()
    second = h.draft(forms.application(master={**forms.master(), "id_number": first_id(h, first),
                                               "occupation": "钳工"}))
    # both read "no other open application" before either writes: the unique key decides
    monkeypatch.setattr(applications, "_uniqueness", lambda store, doc: eligibility.Uniqueness())
    assert h.as_(UNIT_A).submit_application(first["id"])["status"] == "submitted"
    with pytest.raises(RuleViolation) as exc:
        h.as_(UNIT_A).submit_application(second["id"])
    assert rule_of(exc) == "R-6"
    assert h.as_(UNIT_A).get_application(second["id"])["status"] == "draft"


def test_a_designation_in_progress_holds_the_application(h):
    app = h.in_notice()
    h.db[APPLICATIONS].update_one({"_id": app["id"]}, {"$set": {"_designating": {"by": "demo-bureau"}}})
    with pytest.raises(Conflict):
        h.as_(CENTER).add_objection(app["id"], {"summary": "迟到一步的异议"})
    h.on("2026-03-20")
    assert h.as_(BUREAU).designate_application(app["id"], {})["status"] == "designated"
    assert "_designating" not in h.db[APPLICATIONS].find_one({"_id": app["id"]})


def test_a_refused_designation_releases_the_application(h):
    first = h.in_notice()
    designate(h, first)
    # the same slot designated meanwhile by another path: the second is refused and stays in notice
    h.on("2026-03-02")
    second = h.draft(forms.application(master=forms.master(name="王师傅", birth="1978-08-08", occupation="钳工")))
    h.as_(UNIT_A).submit_application(second["id"])
    h.db[STUDIOS].update_one({}, {"$set": {"_active_slot_key": "unit-dc-jinggong|-|钳工"}})
    h.as_(DONGCHENG).recommend_application(second["id"], {"opinion": "同意", "signed_by": "x", "signed_on": "2026-03-02"})
    center = h.as_(CENTER)
    for body in ({"stage": "material", "result": "pass"}, {"stage": "site_visit", "result": "pass"},
                 {"stage": "expert", "result": "pass", "scores": [{"expert": e, "score": 80} for e in "甲乙丙"]},
                 {"stage": "overall", "result": "pass"}):
        center.review_application(second["id"], body)
    center.start_notice(second["id"], {})
    h.on("2026-03-20")
    with pytest.raises(RuleViolation) as exc:
        h.as_(BUREAU).designate_application(second["id"], {})
    assert rule_of(exc) == "R-6"
    doc = h.db[APPLICATIONS].find_one({"_id": second["id"]})
    assert doc["status"] == "in_notice" and "_designating" not in doc
    h.as_(CENTER).add_objection(second["id"], {"summary": "可以再记录异议", "received_on": "2026-03-06"})


def test_R9_get_and_put_of_a_calendar_year_mean_the_same_days(h):
    """issue 14: GET listed only weekday holidays while PUT takes the whole period."""
    from_package = h.as_(ADMIN).get_calendar_year(2026)
    assert from_package["origin"] == "package"
    national_day = [d for d in from_package["holidays"] if d.startswith("2026-10-0")]
    assert national_day == [f"2026-10-0{d}" for d in range(1, 8)]  # 10-03/04 are a weekend inside the period
    entered = h.as_(ADMIN).put_calendar_year(2026, {"holidays": from_package["holidays"],
                                                    "workdays": from_package["workdays"]})
    assert (entered["holidays"], entered["workdays"]) == (from_package["holidays"], from_package["workdays"])

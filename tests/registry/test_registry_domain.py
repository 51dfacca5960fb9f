"""Pure rules of the studio life cycle: no broker, no store."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from services.registry import contract
from services.registry.domain import designation, eligibility, excel, files, id_number, ranking, workflow
from services.registry.domain.workflow import APPLICATION, CHANGE_REQUEST, REVOCATION, decide
from shared.errors import Conflict, Forbidden, PayloadTooLarge, RuleViolation, UnsupportedMediaType
from shared.principal import CITY_BUREAU, CITY_CENTER, FINANCE, TENANT, UNIT
from tests.registry import forms

# -- the state machine ------------------------------------------------------------------
PATH = [  # (state, action, role, outcome, next)
    ("draft", "submit", UNIT, None, "submitted"),
    ("submitted", "return", TENANT, None, "returned"),
    ("returned", "submit", UNIT, None, "submitted"),
    ("submitted", "recommend", TENANT, None, "recommended"),
    ("recommended", "review", CITY_CENTER, "pass", "under_review"),
    ("under_review", "review", CITY_CENTER, "pass", "under_review"),
    ("under_review", "review", CITY_CENTER, "shortlist", "shortlisted"),
    ("under_review", "review", CITY_CENTER, "fail", "rejected"),
    ("shortlisted", "start_notice", CITY_CENTER, None, "in_notice"),
    ("in_notice", "object", CITY_BUREAU, None, "objected"),
    ("objected", "resolve_objection", CITY_CENTER, "dismissed", "in_notice"),
    ("objected", "resolve_objection", CITY_CENTER, "still_open", "objected"),
    ("objected", "resolve_objection", CITY_CENTER, "upheld", "rejected"),
    ("in_notice", "designate", CITY_BUREAU, None, "designated"),
    ("submitted", "reject", TENANT, None, "rejected"),
    ("shortlisted", "reject", CITY_BUREAU, None, "rejected"),
]


@pytest.mark.parametrize("state,action,role,outcome,expected", PATH)
def test_state_machine_table(state, action, role, outcome, expected):
    assert decide(APPLICATION, state, action, role, outcome) == expected


def test_every_action_from_a_state_without_it_is_409_for_an_allowed_role():
    actions = {a for (_, a) in APPLICATION}
    for state in workflow.APPLICATION_STATES:
        for action in actions:
            if (state, action) in APPLICATION:
                continue
            role = next(iter(workflow.allowed_roles(APPLICATION, action)))
            with pytest.raises(Conflict):
                decide(APPLICATION, state, action, role, "pass")


def test_final_states_allow_nothing():
    for state in workflow.FINAL_STATES:
        assert not [a for (s, a) in APPLICATION if s == state]


@pytest.mark.parametrize("action,role", [("recommend", UNIT), ("submit", TENANT), ("designate", CITY_CENTER),
                                         ("review", CITY_BUREAU), ("designate", FINANCE), ("reject", UNIT)])
def test_a_role_not_allowed_is_403(action, role):
    state = next(s for (s, a) in APPLICATION if a == action)
    with pytest.raises(Forbidden):
        decide(APPLICATION, state, action, role, "pass")


def test_a_tenant_rejects_only_what_is_before_it_and_the_city_what_is_after():
    with pytest.raises(Forbidden):
        decide(APPLICATION, "recommended", "reject", TENANT)
    with pytest.raises(Forbidden):
        decide(APPLICATION, "submitted", "reject", CITY_CENTER)


def test_allowed_actions_follow_the_table():
    assert workflow.actions_for(APPLICATION, "submitted", TENANT) == ["add_opinion", "recommend", "reject", "return"]
    assert workflow.actions_for(APPLICATION, "in_notice", CITY_BUREAU) == ["designate", "object", "reject"]
    assert workflow.actions_for(APPLICATION, "designated", CITY_BUREAU) == []


def test_change_and_revocation_machines():
    assert decide(CHANGE_REQUEST, "submitted", "forward", TENANT) == "forwarded"
    assert decide(CHANGE_REQUEST, "forwarded", "approve", CITY_CENTER) == "approved"
    with pytest.raises(Conflict):
        decide(CHANGE_REQUEST, "submitted", "approve", CITY_CENTER)
    assert decide(REVOCATION, "requested", "approve", CITY_BUREAU) == "approved"
    with pytest.raises(Forbidden):
        decide(REVOCATION, "requested", "approve", TENANT)


# -- eligibility ------------------------------------------------------------------------
def test_R1_only_technician_and_above_qualify():
    assert contract.QUALIFYING_LEVELS == ("技师", "高级技师", "特级技师", "首席技师")
    on = dt.date(2026, 3, 2)
    for level in contract.SKILL_LEVELS:
        found = eligibility.master_failures(forms.master(skill_level=level), on)
        assert bool(found) == (level not in contract.QUALIFYING_LEVELS), level


def test_R4_counts_formal_employees_only():
    assert eligibility.team_failures(forms.team(3), forms.CONDITIONS) == []
    found = eligibility.team_failures(forms.team(2) + forms.team(5, formal=False), forms.CONDITIONS)
    assert [f.rule for f in found] == ["R-4"]


def test_failures_are_ordered_by_rule_and_enforce_names_the_first():
    facts = eligibility.Uniqueness(leads_studio="s1")
    app = {"master": forms.master(skill_level="高级工", birth="1966-06-10"), "team": forms.team(1),
           "conditions": forms.CONDITIONS}
    found = eligibility.failures(app, dt.date(2026, 3, 2), facts, [])
    assert [f.rule for f in found] == ["R-1", "R-2", "R-4", "R-6", "R-8"]
    with pytest.raises(RuleViolation) as exc:
        eligibility.enforce(found)
    assert exc.value.rule == "R-1" and exc.value.extra["rules"] == ["R-1", "R-2", "R-4", "R-6", "R-8"]
    eligibility.enforce([])


# -- identity numbers -------------------------------------------------------------------
def test_identity_number_check_character_and_parts():
    assert contract.validate_id_number("11010519491231002X") is None  # the standard's own example
    assert "check character" in contract.validate_id_number("110105194912310021")
    assert "birth date" in contract.validate_id_number("110105194913310020")
    assert contract.birth_month("11010519491231002X") == "1949-12"
    assert contract.gender("11010519491231002X") == "F"
    assert id_number.mask("11010519491231002X") == "110105********002X"
    made = forms.id_number("1980-07-09", "M")
    assert contract.validate_id_number(made) is None and contract.gender(made) == "M"


# -- files ------------------------------------------------------------------------------
@pytest.mark.parametrize("content,expected", [
    (forms.PDF, files.PDF), (forms.PNG, files.PNG), (forms.JPEG, files.JPEG), (forms.FORGED_PDF, None),
    (b"GIF89a....", None), (b" %PDF-1.4 junk first", None), (b"PK\x03\x04", None), (b"", None),
])
def test_materials_are_recognised_by_magic_bytes(content, expected):
    assert files.sniff(content) == expected


def test_material_size_limit_is_10_mb_inclusive():
    files.check_size(b"x" * files.MAX_MATERIAL_BYTES)
    with pytest.raises(PayloadTooLarge):
        files.check_size(b"x" * (files.MAX_MATERIAL_BYTES + 1))
    with pytest.raises(UnsupportedMediaType):
        files.check_material(forms.FORGED_PDF)


def test_stored_file_names_lose_paths_and_get_the_real_extension():
    assert files.safe_filename("../../etc/passwd.pdf", files.PDF) == "passwd.pdf"
    assert files.safe_filename("C:\\证书\\毕业证.exe", files.PNG) == "毕业证.png"
    assert files.safe_filename("", files.JPEG) == "material.jpg"


def test_chunks_rebuild_the_file():
    content = bytes(range(256)) * 5000
    assert b"".join(files.chunks(content)) == content and len(files.chunks(content)) > 1


# -- ranking ----------------------------------------------------------------------------
def _ranked(**kw):
    base = {"_id": kw.pop("id"), "master": {"honours": kw.pop("honours", [])},
            "existing_studio": {"level": "district"} if kw.pop("r5", False) else None,
            "reviews": {"expert": {"scores": [{"expert": "a", "score": s} for s in kw.pop("scores", [])]},
                        "overall": {"date": kw.pop("overall", "2026-05-01")}},
            "submitted_at": kw.pop("submitted_at", "2026-03-01")}
    return base


def test_ranking_puts_R3_honours_then_R5_first():
    apps = [_ranked(id="plain", scores=[99]), _ranked(id="r5", r5=True, scores=[60]),
            _ranked(id="r3", honours=["china_skill_award"], scores=[50]),
            _ranked(id="r3r5", honours=["china_skill_award"], r5=True, scores=[40]),
            _ranked(id="two", honours=["china_skill_award", "national_technical_expert"], scores=[30])]
    assert [a["_id"] for a in ranking.rank(apps)] == ["r3r5", "two", "r3", "r5", "plain"]


def test_ranking_then_scores_then_dates_then_id():
    apps = [_ranked(id="b", scores=[80]), _ranked(id="a", scores=[80]), _ranked(id="high", scores=[90, 92]),
            _ranked(id="early", scores=[80], overall="2026-04-01"), _ranked(id="none")]
    assert [a["_id"] for a in ranking.rank(apps)] == ["high", "early", "a", "b", "none"]


# -- catalogue and Excel ----------------------------------------------------------------
def test_nameplate_numbers_run_per_year():
    assert contract.nameplate_no(2026, 3) == "京技能大师〔2026〕第03号"


def test_formula_like_text_is_escaped():
    assert excel.escape_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert [excel.escape_cell(t) for t in ("+1", "-1", "@x", "正常")] == ["'+1", "'-1", "'@x", "正常"]


def test_a_workbook_that_is_not_the_template_is_refused():
    with pytest.raises(excel.WorkbookProblem):
        excel.parse_application(b"PK\x03\x04 not really a zip")
    wb = Workbook()
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(excel.WorkbookProblem) as exc:
        excel.parse_application(out.getvalue())
    assert "申报表" in str(exc.value)


def test_an_empty_template_names_every_required_cell():
    with pytest.raises(excel.WorkbookProblem) as exc:
        excel.parse_application(excel.build_template())
    required = [i for i in excel.ITEMS if i.required]
    assert len([k for k in exc.value.errors if k.startswith("申报表!B")]) == len(required)


# -- designation (pure decisions the repository calls) ----------------------------------
def test_r7_the_year_numbers_studios_in_sequence_up_to_ten():
    assert designation.next_sequence(2026, None) == 1
    assert designation.next_sequence(2026, 9) == contract.MAX_DESIGNATIONS_PER_YEAR == 10
    with pytest.raises(RuleViolation) as exc:
        designation.next_sequence(2026, 10)
    assert exc.value.rule == "R-7" and "year" in exc.value.errors


def test_r6_one_active_studio_per_master_and_per_unit_occupation():
    designation.check_designation_unique(master_leads_active_studio=False, slot_has_active_studio=False)
    for facts, field in (({"master_leads_active_studio": True, "slot_has_active_studio": False}, "master.id_number"),
                         ({"master_leads_active_studio": False, "slot_has_active_studio": True}, "master.occupation")):
        with pytest.raises(RuleViolation) as exc:
            designation.check_designation_unique(**facts)
        assert exc.value.rule == "R-6" and field in exc.value.errors
    with pytest.raises(RuleViolation):
        designation.check_new_lead(new_lead_leads_another_studio=True)
    with pytest.raises(RuleViolation):
        designation.check_unit_move(new_slot_has_active_studio=True)
    designation.check_unit_move(new_slot_has_active_studio=False)

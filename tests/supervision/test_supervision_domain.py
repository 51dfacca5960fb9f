"""supervision's pure domain (no broker, no store): R-12 summaries, inspections, reminders,
notifications, workbooks."""
import io
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from services.supervision.domain import inspections as insp
from services.supervision.domain import notifications as notes
from services.supervision.domain import reminders as rem
from services.supervision.domain import status as st
from services.supervision.domain import summaries as sm
from services.supervision.domain import workbooks as wbk
from services.supervision.domain.deadlines import days_late, parse_year, summary_due_on, timeliness
from shared.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from shared.principal import Principal as P

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


DONG = P("demo-dongcheng", "tenant", "dongcheng")
HAI = P("demo-haidian", "tenant", "haidian")
UNIT_A = P("demo-unit-a", "unit", "dongcheng", "unit-a")
UNIT_B = P("demo-unit-b", "unit", "haidian", "unit-b")
CENTER = P("demo-center", "city_center")
FIN = P("demo-finance", "finance")

STUDIO = {"studio_id": "s1", "name": "精工大师工作室", "tenant_id": "dongcheng", "unit_id": "unit-a",
          "unit_name": "北京东城精工制造有限公司", "state": "active", "designated_on": "2024-06-01"}


# ---------------------------------------------------------------- deadlines

def test_r12_due_date_defaults_to_december_15_and_is_configurable():
    assert summary_due_on(2026) == date(2026, 12, 15)
    assert summary_due_on(2026, {"2026": "2026-12-10"}) == date(2026, 12, 10)
    with pytest.raises(ValidationFailed):
        summary_due_on(2026, {"2026": "2027-01-05"})


def test_r12_december_15_on_time_december_16_late_by_one_day_in_beijing_time():
    due = date(2026, 12, 15)
    assert timeliness(datetime(2026, 12, 15, 23, 59, tzinfo=SH), due) == "on_time"
    # 16:30 UTC on Dec 15 is already Dec 16 00:30 in Beijing
    assert days_late(datetime(2026, 12, 15, 16, 30, tzinfo=timezone.utc), due) == 1
    assert days_late(datetime(2026, 12, 16, 9, 0, tzinfo=SH), due) == 1
    assert days_late(datetime(2026, 12, 20, 9, 0, tzinfo=SH), due) == 5
    assert days_late(datetime(2026, 11, 1, 9, 0, tzinfo=SH), due) == 0


def test_year_parsing():
    assert parse_year("2026") == 2026
    for bad in ("x", None, "1999", 3000):
        with pytest.raises(ValidationFailed):
            parse_year(bad)


# ---------------------------------------------------------------- inspections

def _inspection(**over):
    data = {"inspected_on": "2026-11-20", "inspectors": ["张三", "李四"], "checked": ["activity", "funds"],
            "findings": "台账齐全", "rating": "fair",
            "rectifications": [{"description": "补充设备台账", "due_on": "2026-12-10"}]}
    data.update(over)
    return insp.new_inspection(data, STUDIO, recorded_by="demo-dongcheng", now=NOW, today=date(2026, 12, 1))


def test_r12_inspection_records_what_was_checked_and_rectification_items():
    doc = _inspection()
    assert doc["tenant_id"] == "dongcheng" and doc["year"] == 2026
    assert doc["rectifications"][0] == {"item_id": "1", "description": "补充设备台账", "due_on": "2026-12-10",
                                        "state": "open", "closed_on": None, "closed_late": None,
                                        "closed_by": None, "evidence": None}


@pytest.mark.parametrize("over, field", [
    ({"inspectors": []}, "inspectors"), ({"inspectors": ["张三", "张三"]}, "inspectors"),
    ({"checked": ["kitchen"]}, "checked"), ({"checked": []}, "checked"), ({"rating": "great"}, "rating"),
    ({"inspected_on": "2026-12-02"}, "inspected_on"), ({"inspected_on": "yesterday"}, "inspected_on"),
    ({"rectifications": [{"description": "", "due_on": "2026-12-10"}]}, "rectifications.0.description"),
    ({"rectifications": [{"description": "x", "due_on": "2026-11-01"}]}, "rectifications.0.due_on"),
])
def test_r12_inspection_validation_names_the_field(over, field):
    with pytest.raises(ValidationFailed) as e:
        _inspection(**over)
    assert field in e.value.errors


def test_r12_poor_rating_needs_a_rectification_item():
    with pytest.raises(RuleViolation) as e:
        _inspection(rating="poor", rectifications=[])
    assert e.value.rule == "R-12"


def test_r12_who_records_sees_and_closes():
    doc = _inspection()
    assert insp.may_record(DONG, "dongcheng") and not insp.may_record(HAI, "dongcheng")
    assert not insp.may_record(UNIT_A, "dongcheng") and not insp.may_record(CENTER, "dongcheng")
    assert insp.may_see(CENTER, doc) and insp.may_see(DONG, doc) and insp.may_see(UNIT_A, doc)
    assert not insp.may_see(HAI, doc) and not insp.may_see(UNIT_B, doc)
    assert not insp.may_see(P("u2", "unit", "dongcheng", "unit-other"), doc)
    with pytest.raises(NotFound):
        insp.close_item(doc, "1", {"note": "done"}, principal=HAI, today=date(2026, 12, 5))
    with pytest.raises(Forbidden):
        insp.close_item(doc, "1", {"note": "done"}, principal=CENTER, today=date(2026, 12, 5))


def test_r12_closing_an_item_needs_evidence_once_and_marks_late_closure():
    doc = _inspection()
    with pytest.raises(ValidationFailed):
        insp.close_item(doc, "1", {"note": " "}, principal=UNIT_A, today=date(2026, 12, 5))
    with pytest.raises(NotFound):
        insp.close_item(doc, "9", {"note": "x"}, principal=UNIT_A, today=date(2026, 12, 5))
    item = insp.close_item(doc, "1", {"note": "台账已补", "references": ["照片1"]}, principal=UNIT_A,
                           today=date(2026, 12, 12))
    assert item["state"] == "closed" and item["closed_late"] is True and item["closed_by"] == "demo-unit-a"
    doc["rectifications"] = [item]
    with pytest.raises(Conflict):
        insp.close_item(doc, "1", {"note": "again"}, principal=UNIT_A, today=date(2026, 12, 12))


def test_r12_inspection_digest_one_row_a_studio_latest_rating_open_items():
    a = _inspection(inspected_on="2026-03-01", rating="poor")
    b = _inspection(inspected_on="2026-11-01", rating="good", rectifications=[])
    old = {**_inspection(), "year": 2025}
    other = {**STUDIO, "studio_id": "s2"}
    rows = insp.digest_rows([a, b, old], 2026, [STUDIO, other])
    assert rows[0] == {"studio_id": "s1", "tenant_id": "dongcheng", "year": 2026, "inspected": True,
                       "inspected_on": "2026-11-01", "rating": "good", "open_rectifications": 1}
    assert rows[1]["inspected"] is False and rows[1]["rating"] is None


def test_rectifications_due_lists_open_items_due_within_three_days():
    doc = _inspection()
    assert insp.rectifications_due([doc], date(2026, 12, 6)) == []
    assert len(insp.rectifications_due([doc], date(2026, 12, 7))) == 1


# ---------------------------------------------------------------- summaries (R-12 from R-11)

def _digest(sid, unit="unit-a", tenant="dongcheng", plan="accepted", results="submitted", apprentices=2):
    return {"studio_id": sid, "tenant_id": tenant, "unit_id": unit, "year": 2026,
            "agreement": {"state": "accepted", "version": 1, "signed_on": "2026-01-10"},
            "plan": {"state": plan, "version": 1, "submitted_at": None, "due_on": "2026-03-31", "timeliness": "on_time"},
            "results": {"state": results, "version": 1, "submitted_at": None, "due_on": "2026-12-01", "timeliness": "late"},
            "targets_total": 5, "targets_met": 4,
            "outputs": {"apprentices": apprentices, "patents": 1}, "economic_benefit_fen": 100_00}


def _fund(sid, city=300_000_00, matching=150_000_00, spent=50_000_00):
    return {"studio_id": sid, "received": {"city_fen": city, "matching_fen": matching},
            "spent": {"total_fen": spent}, "cumulative": {"city_fen": city, "matching_fen": matching}}


STUDIOS = [STUDIO, {**STUDIO, "studio_id": "s2", "unit_id": "unit-c", "unit_name": "北京东城第二厂"},
           {**STUDIO, "studio_id": "s3", "designated_on": "2027-01-02"},
           {**STUDIO, "studio_id": "s4", "state": "revoked", "revoked_on": "2025-05-01"}]


def test_r12_r11_draft_adds_up_reports_inspections_funds_and_outputs():
    figures, rows = sm.build(2026, STUDIOS, [_digest("s1"), _digest("s2", unit="unit-c", plan="returned")],
                             insp.digest_rows([_inspection()], 2026, STUDIOS[:2]), [_fund("s1"), _fund("s2", matching=0)])
    assert figures["studios"]["total"] == 2                     # s3 designated later, s4 revoked before
    assert figures["reports"]["plan"]["accepted"] == 1 and figures["reports"]["plan"]["returned"] == 1
    assert figures["reports"]["results"]["submitted"] == 2
    assert figures["reports"]["timeliness"]["results"] == {"on_time": 0, "late": 2}
    assert figures["outputs"]["apprentices"] == 4 and figures["outputs"]["patents"] == 2
    assert figures["targets"] == {"total": 10, "met": 8}
    assert figures["inspections"]["inspected"] == 1 and figures["inspections"]["not_inspected"] == 1 and figures["inspections"]["open_rectifications"] == 1
    assert figures["funds"]["city_received_fen"] == 600_000_00
    assert figures["funds"]["matching_ratio_bp"] == 2500 and figures["funds"]["matching_ratio"] == "25.00%"
    assert [r["studio_id"] for r in rows] == ["s2", "s1"]     # by unit name, then studio name


def test_r12_a_missing_report_counts_as_missing_and_an_unavailable_source_says_why():
    figures, rows = sm.build(2026, STUDIOS[:2], [_digest("s1")], [], None, {"funds": "ledger did not answer"})
    assert figures["reports"]["plan"]["missing"] == 1
    assert figures["funds"] == {"available": False, "reason": "ledger did not answer"}
    figures, _ = sm.build(2026, STUDIOS[:2], None, [], [], {"reports": "reporting did not answer"})
    assert figures["reports"]["available"] is False


def _draft():
    figures, rows = sm.build(2026, STUDIOS[:2], [], [], [])
    return sm.new_summary("dongcheng", "东城区", 2026, date(2026, 12, 15), figures, rows, by="demo-dongcheng",
                          now=NOW, sources={"reports": "ok", "funds": "ok"})


def test_r12_submission_on_december_15_is_on_time_on_december_16_late_by_one_day():
    on_time, created = sm.submit(_draft(), by="demo-dongcheng", now=datetime(2026, 12, 15, 18, 0, tzinfo=SH))
    assert created and on_time["timeliness"] == "on_time" and on_time["late_days"] == 0
    late, _ = sm.submit(_draft(), by="demo-dongcheng", now=datetime(2026, 12, 16, 9, 0, tzinfo=SH))
    assert late["state"] == "submitted" and late["timeliness"] == "late" and late["late_days"] == 1


def test_r12_narrative_edit_only_in_draft_and_known_sections():
    d = sm.edit_narrative(_draft(), {"overview": "全年运行良好"}, by="demo-dongcheng", now=NOW)
    assert d["narrative"]["overview"] == "全年运行良好" and d["revision"] == 2
    with pytest.raises(ValidationFailed):
        sm.edit_narrative(d, {"poem": "x"}, by="demo-dongcheng", now=NOW)
    s, _ = sm.submit(d, by="demo-dongcheng", now=NOW)
    with pytest.raises(Conflict):
        sm.edit_narrative(s, {"overview": "改"}, by="demo-dongcheng", now=NOW)
    with pytest.raises(Conflict):
        sm.submit(s, by="demo-dongcheng", now=NOW)


def test_r12_submit_with_the_same_idempotency_key_is_a_replay():
    s, created = sm.submit(_draft(), by="demo-dongcheng", now=NOW, idempotency_key="k1")
    again, created2 = sm.submit(s, by="demo-dongcheng", now=NOW, idempotency_key="k1")
    assert created and not created2 and again["version"] == 1 and len(again["versions"]) == 1


def test_r12_only_the_city_reopens_with_a_reason_and_the_first_version_stays_readable():
    d = sm.edit_narrative(_draft(), {"overview": "第一版"}, by="demo-dongcheng", now=NOW)
    s, _ = sm.submit(d, by="demo-dongcheng", now=datetime(2026, 12, 14, 10, 0, tzinfo=SH))
    with pytest.raises(Forbidden):
        sm.reopen(s, "请补充", principal=DONG, now=NOW)
    with pytest.raises(ValidationFailed):
        sm.reopen(s, "  ", principal=CENTER, now=NOW)
    r = sm.reopen(s, "请补充资金说明", principal=CENTER, now=NOW)
    assert r["state"] == "draft" and r["version"] == 2
    assert r["history"][-1]["reason"] == "请补充资金说明" and r["history"][-1]["by"] == "demo-center"
    r = sm.edit_narrative(r, {"overview": "第二版"}, by="demo-dongcheng", now=NOW)
    r2, _ = sm.submit(r, by="demo-dongcheng", now=datetime(2026, 12, 20, 10, 0, tzinfo=SH))
    assert sm.version_view(r2, 1)["narrative"]["overview"] == "第一版"
    assert sm.version_view(r2, 2)["narrative"]["overview"] == "第二版"
    assert r2["first_submission"]["timeliness"] == "on_time"     # the city asked for the change
    with pytest.raises(NotFound):
        sm.version_view(r2, 3)
    with pytest.raises(Conflict):
        sm.reopen(sm.reopen(r2, "again", principal=CENTER, now=NOW), "x", principal=CENTER, now=NOW)


# ---------------------------------------------------------------- city status view

TENANTS = [{"tenant_id": "dongcheng", "name": "东城区"}, {"tenant_id": "haidian", "name": "海淀区"},
           {"tenant_id": "xicheng", "name": "西城区"}]


def test_r12_city_status_on_time_late_missing_draft_not_started():
    on_time, _ = sm.submit(_draft(), by="d", now=datetime(2026, 12, 15, 12, 0, tzinfo=SH))
    late = {**sm.submit(_draft(), by="h", now=datetime(2026, 12, 16, 9, 0, tzinfo=SH))[0], "tenant_id": "haidian"}
    rows = st.status_rows(TENANTS, 2026, date(2026, 12, 15), {"dongcheng": on_time, "haidian": late},
                          date(2026, 12, 18))
    assert [(r["tenant_id"], r["status"], r["days_late"]) for r in rows] == [
        ("dongcheng", "on_time", 0), ("haidian", "late", 1), ("xicheng", "missing", 3)]
    assert rows[1]["submitted_on"] == "2026-12-16"
    before = st.status_rows(TENANTS, 2026, date(2026, 12, 15), {"dongcheng": _draft()}, date(2026, 12, 1))
    assert [r["status"] for r in before] == ["draft", "not_started", "not_started"]
    assert st.totals(rows)["missing"] == 1


# ---------------------------------------------------------------- reminders

def test_r12_summary_reminders_7_and_1_days_before_and_the_day_after_for_those_not_submitted():
    due = date(2026, 12, 15)
    keys = lambda today: [r.key for r in rem.summary_reminders(today, 2026, due, ["dongcheng", "haidian"], ["haidian"])]
    assert keys(date(2026, 12, 7)) == []
    assert keys(date(2026, 12, 8)) == ["summary.due_soon:7:dongcheng:2026"]
    assert keys(date(2026, 12, 10)) == ["summary.due_soon:7:dongcheng:2026"]    # same key: sent once
    assert keys(date(2026, 12, 14)) == ["summary.due_soon:1:dongcheng:2026"]
    assert keys(date(2026, 12, 15)) == ["summary.due_soon:1:dongcheng:2026"]
    assert keys(date(2026, 12, 16)) == ["summary.overdue:dongcheng:2026"]
    assert keys(date(2027, 1, 14)) == ["summary.overdue:dongcheng:2026"]
    assert keys(date(2027, 1, 15)) == []                                          # long past: no more
    r = rem.summary_reminders(date(2026, 12, 8), 2026, due, ["dongcheng"], [])[0]
    assert r.event_type == "summary.due_soon" and r.data == {"tenant_id": "dongcheng", "year": 2026,
                                                             "due_on": "2026-12-15", "days_left": 7}


def test_r11_report_reminders_for_plans_and_results_not_in():
    items = [_digest("s1", plan="accepted", results="draft"), _digest("s2", unit="unit-c", results="submitted"),
             _digest("s3", results="returned")]
    got = rem.report_reminders(date(2026, 11, 24), items)
    assert [(r.key, r.event_type) for r in got] == [("report.due_soon:7:s1:2026:results", "report.due_soon"),
                                                     ("report.due_soon:7:s3:2026:results", "report.due_soon")]
    assert got[0].data["unit_id"] == "unit-a" and got[0].data["kind"] == "results"
    assert [r.key for r in rem.report_reminders(date(2026, 12, 2), items)] == [
        "report.overdue:s1:2026:results", "report.overdue:s3:2026:results"]


# ---------------------------------------------------------------- notifications

def test_notifications_reach_their_audience_only():
    n = notes.from_event("report.returned", {"tenant_id": "dongcheng", "unit_id": "unit-a", "studio_id": "s1",
                                             "year": 2026, "kind": "plan", "reasons": ["缺少签章"]}, "e1", NOW)
    assert [x["audience"] for x in n] == ["unit:unit-a"] and "缺少签章" in n[0]["body"]
    assert "unit:unit-a" in notes.audience_keys(UNIT_A)
    assert "unit:unit-a" not in notes.audience_keys(UNIT_B) + notes.audience_keys(DONG) + notes.audience_keys(CENTER)
    over = notes.from_event("summary.overdue", {"tenant_id": "haidian", "year": 2026, "due_on": "2026-12-15"}, "e2", NOW)
    assert sorted(x["audience"] for x in over) == ["city", "tenant:haidian"]
    assert "city" in notes.audience_keys(CENTER) and "city" not in notes.audience_keys(FIN)
    assert notes.from_event("studio.changed", {}, "e3", NOW) == []
    again = notes.from_event("report.returned", {"tenant_id": "dongcheng", "unit_id": "unit-a", "studio_id": "s1",
                                                 "year": 2026, "kind": "plan", "reasons": []}, "e1", NOW)
    assert again[0]["notification_id"] == n[0]["notification_id"]


def test_r11_r12_submissions_and_acceptances_tell_the_one_who_acts_next():
    """R-11: a submitted report waits for its tenant, an accepted one tells its unit; R-12: a
    submitted summary tells the city (late days named)."""
    report = {"tenant_id": "dongcheng", "unit_id": "unit-a", "studio_id": "s1", "year": 2026, "kind": "results",
              "version": 2, "report_id": "r1"}
    sub = notes.from_event("report.submitted", {**report, "late_days": 3}, "e5", NOW)
    assert [x["audience"] for x in sub] == ["tenant:dongcheng"] and "逾期3天" in sub[0]["body"]
    assert "年度工作成果" in sub[0]["title"] and sub[0]["subject"]["report_id"] == "r1"
    acc = notes.from_event("report.accepted", report, "e6", NOW)
    assert [x["audience"] for x in acc] == ["unit:unit-a"] and "第2版" in acc[0]["body"]
    summ = notes.from_event("summary.submitted", {"tenant_id": "haidian", "tenant_name": "海淀区", "year": 2026,
                                                  "version": 1, "late_days": 0}, "e7", NOW)
    assert [x["audience"] for x in summ] == ["city"] and "海淀区" in summ[0]["body"] and "按时" in summ[0]["body"]
    assert "city" not in notes.audience_keys(DONG) and "tenant:dongcheng" not in notes.audience_keys(UNIT_A)


def test_r11_a_notification_names_the_studio_as_people_know_it_and_a_district_its_unit_too():
    studio = {"studio_id": "s1", "name": "林丽娟技能大师工作室", "unit_name": "北京东城精工制造有限公司"}
    report = {"tenant_id": "dongcheng", "unit_id": "unit-a", "studio_id": "s1", "year": 2026, "kind": "plan",
              "version": 1, "report_id": "r1", "due_on": "2026-03-31"}
    [sub] = notes.from_event("report.submitted", report, "e8", NOW, studio)
    assert sub["body"].startswith("林丽娟技能大师工作室（北京东城精工制造有限公司）的2026年年度工作计划（第1版）已提交")
    assert sub["subject"]["studio_name"] == "林丽娟技能大师工作室"
    [ret] = notes.from_event("report.returned", {**report, "reasons": ["缺少签章"]}, "e9", NOW, studio)
    assert ret["body"].startswith("林丽娟技能大师工作室的2026年年度工作计划已被退回")   # to the unit: which studio
    unit, district = notes.from_event("report.overdue", report, "e10", NOW, studio)
    assert unit["body"].startswith("林丽娟技能大师工作室的") and district["body"].startswith("林丽娟技能大师工作室（北京")
    assert all("s1" not in n["body"] for n in (sub, ret, unit, district))
    [unknown] = notes.from_event("report.accepted", report, "e11", NOW)   # not in the read model: its id
    assert unknown["body"].startswith("工作室s1的")


def test_notifications_read_state_is_per_user():
    n = {**notes.from_event("summary.due_soon", {"tenant_id": "dongcheng", "year": 2026, "due_on": "2026-12-15",
                                                 "days_left": 7}, "e4", NOW)[0], "read_by": ["demo-dongcheng"]}
    assert notes.view(n, "demo-dongcheng")["read"] is True
    assert notes.view(n, "dongcheng-colleague")["read"] is False
    assert "read_by" not in notes.view(n, "demo-dongcheng")


# ---------------------------------------------------------------- workbooks

def test_r12_summary_workbook_cover_with_totals_and_studio_sheet_in_chinese():
    figures, rows = sm.build(2026, STUDIOS[:2], [_digest("s1"), _digest("s2", unit="unit-c")], [], [_fund("s1")])
    d = sm.new_summary("dongcheng", "东城区", 2026, date(2026, 12, 15), figures, rows, by="d", now=NOW, sources={})
    d = sm.edit_narrative(d, {"overview": "=HYPERLINK(\"x\")"}, by="d", now=NOW)
    wb = openpyxl.load_workbook(io.BytesIO(wbk.summary_workbook(d)))
    assert wb.sheetnames == [wbk.SHEET_COVER, wbk.SHEET_STUDIOS]
    cover = {r[0]: r[1] for r in wb[wbk.SHEET_COVER].iter_rows(min_row=3, values_only=True)}
    assert cover["工作室总数"] == 2 and cover["成果：培养徒弟"] == 4 and cover["本年收到市级资金（元）"] == 300000.0
    assert cover["总体情况"].startswith("'=")
    studios = list(wb[wbk.SHEET_STUDIOS].iter_rows(values_only=True))
    assert studios[0][0] == "工作室编号" and len(studios) == 3 and studios[1][5] == "已通过"


def test_r12_status_workbook_lists_every_tenant():
    rows = st.status_rows(TENANTS, 2026, date(2026, 12, 15), {}, date(2026, 12, 20))
    wb = openpyxl.load_workbook(io.BytesIO(wbk.status_workbook(rows, 2026)))
    values = list(wb[wbk.SHEET_STATUS].iter_rows(min_row=4, max_row=6, values_only=True))
    assert [v[0] for v in values] == ["dongcheng", "haidian", "xicheng"]
    assert values[0][3] == "未提交（已逾期）" and values[0][5] == 5


def test_r12_a_rectification_due_soon_is_noticed_to_the_unit_once_per_item():
    doc = _inspection()
    (ins, item), = insp.rectifications_due([doc], date(2026, 12, 8))
    a = notes.rectification_notice(ins, item, NOW)
    b = notes.rectification_notice(ins, item, datetime(2026, 12, 9, tzinfo=timezone.utc))
    assert a["audience"] == "unit:unit-a" and a["topic"] == "rectification.due" and "补充设备台账" in a["body"]
    assert a["notification_id"] == b["notification_id"]          # the next day's check makes the same one

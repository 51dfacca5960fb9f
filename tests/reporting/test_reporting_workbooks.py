"""The reporting workbooks (R-10, R-11): templates, the clerk's round trip, cell-level errors and
the error workbook, exports, and every refused file. Pure domain, no broker."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from services.reporting.domain import workbooks as wbk
from services.reporting.domain import comparison, records, xlsx_guard
from services.reporting.domain.xlsx_guard import UploadLimits
from shared.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

from .workbook_files import STUDIO, as_excel_saves, fill_results, part, rewrite, save, sheet_part


@pytest.fixture(scope="module")
def template():
    return wbk.report_workbook(studio=STUDIO, year=2026, kind="results")


def test_r10_template_has_instructions_dropdowns_validation_locked_headers_and_hidden_version(template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert wb.sheetnames == ["填表说明", "基本信息", "明细", "_meta"]
    assert wb["_meta"].sheet_state == "veryHidden" and wb["_meta"]["B2"].value == wbk.TEMPLATE_VERSION
    detail = wb["明细"]
    assert [c.value for c in detail[1]] == [title for _, title in wbk.DETAIL_COLUMNS]
    kinds = {dv.type for dv in detail.data_validations.dataValidation}
    assert {"list", "whole", "date"} <= kinds
    lists = " ".join(dv.formula1 for dv in detail.data_validations.dataValidation if dv.type == "list")
    assert "技能研发" in lists and "技师" in lists and "专利" in lists
    assert detail.protection.sheet and detail["A1"].protection.locked
    assert detail.column_dimensions["A"].protection.locked is False
    info = wb["基本信息"]
    assert info.protection.sheet and info["B3"].value == "ST-2026-001" and info["B4"].value == STUDIO["name"]
    assert info["B7"].value == "年度工作总结" and info["B6"].value == 2026


def test_r10_round_trip_a_clerk_fills_the_template_and_the_values_come_back(template):
    upload = wbk.read_upload(fill_results(template))
    assert (upload.template, upload.kind, upload.studio_id, upload.year) == ("annual-report", "results", "ST-2026-001", 2026)
    content = upload.content
    assert content["economic_benefit_fen"] == 12_345_678
    assert content["narrative"] == "=全年完成既定目标，带徒12人"        # stored as text, not as a formula
    first, second = content["items"]
    assert first == {"heading": "skill_rd", "output": "patents", "title": "一种数控夹具（实用新型）", "quantity": 2,
                     "date": "2026-05-03", "person": "张建国", "skill_level": None, "note": "@已授权"}
    assert second["skill_level"] == "技师" and second["output"] == "promotions"
    # the stored report downloaded as a workbook carries the same values, formula-like text as text
    exported = wbk.report_workbook(studio=STUDIO, year=2026, kind="results", content=content)
    wb = openpyxl.load_workbook(io.BytesIO(exported))
    assert wb["基本信息"]["B9"].value == "=全年完成既定目标，带徒12人"
    assert wb["基本信息"]["B9"].data_type == "s"
    assert wb["明细"]["H2"].value == "@已授权" and wb["明细"]["E2"].value.date() == dt.date(2026, 5, 3)
    assert wbk.read_upload(exported).content == content               # and it uploads again unchanged


def test_r11_agreement_round_trip():
    template = wbk.agreement_workbook(studio=STUDIO, year=2026)
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["责任书"]
    for row, value in zip(range(7, 16), (500000, 120.5, "数控机床3台", "每周不少于8小时", "技能研发；带徒传技；交流",
                                          "专利2项", dt.date(2026, 1, 10), "王厂长", "张建国")):
        ws.cell(row, 2, value)
    wb["任务目标"].append(["申请专利", "专利", 2, None])
    wb["任务目标"].append(["培养徒弟", "带徒人数", 5, "+3 名高级工"])
    upload = wbk.read_upload(save(wb), expect_template="agreement")
    assert upload.kind == "agreement"
    assert upload.content["support"] == {"funding_fen": 50_000_000, "premises_m2": 120.5,
                                         "equipment": "数控机床3台", "working_time": "每周不少于8小时"}
    assert upload.content["duties"] == ["技能研发", "带徒传技", "交流"]
    assert upload.content["tasks"][1] == {"title": "培养徒弟", "output": "apprentices", "target": 5, "note": "+3 名高级工"}
    again = wbk.read_upload(wbk.agreement_workbook(studio=STUDIO, year=2026, content=upload.content))
    assert again.content == upload.content


def test_r10_errors_name_sheet_and_cell_and_the_error_workbook_comments_exactly_those_cells(template):
    wb = openpyxl.load_workbook(io.BytesIO(fill_results(template)))
    detail = wb["明细"]
    detail["D2"] = "两个"                     # not a number
    detail["E3"] = dt.date(2025, 1, 1)        # outside the year
    detail["B3"] = "专利"                     # not under 师带徒
    detail.append(["交流活动", "交流活动", None, 1, None, None, None, None])   # title missing
    wb["基本信息"]["B8"] = "很多"
    content = save(wb)
    with pytest.raises(wbk.WorkbookInvalid) as err:
        wbk.read_upload(content)
    bad = {(p["sheet"], p["cell"]) for p in err.value.problems}
    assert bad == {("明细", "D2"), ("明细", "E3"), ("明细", "A3"), ("明细", "C4"), ("基本信息", "B8")}
    assert err.value.status == 422 and "明细!D2" in err.value.errors
    assert err.value.errors["明细!E3"] == "日期须在 2026 年内（R-10）"           # the clerk's language, the rule named
    marked = openpyxl.load_workbook(io.BytesIO(wbk.error_workbook(content, err.value.problems)))
    commented = {(ws.title, c.coordinate) for ws in marked for row in ws.iter_rows() for c in row if c.comment}
    assert commented == bad
    filled = {(ws.title, c.coordinate) for ws in marked for row in ws.iter_rows() for c in row
              if c.fill.fgColor.rgb == "00FFC7CE"}
    assert filled == bad


def test_r10_formulas_and_merged_cells_where_values_belong_are_cell_errors(template):
    wb = openpyxl.load_workbook(io.BytesIO(fill_results(template)))
    wb["明细"]["D2"] = "=1+1"
    wb["明细"]["C9"] = "=SUM(D2:D3)"
    wb["基本信息"].merge_cells("B8:C8")
    with pytest.raises(wbk.WorkbookInvalid) as err:
        wbk.read_upload(save(wb))
    cells = {(p["sheet"], p["cell"]): p["message"] for p in err.value.problems}
    assert set(cells) == {("明细", "D2"), ("明细", "C9"), ("基本信息", "B8")}
    assert "公式" in cells[("明细", "D2")] and "合并" in cells[("基本信息", "B8")]


def _refused(content, cls, reason, limits=UploadLimits()):
    with pytest.raises(cls) as err:
        wbk.read_upload(content, limits)
    assert err.value.extra["reason"] == reason
    return err.value


def test_r10_refuses_what_is_not_an_xlsx_by_content():
    _refused(b"%PDF-1.7 not a workbook", UnsupportedMediaType, "not_xlsx")
    _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, UnsupportedMediaType, "not_xlsx")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("hello.txt", "a zip, not a workbook")
    _refused(zipped.getvalue(), UnsupportedMediaType, "not_xlsx")


def test_r10_a_sheet_the_reader_cannot_read_to_its_end_is_refused_as_not_an_xlsx(template):
    """The rows stream from the zip as they are read, so a sheet damaged after its first rows
    (cut short, a shared string that is not there, rows out of order) is found mid-read: still
    the same 422 naming the file, nothing stored (never a 500)."""
    filled = fill_results(template, rows=40)
    name = sheet_part(filled, "明细")
    xml = part(filled, name)
    at = xml.index(b'<row r="30"')
    for damaged in (xml[:at + 40], xml[:at] + b'<row r="30"><c r="A30" t="s"><v>999</v></c></row>' + xml[at:],
                    xml[:at] + b'<row r="3"><c r="A3"><v>1</v></c></row>' + xml[at:]):
        err = _refused(rewrite(filled, {name: damaged}), wbk.WorkbookInvalid, "not_xlsx")
        assert err.status == 422 and list(err.errors) == ["file"]


def test_r10_refuses_a_macro_enabled_workbook(template):
    xlsm = rewrite(template, {}, {"xl/vbaProject.bin": b"\0" * 64})
    _refused(xlsm, UnsupportedMediaType, "macros")


def test_r10_refuses_another_template_version(template):
    wb = openpyxl.load_workbook(io.BytesIO(fill_results(template)))
    wb["_meta"]["B2"] = "2025.1"
    err = _refused(save(wb), wbk.WorkbookInvalid, "template_version")
    assert "_meta" in err.errors
    wb2 = openpyxl.load_workbook(io.BytesIO(fill_results(template)))
    del wb2["_meta"]
    _refused(save(wb2), wbk.WorkbookInvalid, "template_version")


def test_r10_refuses_more_rows_than_the_bound(template, monkeypatch):
    monkeypatch.setattr(records, "MAX_ITEMS", 5)
    _refused(fill_results(template, rows=8), PayloadTooLarge, "row_bound")


def test_r10_refuses_a_zip_that_inflates_beyond_the_bound(template):
    bomb = rewrite(template, {}, {"xl/media/padding.bin": b"\0" * (3 * 1024 * 1024)})
    assert len(bomb) < 100_000
    _refused(bomb, PayloadTooLarge, "zip_bomb", UploadLimits(max_inflated=2 * 1024 * 1024))
    # headers that lie about the size do not help: the guard counts while inflating
    _refused(template, PayloadTooLarge, "too_large", UploadLimits(max_bytes=1000))


def test_r10_refuses_xml_entity_tricks(template):
    name = sheet_part(template, "基本信息")
    xml = part(template, name)
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>' + body
    _refused(rewrite(template, {name: laughs}), BadRequest, "xml_entities")
    _refused(rewrite(template, {name: xml.decode().encode("utf-16")}), BadRequest, "xml_entities")


def test_r10_the_guard_sees_what_lies_across_the_edge_of_the_chunks_it_reads(template):
    """The guard inflates and scans each part in chunks of ``xlsx_guard.CHUNK`` bytes: a
    declaration, a formula or a merged range across the edge of two chunks is found as in one."""
    name = sheet_part(template, "明细")
    xml = part(template, name)
    header_end = xml.index(b"</row>") + len(b"</row>")
    for pattern, where, check in (
            (b'<row r="3"><c r="D3"><f>1+1</f><v>2</v></c></row>', header_end,
             lambda scans: scans["明细"].formulas == {"D3"}),
            (b'<mergeCells count="1"><mergeCell ref="A5:B6"/></mergeCells>', xml.index(b"</sheetData>") + 12,
             lambda scans: scans["明细"].merged == ["A5:B6"])):
        key = pattern.index(b"<f>" if b"<f>" in pattern else b"<mergeCell ")
        for edge in range(len(b"<mergeCell ref=") + 1):      # the chunk's edge in every place in the tag
            pad = b" " * (xlsx_guard.CHUNK - where - key - edge)
            changed = xml[:where] + pad + pattern + xml[where:]
            assert changed.index(pattern) + key == xlsx_guard.CHUNK - edge
            assert check(xlsx_guard.inspect_xlsx(rewrite(template, {name: changed}))), (pattern, edge)
    for edge in range(len(b"<!DOCTYPE") + 1):
        laughs = b" " * (xlsx_guard.CHUNK - edge) + b'<!DOCTYPE x [<!ENTITY a "a">]>' + xml
        with pytest.raises(BadRequest):
            xlsx_guard.inspect_xlsx(rewrite(template, {name: laughs}))


def test_r10_results_template_prefilled_with_targets_and_the_year_list_workbook():
    agreement = records.validate_content("agreement", 2026, {
        "support": {"funding_fen": 1, "premises_m2": 1, "equipment": "e", "working_time": "w"},
        "duties": ["d"], "tasks": [{"title": "申请专利", "output": "patents", "target": 2}],
        "signed_on": "2026-01-01", "signatories": {"unit": "u", "lead": "l"}})
    lines = comparison.compare(results=None, plan=None, agreement=agreement)
    wb = openpyxl.load_workbook(io.BytesIO(wbk.report_workbook(studio=STUDIO, year=2026, kind="results",
                                                               targets=lines)))
    assert [c.value for c in wb["目标对照"][2]] == ["责任书", "申请专利", "专利", 2, None, "待总结"]
    rows = [{"studio_id": "S1", "studio_name": "=张", "tenant_id": "dongcheng", "year": 2026,
             "plan": {"state": "accepted", "version": 2, "timeliness": "late", "due_on": "2026-03-31"},
             "results": None, "targets_total": 3, "targets_met": 1,
             "outputs": {"patents": 2}, "economic_benefit_fen": 150}]
    ws = openpyxl.load_workbook(io.BytesIO(wbk.list_workbook(2026, rows))).active
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]]))
    assert row["计划状态"] == "已通过" and row["计划及时性"] == "逾期" and row["专利"] == 2
    assert row["经济效益（元）"] == 1.5 and row["工作室名称"] == "=张" and ws["B2"].data_type == "s"


# What a clerk may type in each detail column (stored as typed by openpyxl, read back by the reader):
# (what Excel usually holds, what a rule of R-10 or a cell conversion refuses or has to convert).
_CELLS = (
    (("技能研发", "师带徒", "社会效益", ""), (" 技能研发 ", None, "其他", 1)),
    (("专利", "徒弟技能等级晋升", "技能培训", "带徒人数"), (" 专利", "", None, "未知", 3)),
    (("一种数控夹具", "  两边空格  ", "=像公式的文字", "+86 热线", "\t制表开头"),
     ("", "   ", 123, 4.5, dt.date(2026, 1, 1), "长" * 2001)),
    ((1, 2.0, 30, 1_000_000, None), (0, -1, 1.5, "3", " 4 ", "1,000", "两个", True, 1_000_001)),
    ((dt.date(2026, 5, 3), dt.date(2026, 12, 31), None),
     (dt.datetime(2026, 5, 3, 10, 30), dt.date(2025, 12, 31), "2026-05-03", "2026/5/3", "下周", 46000)),
    (("张建国", " 李明 ", "\t王", "", None), (12, 0, False, "长" * 201)),
    (("技师", "高级技师", "", None), (" 技师 ", "大师", 5, 0, False)),
    (("备注", "@已授权", "-", "", None, "\r回车开头"), ("长" * 2001, 7, 0, True)),
)


def _detail_rows(count: int, seed: int) -> list[list]:
    import random
    rng = random.Random(seed)
    return [[rng.choice(unusual if rng.random() < 0.15 else usual) for usual, unusual in _CELLS]
            for _ in range(count)]


def _with_rows(template: bytes, rows: list[list]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template))
    detail = wb["明细"]
    for row in rows:
        detail.append(row)
        for cell in detail[detail.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"          # typed as text, as Excel keeps it with a leading '
    return save(wb)


def _outcome(content: bytes):
    try:
        return "stored", wbk.read_upload(content).content
    except wbk.WorkbookInvalid as err:
        return "refused", err.problems


def test_r10_the_streaming_fast_path_accepts_and_refuses_exactly_what_the_cell_by_cell_path_does(template,
                                                                                             monkeypatch):
    """Each detail row is first checked on the fast path as it streams (records.plain_item); only
    a row it cannot take goes cell by cell. Both must give the same items, or the same cells with
    the same messages, for any mix of what a clerk types; and so must the workbook as Excel saves
    it (text in the shared-strings table)."""
    rows = _detail_rows(500, seed=15)
    mixed = _with_rows(template, rows)
    fast = _outcome(mixed)
    with monkeypatch.context() as m:
        m.setattr(wbk, "_DETAIL_PAIRS", {})            # every row the slow way
        slow = _outcome(mixed)
        assert fast == slow and fast[0] == "refused"
        bad_rows = {int(p["cell"][1:]) for p in slow[1] if p["sheet"] == "明细"}
        kept = [row for number, row in enumerate(rows, start=2) if number not in bad_rows]
        clean = _with_rows(template, kept)
        slow_clean = _outcome(clean)
    fast_clean = _outcome(clean)
    assert fast_clean[0] == "stored" and len(fast_clean[1]["items"]) > 50
    assert fast_clean == slow_clean
    assert _outcome(as_excel_saves(mixed)) == fast and _outcome(as_excel_saves(clean)) == fast_clean

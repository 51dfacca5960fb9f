"""The reporting workbooks: templates (blank or pre-filled), reading an upload to the cell,
the error workbook, and exports (one record; a list of studios for a year).

Two templates, each with an instructions sheet (填表说明), Chinese headers, drop-downs,
number and date validation, locked header rows (the sheets are protected; the input cells
are not locked) and a hidden (``veryHidden``) sheet ``_meta`` with the template's name and
version:

* ``annual-report``: 基本信息 (studio, year, plan or results, economic benefit in 元,
  narrative: one item a row, values in column B) and 明细 (one output a row: 工作类别 |
  成果类型 | 名称/内容 | 数量 | 日期 | 人员 | 技能等级 | 备注). Pre-filled, it also lists
  the targets to meet (目标对照, for reading only).
* ``agreement``: 责任书 (support, duties, signing) and 任务目标 (one task a row).

``read_upload(content, limits)`` → ``Upload(template, kind, studio_id, year, content, cells)``
or ``WorkbookInvalid`` listing ``{sheet, cell, message}`` (nothing is stored from such a
workbook; ``error_workbook`` highlights exactly those cells, a comment on each). Values are
read with python-calamine-plus, streaming each sheet's rows from the zip in constant memory, and
each detail row is checked as it streams (see bench/reporting_bench.py for why); formulas and
merged cells come from ``xlsx_guard``'s scan. All of it is CPU work: callers run it off the
eventlet hub.

Text that starts with = + - @ tab or CR is data: it is stored as typed and written back as
text (a string cell with Excel's quote prefix), never as a formula.
"""
from __future__ import annotations

import datetime as _dt
import io
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from shared.errors import PayloadTooLarge, ValidationFailed
from shared.files import FORMULA_TRIGGERS, cell_text, excel_text

from . import records as rec
from .xlsx_guard import SheetScan, UploadLimits, inspect_xlsx

TEMPLATE_VERSION = "2026.1"
REPORT_TEMPLATE, AGREEMENT_TEMPLATE = "annual-report", "agreement"
META, HELP = "_meta", "填表说明"
INFO, DETAIL, TARGETS = "基本信息", "明细", "目标对照"
AGREEMENT_SHEET, TASKS = "责任书", "任务目标"
FIRST_FIELD_ROW = 3
FORMULA_LEADS = FORMULA_TRIGGERS
BATCH = 256          # detail rows taken from the reader at a time (see _read_table)

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
_UNLOCKED = Protection(locked=False)
_HEADING_BY_NAME = {name: key for key, (name, _) in rec.HEADINGS.items()}
_OUTPUT_BY_NAME = {name: key for key, name in rec.OUTPUT_NAMES.items()}
_KIND_BY_NAME = {rec.KIND_NAMES[k]: k for k in (rec.PLAN, rec.RESULTS)}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"   # text | int | yuan | area | date | list | choice | info
    hint: str = ""
    required: bool = True
    options: tuple[str, ...] = ()


REPORT_FIELDS: tuple[Field, ...] = (
    Field("studio_id", "工作室编号", hint="系统中的工作室编号，请勿改动"),
    Field("studio_name", "工作室名称", "info", required=False),
    Field("unit_name", "所在单位", "info", required=False),
    Field("year", "年度", "int", "如 2026"),
    Field("kind", "报告类型", "choice", "从列表中选择", options=tuple(_KIND_BY_NAME)),
    Field("economic_benefit", "经济效益（元）", "yuan", "创造的经济效益，单位：元，最多两位小数", required=False),
    Field("narrative", "工作综述", "text", "年度工作计划或总结的文字说明", required=False),
)
AGREEMENT_FIELDS: tuple[Field, ...] = (
    Field("studio_id", "工作室编号", hint="系统中的工作室编号，请勿改动"),
    Field("studio_name", "工作室名称", "info", required=False),
    Field("unit_name", "所在单位", "info", required=False),
    Field("year", "年度", "int", "如 2026"),
    Field("support.funding", "单位支持资金（元）", "yuan", "单位提供的经费，单位：元"),
    Field("support.premises_m2", "场地面积（平方米）", "area"),
    Field("support.equipment", "设备设施", hint="单位提供的设备"),
    Field("support.working_time", "工作时间保障", hint="如：每周不少于8小时"),
    Field("duties", "领办人职责", "list", "多项用“；”分隔"),
    Field("expected_outputs", "预期成果", required=False),
    Field("signed_on", "签订日期", "date", "格式 YYYY-MM-DD"),
    Field("signatories.unit", "单位签字人"),
    Field("signatories.lead", "领办人签字"),
)
DETAIL_COLUMNS = (("heading", "工作类别"), ("output", "成果类型"), ("title", "名称/内容"), ("quantity", "数量"),
                  ("date", "日期"), ("person", "人员"), ("skill_level", "技能等级"), ("note", "备注"))
TASK_COLUMNS = (("title", "任务"), ("output", "成果类型（衡量指标）"), ("target", "目标值"), ("note", "备注"))

REPORT_HELP = (
    "北京市技能大师工作室 年度工作计划／年度工作总结 填表说明",
    "1. 本表由工作室所在单位填写，每个工作室每年提交一份年度工作计划（默认3月31日前）和一份年度工作总结（默认12月1日前），逐级报送所属区（行业）主管部门。",
    "2. “基本信息”工作表：在“填写内容”列（B列）填写；报告类型从下拉列表中选择；经济效益以元为单位，最多两位小数。",
    "3. “明细”工作表：每行一项成果，按领办人四项职责（技能研发、师带徒、交流活动、社会效益）填写；工作类别和成果类型从下拉列表选择，二者须对应。",
    "4. 数量为正整数；日期格式 YYYY-MM-DD，须在报告年度内；徒弟技能等级晋升须选择晋升后的技能等级。",
    "5. 请填写数值，不要使用公式，不要合并单元格；不要改动表头、工作表名称和隐藏的模板信息。",
    "6. 导入时逐格校验：有错误的文件不会保存，系统返回一份标出错误单元格（红色底色并附批注）的工作簿，修改后重新上传即可。",
    "7. 提交后即形成一个版本；被退回后可修改并重新提交，历次版本均可查阅。",
)
AGREEMENT_HELP = (
    "北京市技能大师工作室 目标任务责任书 填表说明",
    "1. 每年由单位与领办人签订目标任务责任书，写明单位提供的支持（经费、场地、设备、工作时间）、领办人职责、任务目标和预期成果。",
    "2. “责任书”工作表：在B列填写；经费以元为单位；签订日期格式 YYYY-MM-DD；领办人职责多项用“；”分隔。",
    "3. “任务目标”工作表：每行一项任务，成果类型从下拉列表选择，目标值为正整数（年度总结将按此逐项对照是否完成）。",
    "4. 请填写数值，不要使用公式，不要合并单元格；不要改动表头、工作表名称和隐藏的模板信息。",
)


class WorkbookInvalid(ValidationFailed):
    """Cells that break the template or a rule: ``errors`` maps ``sheet!cell`` to a message."""

    def __init__(self, problems: Sequence[dict], detail: str = "the workbook has cells to fix", **extra):
        errors = {f"{p['sheet']}!{p['cell']}" if p.get("cell") else p["sheet"]: p["message"] for p in problems}
        super().__init__(detail, errors=errors, cells=list(problems), **extra)
        self.problems = list(problems)


# -- writing -----------------------------------------------------------------------------
def write_value(cell, value) -> None:
    """Put ``value`` in ``cell`` by the shared rule (``shared.files.excel_text``: control characters
    out, formula-like text marked as text). The mark is Excel's quote prefix (a cell style), not
    an apostrophe in the value, so the text reads back exactly as it was stored."""
    if isinstance(value, str):
        text = excel_text(value)
        marked = text.startswith("'") and not value.startswith("'")    # the rule added the mark
        cell.value = text[1:] if marked else text
        if marked:
            cell.data_type = "s"
            cell.quotePrefix = True
        return
    cell.value = value


def _header(ws, row: int, titles: Iterable[str], widths: Sequence[int]) -> None:
    for col, (title, width) in enumerate(zip(titles, widths), start=1):
        cell = ws.cell(row, col, title)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width


def _list_validation(ws, options: Sequence[str], sqref: str, title: str) -> None:
    dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
    dv.error, dv.errorTitle = f"请从列表中选择：{'、'.join(options)}", "无效的选项"
    dv.prompt, dv.promptTitle = title, "请选择"
    dv.showErrorMessage = dv.showInputMessage = True
    dv.add(sqref)
    ws.add_data_validation(dv)


def _number_validation(ws, sqref: str, kind: str, low, high, message: str) -> None:
    dv = DataValidation(type=kind, operator="between", formula1=str(low), formula2=str(high), allow_blank=True)
    dv.error, dv.errorTitle, dv.showErrorMessage = message, "无效的数值", True
    dv.add(sqref)
    ws.add_data_validation(dv)


def _excel_date(day: _dt.date) -> int:
    return (day - _dt.date(1899, 12, 30)).days


def _date_validation(ws, sqref: str, year: int | None) -> None:
    low, high = (_dt.date(year, 1, 1), _dt.date(year, 12, 31)) if year else (_dt.date(2000, 1, 1), _dt.date(2100, 12, 31))
    _number_validation(ws, sqref, "date", _excel_date(low), _excel_date(high),
                       f"请填写 {low.isoformat()} 至 {high.isoformat()} 之间的日期（YYYY-MM-DD）")


def _protect(ws, input_columns: Iterable[int]) -> None:
    """Header cells stay locked; the input columns are not; the sheet is protected."""
    for col in input_columns:
        ws.column_dimensions[get_column_letter(col)].protection = _UNLOCKED
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False
    ws.protection.insertRows = ws.protection.deleteRows = False
    ws.protection.autoFilter = ws.protection.sort = False


def _help_sheet(wb: Workbook, lines: Sequence[str]) -> None:
    ws = wb.create_sheet(HELP, 0)
    for row, line in enumerate(lines, start=1):
        cell = ws.cell(row, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=13)
    ws.column_dimensions["A"].width = 120
    ws.protection.sheet = True


def _meta_sheet(wb: Workbook, template: str) -> None:
    ws = wb.create_sheet(META)
    ws["A1"], ws["B1"] = "template", template
    ws["A2"], ws["B2"] = "version", TEMPLATE_VERSION
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def _fields_sheet(wb: Workbook, title: str, heading: str, fields: Sequence[Field],
                  values: Mapping[str, Any], year: int | None) -> Any:
    ws = wb.create_sheet(title)
    ws["A1"] = heading
    ws["A1"].font = Font(bold=True, size=14)
    _header(ws, 2, ("项目", "填写内容", "说明"), (28, 48, 48))
    for row, f in enumerate(fields, start=FIRST_FIELD_ROW):
        ws.cell(row, 1, f.label if f.required or f.kind == "info" else f"{f.label}（选填）")
        ws.cell(row, 3, f.hint)
        value = values.get(f.key)
        cell = ws.cell(row, 2)
        if value is not None:
            write_value(cell, value)
        if f.kind in ("text", "list", "info") or f.key == "studio_id":
            cell.number_format = "@"
        if f.kind == "choice":
            _list_validation(ws, f.options, cell.coordinate, f.label)
        elif f.kind == "int":
            _number_validation(ws, cell.coordinate, "whole", 2000, 2100, "请填写 2000–2100 之间的年份")
        elif f.kind in ("yuan", "area"):
            _number_validation(ws, cell.coordinate, "decimal", 0, 10**12, "请填写不小于0的数值")
            cell.number_format = "0.00"
        elif f.kind == "date":
            _date_validation(ws, cell.coordinate, None)
            cell.number_format = "yyyy-mm-dd"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _protect(ws, (2,))
    ws.freeze_panes = "A3"
    return ws


def _rows_sheet(wb: Workbook, title: str, columns: Sequence[tuple[str, str]], widths: Sequence[int]) -> Any:
    ws = wb.create_sheet(title)
    _header(ws, 1, (t for _, t in columns), widths)
    _protect(ws, range(1, len(columns) + 1))
    ws.freeze_panes = "A2"
    return ws


def _detail_validations(ws, year: int | None) -> None:
    last = rec.MAX_ITEMS + 1
    _list_validation(ws, [n for n, _ in rec.HEADINGS.values()], f"A2:A{last}", "工作类别")
    _list_validation(ws, list(rec.OUTPUT_NAMES.values()), f"B2:B{last}", "成果类型")
    _number_validation(ws, f"D2:D{last}", "whole", 1, rec.MAX_QUANTITY, "数量须为正整数")
    _date_validation(ws, f"E2:E{last}", year)
    _list_validation(ws, rec.SKILL_LEVELS, f"G2:G{last}", "技能等级")
    for col in ("C", "F", "H"):
        ws.column_dimensions[col].number_format = "@"
    ws.column_dimensions["E"].number_format = "yyyy-mm-dd"


def _to_bytes(wb: Workbook) -> bytes:
    wb.remove(wb["Sheet"]) if "Sheet" in wb.sheetnames else None
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _studio_values(studio: Mapping | None, year: int | None) -> dict[str, Any]:
    """The pre-filled cells every template has: the studio's id and names, the year."""
    values: dict[str, Any] = {}
    if studio:
        values.update(studio_id=studio.get("studio_id"), studio_name=studio.get("name"),
                      unit_name=studio.get("unit_name"))
    if year:
        values["year"] = year
    return values


def _report_values(studio: Mapping | None, year: int | None, kind: str | None, content: Mapping | None) -> dict:
    values = _studio_values(studio, year)
    if kind in (rec.PLAN, rec.RESULTS):
        values["kind"] = rec.KIND_NAMES[kind]
    if content:
        values["economic_benefit"] = content.get("economic_benefit_fen", 0) / 100
        values["narrative"] = content.get("narrative") or None
    return values


def report_workbook(*, studio: Mapping | None = None, year: int | None = None, kind: str | None = None,
                    content: Mapping | None = None, targets: Sequence[Mapping] = ()) -> bytes:
    """The annual-report template: blank, pre-filled for a studio and year, or a stored report.

    ``studio``: {studio_id, name, unit_name}; ``targets``: comparison lines (comparison.compare).
    """
    wb = Workbook()
    _help_sheet(wb, REPORT_HELP)
    _fields_sheet(wb, INFO, "北京市技能大师工作室 年度工作计划／总结", REPORT_FIELDS,
                  _report_values(studio, year, kind, content), year)
    ws = _rows_sheet(wb, DETAIL, DETAIL_COLUMNS, (12, 16, 40, 8, 12, 12, 12, 30))
    _detail_validations(ws, year)
    for row, item in enumerate((content or {}).get("items", ()), start=2):
        values = (rec.HEADINGS[item["heading"]][0], rec.OUTPUT_NAMES[item["output"]], item["title"],
                  item["quantity"], _dt.date.fromisoformat(item["date"]) if item.get("date") else None,
                  item.get("person") or None, item.get("skill_level"), item.get("note") or None)
        for col, value in enumerate(values, start=1):
            if value is not None:
                write_value(ws.cell(row, col), value)
    if targets:
        tw = wb.create_sheet(TARGETS)
        _header(tw, 1, ("来源", "目标", "成果类型", "目标值", "实际完成", "是否完成"), (10, 40, 16, 10, 10, 10))
        for row, line in enumerate(targets, start=2):
            done = {True: "已完成", False: "未完成", None: "待总结"}[line["met"]]
            for col, value in enumerate(("责任书" if line["source"] == "agreement" else "计划", line["title"],
                                         line["output_name"], line["target"], line["actual"], done), start=1):
                if value is not None:
                    write_value(tw.cell(row, col), value)
        tw.protection.sheet = True
    _meta_sheet(wb, REPORT_TEMPLATE)
    return _to_bytes(wb)


def agreement_workbook(*, studio: Mapping | None = None, year: int | None = None,
                       content: Mapping | None = None) -> bytes:
    """The agreement template: blank, pre-filled for a studio and year, or a stored agreement."""
    values = _studio_values(studio, year)
    if content:
        support = content["support"]
        values.update({"support.funding": support["funding_fen"] / 100, "support.premises_m2": support["premises_m2"],
                       "support.equipment": support["equipment"], "support.working_time": support["working_time"],
                       "duties": "；".join(content["duties"]), "expected_outputs": content.get("expected_outputs") or None,
                       "signed_on": _dt.date.fromisoformat(content["signed_on"]),
                       "signatories.unit": content["signatories"]["unit"],
                       "signatories.lead": content["signatories"]["lead"]})
    wb = Workbook()
    _help_sheet(wb, AGREEMENT_HELP)
    _fields_sheet(wb, AGREEMENT_SHEET, "北京市技能大师工作室 目标任务责任书", AGREEMENT_FIELDS, values, year)
    ws = _rows_sheet(wb, TASKS, TASK_COLUMNS, (40, 20, 10, 30))
    last = rec.MAX_TASKS + 1
    _list_validation(ws, list(rec.OUTPUT_NAMES.values()), f"B2:B{last}", "成果类型")
    _number_validation(ws, f"C2:C{last}", "whole", 1, rec.MAX_QUANTITY, "目标值须为正整数")
    for row, task in enumerate((content or {}).get("tasks", ()), start=2):
        for col, value in enumerate((task["title"], rec.OUTPUT_NAMES[task["output"]], task["target"],
                                     task.get("note") or None), start=1):
            if value is not None:
                write_value(ws.cell(row, col), value)
    _meta_sheet(wb, AGREEMENT_TEMPLATE)
    return _to_bytes(wb)


# -- reading -----------------------------------------------------------------------------
@dataclass
class Upload:
    template: str
    kind: str
    studio_id: str
    year: int
    content: dict
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)   # field path -> (sheet, cell)


class _Problems:
    """The problems of an upload in the order found: one a cell (or sheet), the first found."""

    def __init__(self):
        self.items: list[dict] = []
        self._cells: set[tuple[str, str | None]] = set()

    def has(self, sheet: str, cell: str | None) -> bool:
        return (sheet, cell) in self._cells

    def add(self, sheet: str, cell: str | None, message: str) -> None:
        if (sheet, cell) not in self._cells:
            self._cells.add((sheet, cell))
            self.items.append({"sheet": sheet, "cell": cell, "message": message})


def _rows(book, name: str) -> Iterable[tuple[int, list]]:
    """(1-based row number, values from column A, "" where empty) of a sheet, streamed.

    python-calamine-plus decodes the rows from the zip as they are iterated (constant memory;
    rows and columns start at A1). One stream is open per workbook at a time: read each sheet
    to its end before the next."""
    return enumerate(book.stream_sheet_by_name(name), start=1)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _as_text(value) -> str:
    return cell_text(value)


def _as_int(value) -> tuple[int | None, str | None]:
    if isinstance(value, bool):
        return None, "应为整数"
    if isinstance(value, float) and value.is_integer():
        return int(value), None
    if isinstance(value, int):
        return value, None
    if isinstance(value, str):
        try:
            return int(value.strip().replace(",", "")), None
        except ValueError:
            pass
    return None, "应为整数"


def _as_fen(value) -> tuple[int | None, str | None]:
    if isinstance(value, bool):
        return None, "应为金额（元）"
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None, "应为金额（元），最多两位小数"
    fen = amount * 100
    if fen != fen.to_integral_value() or amount < 0:
        return None, "应为不小于0的金额（元），最多两位小数"
    return int(fen), None


def _as_number(value) -> tuple[float | None, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value, None
    try:
        return float(str(value).strip()), None
    except ValueError:
        return None, "应为数值"


def _as_date(value) -> tuple[str | None, str | None]:
    if isinstance(value, _dt.datetime):
        return value.date().isoformat(), None
    if isinstance(value, _dt.date):
        return value.isoformat(), None
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return _dt.date.fromisoformat(text).isoformat(), None
    except ValueError:
        return None, "日期应为 YYYY-MM-DD"


def _convert(kind: str, value, options: Mapping[str, str] | None = None):
    if kind == "int":
        return _as_int(value)
    if kind == "yuan":
        return _as_fen(value)
    if kind == "area":
        return _as_number(value)
    if kind == "date":
        return _as_date(value)
    if kind == "list":
        parts = [p.strip() for p in _as_text(value).replace(";", "；").replace("\n", "；").split("；")]
        return [p for p in parts if p], None
    if kind == "choice":
        text = _as_text(value)
        if text not in options:
            return None, f"请从列表中选择：{'、'.join(options)}"
        return options[text], None
    return _as_text(value), None


def _set(target: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for name in parents:
        target = target.setdefault(name, {})
    target[last] = value


def _read_meta(book, problems: _Problems) -> str | None:
    names = book.sheet_names
    if META not in names:
        problems.add(META, None, "不是本系统的模板（缺少模板信息）：请下载最新模板填写")
        return None
    values = {row[0]: row[1] for _, row in _rows(book, META) if len(row) > 1}
    if values.get("version") != TEMPLATE_VERSION:
        problems.add(META, None, f"模板版本 {values.get('version') or '未知'} 已不适用，请下载最新模板（版本 {TEMPLATE_VERSION}）")
        return None
    return values.get("template")


def _read_fields(book, name: str, fields: Sequence[Field], problems: _Problems,
                 scan: SheetScan | None, options: Mapping[str, Mapping[str, str]]) -> tuple[dict, dict]:
    values: dict = {}
    cells: dict[str, tuple[str, str]] = {}
    rows = dict(_rows(book, name))
    for offset, f in enumerate(fields):
        number = FIRST_FIELD_ROW + offset
        row = rows.get(number, [])
        ref = f"B{number}"
        label = _as_text(row[0]) if row else ""
        if label.removesuffix("（选填）") != f.label:
            problems.add(name, f"A{number}", f"此处应为“{f.label}”：请不要改动、插入或删除行")
            continue
        cells[f.key] = (name, ref)
        if scan and (ref in scan.formulas):
            problems.add(name, ref, f"{f.label}：请填写数值，不要使用公式")
            continue
        raw = row[1] if len(row) > 1 else None
        if f.kind == "info":
            continue
        if _blank(raw):
            if f.required:
                problems.add(name, ref, f"“{f.label}”必须填写")
            continue
        value, error = _convert(f.kind, raw, options.get(f.key))
        if error:
            problems.add(name, ref, f"{f.label}：{error}")
            continue
        _set(values, f.key, value)
    return values, cells


def _row_of(ref: str) -> int:
    digits = "".join(ch for ch in ref if ch.isdigit())
    return int(digits) if digits else 0


def _scan_problems(name: str, scan: SheetScan | None, first_row: int, columns: str, problems: _Problems) -> None:
    """Formulas and merged cells where values belong (rows from ``first_row``, in ``columns``)."""
    for ref in sorted(scan.formulas if scan else ()):
        if _row_of(ref) >= first_row and ref.rstrip("0123456789") in columns:
            problems.add(name, ref, "请填写数值，不要使用公式")
    for ref in (scan.merged if scan else ()):
        anchor = ref.split(":")[0]
        if _row_of(anchor) >= first_row:
            problems.add(name, anchor, f"请不要合并单元格（{ref}），每格填写一个数值")


def _read_table(book, name: str, columns: Sequence[tuple[str, str]], bound: int, problems: _Problems,
                scan: SheetScan | None, convert: Mapping[str, Any],
                year: int | None = None) -> tuple[list[dict], dict[int, int]]:
    """The non-empty rows under the header, and {index: row number} of those still to validate
    with the record (the others are final); ``PayloadTooLarge`` (``row_bound``) at the first row
    with a value past ``bound`` rows, before the rest of the sheet is read.

    The hot loop of an import (10,000 rows, streamed). With ``year`` (a plan's or results'
    detail sheet of a valid year) each row is first tried on the fast path: the cells Excel
    usually holds, checked by ``records.item_checker(year)`` (``records.plain_item`` compiled for
    the year) as they stream, so the row is final here. Any other row (a type or a rule to report,
    a formula) goes the slow way: converted cell by cell, each conversion error on its cell, then
    validated with the record. Cell refs are only spelled out for errors. The header row and the
    rows past the bound are taken apart from the body, so the body's loop does only its own work;
    the body's rows come from the reader ``BATCH`` at a time (a few hundred rows: memory stays
    flat, and the reader's and the checks' code each run longer stretches, about 2 ms less on
    10,000 rows than row by row).
    """
    out: list[dict] = []
    pending: dict[int, int] = {}
    formulas = scan.formulas if scan else set()
    formula_rows = {_row_of(ref) for ref in formulas}
    width = len(columns)
    letters = [get_column_letter(c + 1) for c in range(width)]
    keyed = [(col, key, title, convert[key]) for col, (key, title) in enumerate(columns)]
    last = bound + 1
    check = rec.item_checker(year) if year is not None and columns is DETAIL_COLUMNS else None
    pairs, date, append = _DETAIL_PAIRS, _dt.date, out.append
    pad = [""] * width
    rows = _rows(book, name)
    for _, row in itertools.islice(rows, 1):       # the header
        if len(row) != width:
            row = (row + pad)[:width]
        for col, (_, title) in enumerate(columns):
            if _as_text(row[col]) != title:
                problems.add(name, f"{letters[col]}1", f"表头应为“{title}”：请不要改动表头")
    body = itertools.islice(rows, last - 1)                # rows 2 to the bound
    for batch in iter(lambda: list(itertools.islice(body, BATCH)), []):
        for number, row in batch:
            if len(row) != width:
                row = (row + pad)[:width]
            if check is not None and number not in formula_rows:
                heading, output, title, quantity, day, person, level, note = row
                output = pairs.get((heading, output))
                if output is not None:
                    if type(quantity) is not int:
                        if type(quantity) is float and quantity.is_integer():
                            quantity = int(quantity)
                        elif quantity == "":
                            quantity = 1
                    item = check(output, None, title, quantity, day, person, note, None if level == "" else level) \
                        if type(day) is date or day == "" else None     # else the slow path says what is wrong
                    if item is not None:
                        append(item)
                        continue
            item = _slow_row(row, number, name, keyed, letters, formulas, problems)
            if item is not None:         # else an empty row
                pending[len(out)] = number
                append(item)
    for _, row in rows:                             # past the bound
        if any(value not in ("", None) for value in row):
            raise PayloadTooLarge(f"{name} has more than {bound} rows", reason="row_bound",
                                  errors={name: f"超过 {bound} 行的上限"})
    return out, pending


def _slow_row(row: Sequence, number: int, name: str, keyed: Sequence[tuple], letters: Sequence[str],
              formulas: set[str], problems: _Problems) -> dict | None:
    """A row's values by key, converted cell by cell (errors on their cells); None if empty."""
    item: dict = {}
    seen = False
    for col, key, title, to_value in keyed:
        raw = row[col]
        if raw == "" or raw is None:
            continue
        value, error = to_value(raw)
        if error:
            seen = True
            problems.add(name, f"{letters[col]}{number}", f"{title}：{error}")
            continue
        if value == "":          # whitespace only
            continue
        seen = True
        item[key] = value
    in_row = [col for col, _, _, _ in keyed if f"{letters[col]}{number}" in formulas] if formulas else ()
    if not seen and not in_row:
        return None
    for col in in_row:
        item.pop(keyed[col][1], None)
    return item


def _choice(options: Mapping[str, str]):
    def convert(raw):
        found = options.get(raw) if isinstance(raw, str) else None
        if found is not None:
            return found, None
        return _convert("choice", raw, options)
    return convert


def _text_cell(raw):
    if isinstance(raw, str):
        return (raw if raw.startswith(FORMULA_LEADS) else raw.strip()), None
    return _as_text(raw), None


def _date_cell(raw):
    if type(raw) is _dt.date:
        return raw.isoformat(), None
    return _as_date(raw)


def _int_cell(raw):
    if type(raw) is float and raw.is_integer():
        return int(raw), None
    return _as_int(raw)


# One converter a column (the slow path of a detail row, and every task row): each returns
# (value, error message or None), with a fast path for what Excel usually holds.
_DETAIL_CONVERTERS = {"heading": _choice(_HEADING_BY_NAME), "output": _choice(_OUTPUT_BY_NAME), "title": _text_cell,
                      "quantity": _int_cell, "date": _date_cell, "person": _text_cell,
                      "skill_level": _choice({s: s for s in rec.SKILL_LEVELS}), "note": _text_cell}
# The fast path's (工作类别, 成果类型) pairs that belong together (工作类别 may be left empty):
# the output kind they name.
_DETAIL_PAIRS = {**{(name, rec.OUTPUT_NAMES[o]): o for name, outputs in
                    ((rec.HEADINGS[h][0], rec.HEADINGS[h][1]) for h in rec.HEADINGS) for o in outputs},
                 **{("", name): o for o, name in rec.OUTPUT_NAMES.items()}}
_TASK_CONVERTERS = {"title": _text_cell, "output": _choice(_OUTPUT_BY_NAME), "target": _int_cell, "note": _text_cell}


def read_upload(content: bytes, limits: UploadLimits = UploadLimits(), *, expect_template: str | None = None,
                expect_studio: str | None = None, expect_year: int | None = None) -> Upload:
    """An uploaded workbook → ``Upload``, or a refusal (``xlsx_guard``) / ``WorkbookInvalid``.

    ``expect_*``: what the upload is for (the route's studio and year): a workbook naming another
    is a cell problem like any other."""
    from python_calamine_plus import CalamineError, CalamineWorkbook   # the reader the bench chose

    scans = inspect_xlsx(content, limits)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return _read_book(book, scans, expect_template, expect_studio, expect_year)
    except CalamineError as exc:   # the reader's own errors for unreadable parts, at any row
        raise WorkbookInvalid([{"sheet": "file", "cell": None, "message": f"无法读取的工作簿（{exc.__class__.__name__}）"}],
                              reason="not_xlsx")


def _read_book(book, scans: Mapping[str, SheetScan], expect_template: str | None, expect_studio: str | None,
               expect_year: int | None) -> Upload:
    problems = _Problems()
    template = _read_meta(book, problems)
    if template is not None and expect_template and template != expect_template:
        problems.add(META, None, f"这是“{template}”模板，此处需要“{expect_template}”模板")
    if problems.items:
        raise WorkbookInvalid(problems.items, "not this system's template of the current version",
                              reason="template_version")
    if template == REPORT_TEMPLATE:
        sheets, fields, table, columns, bound, convert = INFO, REPORT_FIELDS, DETAIL, DETAIL_COLUMNS, rec.MAX_ITEMS, _DETAIL_CONVERTERS
        options = {"kind": _KIND_BY_NAME}
    else:
        sheets, fields, table, columns, bound, convert = AGREEMENT_SHEET, AGREEMENT_FIELDS, TASKS, TASK_COLUMNS, rec.MAX_TASKS, _TASK_CONVERTERS
        options = {}
    for name in (sheets, table):
        if name not in book.sheet_names:
            raise WorkbookInvalid([{"sheet": name, "cell": None, "message": f"缺少工作表“{name}”：请使用系统模板"}])
    values, cells = _read_fields(book, sheets, fields, problems, scans.get(sheets), options)
    _scan_problems(sheets, scans.get(sheets), FIRST_FIELD_ROW, ("B",), problems)
    year = values.get("year")
    kind = values.get("kind", rec.AGREEMENT) if template == REPORT_TEMPLATE else rec.AGREEMENT
    valid_year = isinstance(year, int) and not isinstance(year, bool) and 2000 <= year <= 2100
    rows, pending = _read_table(book, table, columns, bound, problems, scans.get(table), convert,
                                             year if valid_year and kind in (rec.PLAN, rec.RESULTS) else None)
    _scan_problems(table, scans.get(table), 2, tuple(get_column_letter(c + 1) for c in range(len(columns))),
                   problems)
    if expect_studio is not None and "studio_id" in cells and values.get("studio_id") not in (None, expect_studio):
        problems.add(*cells["studio_id"], f"工作室编号应为 {expect_studio}（此文件填写的是 {values['studio_id']}）")
    if expect_year is not None and "year" in cells and year is not None and year != expect_year:
        problems.add(*cells["year"], f"年度应为 {expect_year}（此文件填写的是 {year}）")
    content_in: dict
    if template == REPORT_TEMPLATE:
        content_in = {"items": rows, "economic_benefit_fen": values.get("economic_benefit", 0),
                      "narrative": values.get("narrative", "")}
        row_key = "items"
    else:
        support = values.get("support", {})
        support["funding_fen"] = support.pop("funding", None)
        content_in = {"support": support, "duties": values.get("duties", []), "tasks": rows,
                      "expected_outputs": values.get("expected_outputs", ""), "signed_on": values.get("signed_on"),
                      "signatories": values.get("signatories", {})}
        row_key = "tasks"
    row_cells = _RowCells(table, row_key, pending, columns)
    cells["support.funding_fen"] = cells.get("support.funding", (sheets, None))
    cells["economic_benefit_fen"] = cells.get("economic_benefit", (sheets, None))
    normalised = None
    if isinstance(year, int) and 2000 <= year <= 2100 and kind in rec.KINDS:
        try:
            normalised = rec.validate_content(kind, year, content_in, only=pending)
        except ValidationFailed as exc:
            for path, message in (exc.errors or {}).items():
                sheet, ref = _cell_of(path, cells, row_cells, table, sheets)
                if ref is None or not problems.has(sheet, ref):
                    problems.add(sheet, ref, _in_chinese(message))
    elif year is not None:
        problems.add(*cells.get("year", (sheets, None)), "年度应为 2000–2100")
    if problems.items:
        raise WorkbookInvalid(problems.items)
    return Upload(template, kind, str(values.get("studio_id", "")), year, normalised, cells)


class _RowCells:
    """``items.3.title`` → (明细, C5) for the table's rows, spelled out only when asked."""

    def __init__(self, table: str, row_key: str, numbers: Mapping[int, int], columns: Sequence[tuple[str, str]]):
        self.table, self.row_key, self.numbers = table, row_key, numbers
        self.letters = {key: get_column_letter(i + 1) for i, (key, _) in enumerate(columns)}

    def lookup(self, path: str) -> tuple[str, str] | None:
        parts = path.split(".")
        number = self.numbers.get(int(parts[1])) if len(parts) > 1 and parts[1].isdigit() else None
        if parts[0] != self.row_key or number is None:
            return None
        letter = self.letters.get(parts[2], "A") if len(parts) > 2 else "A"
        return self.table, f"{letter}{number}"


# The domain's field messages (English, as the API gives them) in the clerk's language, for the
# error workbook and the cell list of an upload; the rule id stays at the end.
_CHINESE = (
    (re.compile(r"^is required"), "必须填写"),
    (re.compile(r"^must be text"), "应为文字"),
    (re.compile(r"^is longer than (\d+) characters"), r"超过 \1 个字"),
    (re.compile(r"^must be a whole number"), "应为整数"),
    (re.compile(r"^must be between (\S+) and (\S+)"), r"应在 \1 至 \2 之间"),
    (re.compile(r"^must be a date YYYY-MM-DD"), "日期应为 YYYY-MM-DD"),
    (re.compile(r"^must fall in (\S+)"), r"日期须在 \1 年内"),
    (re.compile(r"^must be one of .*"), "请从下拉列表中选择"),
    (re.compile(r"^\w+ belongs under \w+"), "成果类型与工作类别不对应（请按下拉列表选择对应的类别）"),
    (re.compile(r"^a promotion names the skill level reached"), "徒弟技能等级晋升须选择晋升后的技能等级"),
    (re.compile(r"^must be a number of square metres.*"), "应为 0–1,000,000 之间的面积（平方米）"),
    (re.compile(r"^list at least one duty of the lead"), "至少填写一项领办人职责"),
    (re.compile(r"^list at least one task with a measurable target"), "至少填写一项任务目标（成果类型和目标值）"),
    (re.compile(r"^has more than (\d+) \w+"), r"超过 \1 行的上限"),
)


def _in_chinese(message: str) -> str:
    text, _, rule = message.rpartition(" (")
    text, rule = (text, f"（{rule.rstrip(')')}）") if text and rule.startswith("R-") else (message, "")
    for pattern, chinese in _CHINESE:
        if pattern.match(text):
            return pattern.sub(chinese, text, count=1) + rule
    return message


def _cell_of(path: str, cells: Mapping[str, tuple[str, str]], rows: _RowCells, table: str, sheets: str) -> tuple[str, str | None]:
    """The cell behind a field path (``items.3.skill_level`` → 明细!G5); the sheet if none."""
    found = rows.lookup(path)
    if found:
        return found
    while path:
        if path in cells:
            return cells[path]
        if "." not in path:
            break
        path = path.rsplit(".", 1)[0]
    return (table if path.startswith(("items", "tasks")) else sheets), None


def error_workbook(content: bytes, problems: Sequence[Mapping]) -> bytes:
    """The uploaded workbook with exactly the bad cells filled red and commented.

    Call only with a workbook that passed ``inspect_xlsx`` (WorkbookInvalid is raised after it).
    """
    wb = load_workbook(io.BytesIO(content))
    for problem in problems:
        if not problem.get("cell") or problem["sheet"] not in wb.sheetnames:
            continue
        cell = wb[problem["sheet"]][problem["cell"]]
        cell.fill = _ERROR_FILL
        comment = Comment(problem["message"], "系统校验")
        comment.width, comment.height = 300, 100
        cell.comment = comment
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- the list of a year ------------------------------------------------------------------
LIST_COLUMNS = (
    ("studio_id", "工作室编号", 14), ("studio_name", "工作室名称", 30), ("tenant_id", "主管部门", 12),
    ("unit_name", "所在单位", 30), ("year", "年度", 8),
    ("agreement.state", "责任书状态", 10), ("agreement.version", "责任书版本", 8), ("agreement.signed_on", "签订日期", 12),
    ("plan.state", "计划状态", 10), ("plan.version", "计划版本", 8), ("plan.submitted_at", "计划提交时间", 20),
    ("plan.due_on", "计划截止日", 12), ("plan.timeliness", "计划及时性", 10),
    ("results.state", "总结状态", 10), ("results.version", "总结版本", 8), ("results.submitted_at", "总结提交时间", 20),
    ("results.due_on", "总结截止日", 12), ("results.timeliness", "总结及时性", 10),
    ("targets_total", "目标数", 8), ("targets_met", "已完成目标", 10),
    *((f"outputs.{o}", name, 10) for o, name in rec.OUTPUT_NAMES.items()),
    ("economic_benefit_yuan", "经济效益（元）", 14),
)
STATE_NAMES = {"draft": "草稿", "submitted": "已提交", "accepted": "已通过", "returned": "已退回", "missing": "未提交"}
TIMELINESS_NAMES = {"on_time": "按时", "late": "逾期", "missing": "缺报", "not_due": "未到期"}


def _dig(row: Mapping, path: str):
    node: Any = row
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def list_workbook(year: int, rows: Sequence[Mapping]) -> bytes:
    """A row a studio: status, dates, versions, key figures (rows: report_digest items + names)."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年度报告"
    _header(ws, 1, (t for _, t, _ in LIST_COLUMNS), [w for _, _, w in LIST_COLUMNS])
    for number, row in enumerate(rows, start=2):
        for col, (path, _, _) in enumerate(LIST_COLUMNS, start=1):
            if path == "economic_benefit_yuan":
                value = (row.get("economic_benefit_fen") or 0) / 100
            else:
                value = _dig(row, path)
            if path.endswith(".state"):
                value = STATE_NAMES.get(value, value)
            elif path.endswith(".timeliness"):
                value = TIMELINESS_NAMES.get(value, value)
            if value is not None:
                write_value(ws.cell(number, col), value)
    ws.freeze_panes = "C2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


"""The application form (附件1) as an Excel workbook: the blank template and reading a filled copy.

Sheets: 申报表 (one row per item: 项目 | 填写内容 | 说明, drop-downs where the answer is one of
a list), 团队成员 (one row per team member), 填表说明 (instructions). Reading finds each item
by its label in column A, so rows may be moved; every problem is reported by cell
(``申报表!B7``). Both functions are CPU work: the service runs them off the eventlet hub
(``eventlet.tpool.execute``).
"""
from __future__ import annotations

import datetime as _dt
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from services.registry import contract
from services.registry.contract import CONDITIONS
from shared.errors import DomainError
from shared.files import WorkbookBounds, bounded_rows, cell_text, excel_value, open_workbook

FORM, TEAM, HELP = "申报表", "团队成员", "填表说明"
YES, NO = "是", "否"
TEAM_ROWS = 50
FIRST_ROW = 4
BOUNDS = WorkbookBounds(max_rows=500, max_columns=20)   # a filled template is small

_EMPLOYMENT_BY_NAME = {v: k for k, v in contract.EMPLOYMENT_STATUSES.items()}
_GENDER_BY_NAME = {v: k for k, v in contract.GENDERS.items()}
_EXISTING_BY_NAME = {"区级": "district", "行业（集团）级": "group"}


@dataclass(frozen=True)
class Item:
    key: str           # dotted path in the application form, or honour:<code>
    label: str
    kind: str = "text"  # text | choice | month | date | int | yesno | list
    hint: str = ""
    options: tuple[str, ...] = ()
    required: bool = True


ITEMS: tuple[Item, ...] = (
    Item("master.name", "领办人姓名"),
    Item("master.gender", "性别", "choice", options=tuple(contract.GENDERS.values())),
    Item("master.birth_month", "出生年月", "month", "格式 YYYY-MM，如 1978-05"),
    Item("master.original_retirement_age", "原法定退休年龄（女性填写）", "choice",
         "女干部/职工 55，女工人 50；男性留空", options=("50", "55"), required=False),
    Item("master.id_number", "公民身份号码", hint="18位，以文本格式填写"),
    Item("master.occupation", "职业（工种）"),
    Item("master.skill_level", "职业资格/技能等级", "choice", "技师及以上方可申报（R-1）",
         options=contract.SKILL_LEVELS),
    Item("master.certificate_no", "证书编号"),
    Item("master.certificate_date", "发证日期", "date", "格式 YYYY-MM-DD"),
    Item("master.front_line", "是否长期在生产服务一线岗位工作", "yesno", options=(YES, NO)),
    Item("master.front_line_years", "一线工作年限（年）", "int"),
    Item("master.employment_status", "在职状态", "choice", "须在职在聘（R-1）",
         options=tuple(contract.EMPLOYMENT_STATUSES.values())),
    Item("master.post", "岗位", required=False),
    Item("master.phone", "联系电话", required=False),
    *(Item(f"honour:{code}", f"荣誉：{name}", "yesno", "R-3 优先条件", options=(YES, NO), required=False)
      for code, name in contract.HONOURS.items()),
    Item("master.other_honours", "其他荣誉", "list", "多项用“；”分隔", required=False),
    Item("studio_name", "工作室名称", hint="留空则为“领办人姓名+技能大师工作室”", required=False),
    Item("studio_address", "工作地址"),
    Item("branch_id", "分厂/分公司编号", hint="在本系统登记的分厂、分公司编号；无则留空", required=False),
    *(Item(f"conditions.{key}", f"单位条件：{text}", "yesno", "R-4", options=(YES, NO))
      for key, text in CONDITIONS.items()),
    Item("conditions.description", "单位条件说明", required=False),
    Item("existing_studio.level", "已认定的区（行业）级工作室级别", "choice", "R-5；无则留空",
         options=tuple(_EXISTING_BY_NAME), required=False),
    Item("existing_studio.name", "已认定工作室名称", required=False),
    Item("existing_studio.recognised_by", "认定部门", required=False),
    Item("existing_studio.recognised_on", "认定日期", "date", "格式 YYYY-MM-DD", required=False),
)
_BY_LABEL = {item.label: item for item in ITEMS}

TEAM_COLUMNS = (("name", "姓名"), ("role", "岗位/分工"), ("skill_level", "技能等级或职称"),
                ("formal_employee", "是否正式员工"), ("occupation", "职业（工种）或专业"))

INSTRUCTIONS = (
    "北京市技能大师工作室申报表（附件1）填表说明",
    "1. 本表由所在单位填写，导入系统后生成申报草稿；附件材料（证书、获奖、专利、制度、场所照片）请在系统中另行上传（PDF、JPG、PNG，每个不超过10MB）。",
    "2. “申报表”工作表：逐项在“填写内容”列填写；带下拉列表的单元格请从列表中选择，不要改动“项目”列的文字。",
    "3. 领办人须具有技师及以上职业资格或技能等级（R-1），在职在聘，长期在生产服务一线工作，距法定退休年龄2年以上（含2年，按2025年渐进式延迟退休办法计算，R-2）。",
    "4. 女性领办人须填写原法定退休年龄（50或55）；出生年月、性别须与公民身份号码一致。",
    "5. 荣誉（中华技能大奖、全国技术能手等，R-3）和已认定的区（行业）级工作室（R-5）在同等条件下优先，但不是申报的必要条件。",
    "6. “团队成员”工作表：除领办人外至少3名正式员工（R-4），每人填写岗位/分工和技能等级或职称。",
    "7. 同一技能大师只能领办一个工作室；同一单位（分厂、分公司）相同职业（工种）只能建立一个工作室（R-6）。",
    "8. 日期格式 YYYY-MM-DD，出生年月格式 YYYY-MM；公民身份号码请以文本格式填写。",
)

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


# Text a spreadsheet would run as a formula is escaped by the one shared rule (shared/files.py).
escape_cell = excel_value


def _list_validation(options: tuple[str, ...], prompt: str) -> DataValidation:
    dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                        showDropDown=False)
    dv.error, dv.errorTitle = f"请从列表中选择：{'、'.join(options)}", "无效的选项"
    dv.prompt, dv.promptTitle = prompt, "请选择"
    dv.showErrorMessage = dv.showInputMessage = True
    return dv


def build_template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = FORM
    ws["A1"] = "北京市技能大师工作室申报表（附件1）"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:C1")
    ws["A2"] = "请先阅读“填表说明”；带下拉列表的单元格请从列表中选择。"
    for col, title in zip("ABC", ("项目", "填写内容", "说明")):
        ws[f"{col}3"] = title
        ws[f"{col}3"].font = Font(bold=True)
        ws[f"{col}3"].fill = _HEADER_FILL
    validations: dict[tuple[str, ...], DataValidation] = {}
    for row, item in enumerate(ITEMS, start=FIRST_ROW):
        ws.cell(row, 1, escape_cell(item.label if item.required else f"{item.label}（选填）"))
        value_cell = ws.cell(row, 2)
        value_cell.number_format = "@"  # text: keeps identity numbers and dates as typed
        ws.cell(row, 3, escape_cell(item.hint))
        if item.options:
            dv = validations.get(item.options)
            if dv is None:
                dv = validations[item.options] = _list_validation(item.options, item.label)
                ws.add_data_validation(dv)
            dv.add(value_cell.coordinate)
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 40
    ws.freeze_panes = "B4"

    team = wb.create_sheet(TEAM)
    for col, (_, title) in enumerate(TEAM_COLUMNS, start=1):
        cell = team.cell(1, col, title)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        team.column_dimensions[cell.column_letter].width = 24
    level_dv = _list_validation(contract.TEAM_LEVELS, "技能等级或职称")
    formal_dv = _list_validation((YES, NO), "是否正式员工")
    team.add_data_validation(level_dv)
    team.add_data_validation(formal_dv)
    level_dv.add(f"C2:C{TEAM_ROWS + 1}")
    formal_dv.add(f"D2:D{TEAM_ROWS + 1}")
    team.freeze_panes = "A2"

    help_ws = wb.create_sheet(HELP)
    for row, line in enumerate(INSTRUCTIONS, start=1):
        cell = help_ws.cell(row, 1, escape_cell(line))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_ws["A1"].font = Font(bold=True, size=13)
    help_ws.column_dimensions["A"].width = 120
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- reading a filled copy --------------------------------------------------------------
class WorkbookProblem(ValueError):
    """The upload is not a readable .xlsx of this template; ``errors`` maps cells to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


def _text(value) -> str:
    return cell_text(value, unquote=True)


_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _convert(item: Item, raw):
    """(value, error message or None) for one cell."""
    if item.kind == "month":
        if isinstance(raw, (_dt.date, _dt.datetime)):
            return f"{raw.year:04d}-{raw.month:02d}", None
        m = _MONTH.match(_text(raw))
        if not m or not 1 <= int(m.group(2)) <= 12:
            return None, "出生年月应为 YYYY-MM"
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}", None
    if item.kind == "date":
        if isinstance(raw, (_dt.date, _dt.datetime)):
            return (raw.date() if isinstance(raw, _dt.datetime) else raw).isoformat(), None
        m = _DATE.match(_text(raw))
        try:
            return _dt.date(*(int(g) for g in m.groups())).isoformat(), None
        except (AttributeError, ValueError):
            return None, "日期应为 YYYY-MM-DD"
    text = _text(raw)
    if item.key == "master.id_number" and isinstance(raw, (int, float)):
        return None, "公民身份号码请以文本格式填写（数字格式会丢失末位）"
    if item.kind == "int":
        try:
            return int(text), None
        except ValueError:
            return None, "应为整数"
    if item.kind == "yesno":
        if raw is True or text == YES:
            return True, None
        if raw is False or text == NO:
            return False, None
        return None, f"请填写“{YES}”或“{NO}”"
    if item.kind == "choice":
        if text not in item.options:
            return None, f"请从列表中选择：{'、'.join(item.options)}"
        if item.key == "master.gender":
            return _GENDER_BY_NAME[text], None
        if item.key == "master.employment_status":
            return _EMPLOYMENT_BY_NAME[text], None
        if item.key == "master.original_retirement_age":
            return int(text), None
        if item.key == "existing_studio.level":
            return _EXISTING_BY_NAME[text], None
        return text, None
    if item.kind == "list":
        return [part.strip() for part in re.split(r"[;；\n]", text) if part.strip()], None
    return text, None


def _set(form: dict, path: str, value) -> None:
    node = form
    *parents, last = path.split(".")
    for name in parents:
        node = node.setdefault(name, {})
    node[last] = value


def _open(content: bytes):
    """The shared safe opener (size, inflation, XML and row bounds; read-only)."""
    try:
        return open_workbook(content, BOUNDS)
    except DomainError as exc:
        raise WorkbookProblem(exc.detail, exc.errors)


def _rows(ws, min_row: int, max_col: int):
    """(row number, cells) within the bounds; a bound passed is a WorkbookProblem naming the sheet."""
    try:
        yield from enumerate(bounded_rows(ws, BOUNDS, min_row=min_row, max_col=max_col), start=min_row)
    except DomainError as exc:
        raise WorkbookProblem(exc.detail, exc.errors)


def parse_application(content: bytes) -> tuple[dict, dict[str, str]]:
    """A filled template → (the application form as the API takes it, {form path: cell}).

    Raises ``WorkbookProblem`` with per-cell errors for what cannot be read; what can be
    read but breaks the schema is left to the schema (the cell map lets the caller name cells).
    """
    wb = _open(content)
    if FORM not in wb.sheetnames or TEAM not in wb.sheetnames:
        raise WorkbookProblem(f"the workbook lacks the sheets {FORM!r} and {TEAM!r}: use the template "
                              "/api/v1/templates/application.xlsx")
    ws = wb[FORM]
    form: dict = {"master": {"honours": []}, "conditions": {}}
    cells: dict[str, str] = {}
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for r, row in _rows(ws, FIRST_ROW, 2):
        label_cell, value_cell = row[0], row[1]
        label = _text(label_cell.value).removesuffix("（选填）")
        item = _BY_LABEL.get(label)
        if item is None:
            continue
        seen.add(item.key)
        ref = f"{FORM}!B{r}"
        raw = value_cell.value
        if raw is None or _text(raw) == "":
            if item.required:
                errors[ref] = f"“{item.label}”必须填写"
            continue
        value, problem = _convert(item, raw)
        if problem:
            errors[ref] = f"{item.label}：{problem}"
            continue
        if item.key.startswith("honour:"):
            if value:
                form["master"]["honours"].append(item.key.split(":", 1)[1])
            continue
        _set(form, item.key, value)
        cells[item.key] = ref
    missing = [i.label for i in ITEMS if i.key not in seen and i.required]
    if missing:
        errors[FORM] = "缺少项目：" + "、".join(missing) + "（请使用系统模板，不要改动“项目”列）"
    team = []
    for r, row in _rows(wb[TEAM], 2, len(TEAM_COLUMNS)):
        values = [c.value for c in row]
        if all(v is None or _text(v) == "" for v in values):
            continue
        member: dict = {}
        index = len(team)
        for c, ((key, title), cell) in enumerate(zip(TEAM_COLUMNS, row), start=1):
            ref = f"{TEAM}!{get_column_letter(c)}{r}"
            cells[f"team.{index}.{key}"] = ref
            text = _text(cell.value)
            if key == "formal_employee":
                if text not in (YES, NO) and cell.value not in (True, False):
                    errors[ref] = f"{title}：请填写“{YES}”或“{NO}”"
                    continue
                member[key] = cell.value is True or text == YES
            else:
                member[key] = text
        team.append(member)
    form["team"] = team
    if "existing_studio" in form and not form["existing_studio"].get("level"):
        errors.setdefault(cells.get("existing_studio.name", FORM), "填写了已认定工作室，请选择其级别")
    form.setdefault("existing_studio", None)
    form.setdefault("branch_id", None)
    if errors:
        raise WorkbookProblem("the workbook has cells that cannot be read", errors)
    return form, cells

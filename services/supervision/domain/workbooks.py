"""The .xlsx workbooks of supervision, in Chinese, ready to file.

- ``summary_workbook(summary)``: 封面 (cover: tenant, year, due date, submission, the totals and
  the narrative) and 工作室明细 (one row per studio: unit, state, reports, inspection, funds,
  outputs). Money in yuan with two decimals (from integer fen).
- ``status_workbook(rows, year)``: the city's status view, one row per tenant, and its totals.

Text cells go through ``shared.files.excel_value`` (the one formula-escaping rule), so no name
or narrative becomes a formula. Building is CPU-bound for thousands
of studios: a service runs it off the eventlet hub.
"""
from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Any, Iterable, Mapping

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from shared.calendar import to_shanghai_date
from shared.files import XLSX, excel_value, safe_filename

from .inspections import RATING_LABELS
from .status import STATUS_LABELS, totals
from .summaries import NARRATIVE_LABELS, NARRATIVE_SECTIONS, OUTPUT_LABELS, OUTPUTS

SHEET_COVER, SHEET_STUDIOS, SHEET_STATUS = "封面", "工作室明细", "报送情况"
STATE_LABELS = {"draft": "草稿", "submitted": "已提交", "accepted": "已通过", "returned": "已退回",
                "missing": "未提交", None: "—"}
TIMELINESS_LABELS = {"on_time": "按时", "late": "逾期", "missing": "未交", "not_due": "未到期", None: "—"}
STUDIO_STATE_LABELS = {"active": "运行中", "revoked": "已撤销"}
BOLD = Font(bold=True)

__all__ = ["SHEET_COVER", "SHEET_STATUS", "SHEET_STUDIOS", "status_workbook", "summary_workbook", "workbook_file"]


def workbook_file(content: bytes, filename: str) -> dict:
    """A generated workbook as an RPC answers a file (``shared.schemas.FileSchema``)."""
    return {"filename": safe_filename(filename, XLSX), "content_type": XLSX,
            "content_b64": base64.b64encode(content).decode("ascii")}


def _yuan(fen: int | None) -> float | None:
    return None if fen is None else round(fen / 100, 2)


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_shanghai_date(value).isoformat()
    return str(value)[:10]


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _header(ws, row: int, labels: Iterable[str]) -> None:
    for col, label in enumerate(labels, 1):
        ws.cell(row=row, column=col, value=label).font = BOLD


def summary_workbook(summary: Mapping) -> bytes:
    wb = Workbook()
    cover = wb.active
    cover.title = SHEET_COVER
    f = summary["figures"]
    cover["A1"] = excel_value(f"{summary['tenant_name'] or summary['tenant_id']} {summary['year']}年度技能大师工作室工作总结")
    cover["A1"].font = Font(bold=True, size=14)
    lines: list[tuple[str, Any]] = [
        ("主管部门", excel_value(summary["tenant_name"] or summary["tenant_id"])),
        ("年度", summary["year"]), ("版本", summary["version"]),
        ("状态", "已提交" if summary["state"] == "submitted" else "草稿"),
        ("截止日期", summary["due_on"]), ("提交日期", _date(summary.get("submitted_at"))),
        ("逾期天数", summary.get("late_days") or 0),
        ("工作室总数", f["studios"]["total"]), ("其中运行中", f["studios"].get("active", 0)),
        ("其中已撤销", f["studios"].get("revoked", 0)),
        ("已检查工作室", f["inspections"]["inspected"]), ("未检查工作室", f["inspections"]["not_inspected"]),
        ("检查评价：好/一般/差", "/".join(str(f["inspections"]["ratings"][r]) for r in ("good", "fair", "poor"))),
        ("未完成整改事项", f["inspections"]["open_rectifications"]),
    ]
    reports = f.get("reports") or {}
    if reports.get("available") is False:
        lines.append(("年度报告", f"暂不可用：{reports.get('reason')}"))
    else:
        for kind, label in (("agreement", "目标责任书"), ("plan", "年度工作计划"), ("results", "年度工作成果")):
            c = reports[kind]
            lines.append((f"{label}：已提交/已通过/已退回/草稿/未提交",
                          "/".join(str(c[s]) for s in ("submitted", "accepted", "returned", "draft", "missing"))))
        for k in OUTPUTS:
            lines.append((f"成果：{OUTPUT_LABELS[k]}", f["outputs"][k]))
        lines.append(("目标任务：完成/总数", f"{f['targets']['met']}/{f['targets']['total']}"))
        lines.append(("经济效益（元）", _yuan(f["economic_benefit_fen"])))
    funds = f.get("funds") or {}
    if funds.get("available") is False:
        lines.append(("资金", f"暂不可用：{funds.get('reason')}"))
    else:
        lines += [("本年收到市级资金（元）", _yuan(funds["city_received_fen"])),
                  ("本年收到配套资金（元）", _yuan(funds["matching_received_fen"])),
                  ("本年支出（元）", _yuan(funds["spent_fen"])),
                  ("累计配套比例", funds["matching_ratio"] or "—")]
    for section in NARRATIVE_SECTIONS:
        lines.append((NARRATIVE_LABELS[section], excel_value(summary["narrative"].get(section, ""))))
    for i, (label, value) in enumerate(lines, 3):
        cover.cell(row=i, column=1, value=label).font = BOLD
        cell = cover.cell(row=i, column=2, value=value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    cover.column_dimensions["A"].width = 36
    cover.column_dimensions["B"].width = 80

    ws = wb.create_sheet(SHEET_STUDIOS)
    head = ["工作室编号", "工作室名称", "所在单位", "状态", "目标责任书", "年度计划", "计划是否按时",
            "年度成果", "成果是否按时", "是否检查", "检查日期", "检查评价", "未完成整改",
            "本年市级资金（元）", "本年配套资金（元）", "本年支出（元）", "累计配套比例"] + [OUTPUT_LABELS[k] for k in OUTPUTS]
    _header(ws, 1, head)
    for r, row in enumerate(summary["studios"], 2):
        fr = row.get("funds") or {}
        out = row.get("outputs") or {}
        values = [excel_value(row["studio_id"]), excel_value(row["name"]), excel_value(row["unit_name"]),
                  STUDIO_STATE_LABELS.get(row["state"], row["state"]),
                  STATE_LABELS.get(row.get("agreement"), "—"), STATE_LABELS.get(row.get("plan"), "—"),
                  TIMELINESS_LABELS.get(row.get("plan_timeliness"), "—"),
                  STATE_LABELS.get(row.get("results"), "—"), TIMELINESS_LABELS.get(row.get("results_timeliness"), "—"),
                  "是" if row["inspected"] else "否", row.get("inspected_on") or "",
                  RATING_LABELS.get(row.get("rating"), "—"), row["open_rectifications"],
                  _yuan(fr.get("city_received_fen")), _yuan(fr.get("matching_received_fen")),
                  _yuan(fr.get("spent_fen")), fr.get("matching_ratio") or "—"] + [out.get(k) for k in OUTPUTS]
        for c, v in enumerate(values, 1):
            ws.cell(row=r, column=c, value=v)
    ws.freeze_panes = "A2"
    return _save(wb)


def status_workbook(rows: list[Mapping], year: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_STATUS
    ws["A1"] = f"{year}年度工作总结报送情况"
    ws["A1"].font = Font(bold=True, size=14)
    _header(ws, 3, ["主管部门编号", "主管部门", "截止日期", "报送状态", "提交日期", "逾期天数", "当前版本", "是否退回重报"])
    for r, row in enumerate(rows, 4):
        values = [excel_value(row["tenant_id"]), excel_value(row["tenant_name"]), row["due_on"],
                  STATUS_LABELS[row["status"]], row["submitted_on"] or "", row["days_late"],
                  row["version"] or "", "是" if row["reopened"] else "否"]
        for c, v in enumerate(values, 1):
            ws.cell(row=r, column=c, value=v)
    r = len(rows) + 5
    for status, n in totals(rows).items():
        ws.cell(row=r, column=1, value=STATUS_LABELS[status]).font = BOLD
        ws.cell(row=r, column=2, value=n)
        r += 1
    return _save(wb)

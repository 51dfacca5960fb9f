"""The results workbook in Chinese (.xlsx bytes): one row a studio with every indicator's
score, the combined score and the grade (R-16: results are published).

    results_workbook(round_) -> bytes          (``round_``: a published round, or a preview)

Text cells go through the one formula-escaping rule (``shared.files.excel_value``).
"""
from __future__ import annotations

import io
from typing import Mapping

from shared.files import excel_value as excel_text

from .due import REASONS
from .grading import GRADE_NAMES

SHEET = "考核结果"
FIXED_HEADERS = ["序号", "主管部门", "所在单位", "工作室", "认定日期", "列入考核原因"]
TAIL_HEADERS = ["综合得分", "等级", "排名", "国家级推荐优先", "整改期限", "申请撤销"]


def results_rows(round_: Mapping) -> list[list]:
    rubric = round_["rubric"]
    codes = [i["code"] for i in rubric["indicators"]]
    results = round_.get("results") or {}
    studios = sorted(round_["studios"], key=lambda s: ((results.get(s["studio_id"]) or {}).get("rank") or 10**9,
                                                       s["studio_id"]))
    rows = []
    for n, s in enumerate(studios, start=1):
        r = results.get(s["studio_id"]) or {}
        ind = r.get("indicators") or {}
        c = r.get("consequences") or {}
        rows.append([n, excel_text(s.get("tenant_name") or s["tenant_id"]),
                     excel_text(s.get("unit_name") or s["unit_id"]), excel_text(s.get("name") or s["studio_id"]),
                     s.get("designated_on"), REASONS.get(s.get("reason"), s.get("reason")),
                     *[(ind.get(code) or {}).get("score") for code in codes],
                     r.get("score"), GRADE_NAMES.get(r.get("grade"), "未完成评分"), r.get("rank"),
                     "是" if c.get("national_recommendation") else "",
                     c.get("rectification_due_on") or "", "是" if c.get("revocation_requested") else ""])
    return rows


def results_workbook(round_: Mapping) -> bytes:
    from openpyxl import Workbook   # loaded when a workbook is made

    rubric = round_["rubric"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    state = "（已发布）" if round_.get("state") == "published" else "（预览，未发布）"
    ws.append([f"{round_['year']}年度北京市技能大师工作室绩效考核结果{state}"])
    ws.append([f"考核指标：{rubric['name']}（第{rubric['version']}版）；合格线 {rubric['pass_threshold']} 分，"
               f"优秀线 {rubric['excellent_line']} 分；优秀不超过参评数的20%且不超过奖励预算"])
    ws.append(FIXED_HEADERS + [f"{i['name']}（权重{i['weight']}，满分{i['maximum']}）" for i in rubric["indicators"]]
              + TAIL_HEADERS)
    for row in results_rows(round_):
        ws.append(row)
    summary = round_.get("summary") or {}
    if summary:
        ws.append([])
        ws.append(["参评", summary.get("assessed"), "优秀", summary.get("excellent"), "合格", summary.get("pass"),
                   "不合格", summary.get("fail"), "优秀名额上限", summary.get("cap")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

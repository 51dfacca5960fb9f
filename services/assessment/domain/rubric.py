"""The rubric: versioned scoring rules (R-15: 具体考核标准另行制定 — configuration, not code).

Indicators are grouped under R-15's five headings (``GROUPS``). Each has a ``weight`` (its
share of the combined score, the weights of a rubric add up to 100), a ``maximum`` (the scale
its points are given on) and ``guidance`` for the scorers, and a ``source``: ``expert`` (the
experts score it) or one of ``AUTO_SOURCES`` (filled in from another service's figures, see
``inputs.py``). The rubric also sets the pass threshold (below it: fail), the line an
excellent candidate must reach, and the rectification period after a fail (R-18).

A rubric is immutable once saved: a new version is a new document. A round copies the whole
rubric it uses (``to_dict``) when it is created, so a later version never changes it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from shared.errors import ValidationFailed

from .scores import SCALE, cp_number, to_cp

# R-15's headings, in the order the workbook shows them
GROUPS = {
    "duties": "履行职责和完成任务情况",
    "city_funds": "市级资助资金使用情况",
    "matching": "配套资金投入情况",
    "economic": "经济效益",
    "social": "社会效益",
}

EXPERT = "expert"
AUTO_SOURCES = {
    "ledger.city_funds_use": "专门账目：本资助周期市级资金使用进度（已支出 ÷ 已拨付）",
    "ledger.matching_ratio": "专门账目：配套资金与市级资金之比（R-23，满 1:1 得满分）",
    "reporting.targets_met": "年度报告：目标责任书任务完成数 ÷ 任务总数",
    "reporting.reports_submitted": "年度报告：年度计划与成果按时报送（按时满分，逾期一半，未报零分）",
    "supervision.inspection_rating": "年度检查：评价等级（好 1、中 0.6、差 0.2）",
    "supervision.open_rectifications": "年度检查：未完成整改事项（0 项满分，1 项一半，2 项及以上零分）",
}
# The indicator whose score breaks ties at the excellent cap (grading.py): use of city funds
FUND_USE_SOURCE = "ledger.city_funds_use"

MAX_INDICATORS = 40


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    name: str
    weight: int            # share of the combined score (a rubric's weights add up to 100)
    maximum_cp: int        # the scale, in hundredths of a point
    source: str = EXPERT
    guidance: str = ""

    @property
    def automatic(self) -> bool:
        return self.source != EXPERT

    def to_dict(self) -> dict:
        return {"code": self.code, "group": self.group, "group_name": GROUPS[self.group], "name": self.name,
                "weight": self.weight, "maximum": cp_number(self.maximum_cp), "source": self.source,
                "guidance": self.guidance}


@dataclass(frozen=True)
class Rubric:
    version: int
    name: str
    indicators: tuple[Indicator, ...]
    pass_threshold_cp: int = 60 * SCALE       # below: fail (不合格)
    excellent_line_cp: int = 85 * SCALE       # at or above (and within the caps): excellent (优秀)
    rectification_days: int = 180             # a fail's rectification is due this many days after publishing
    notes: str = ""
    indexed: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "indexed", {i.code: i for i in self.indicators})

    def indicator(self, code: str) -> Indicator:
        return self.indexed[code]

    @property
    def expert_codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators if not i.automatic)

    @property
    def fund_use_code(self) -> str | None:
        return next((i.code for i in self.indicators if i.source == FUND_USE_SOURCE), None)

    def to_dict(self) -> dict:
        return {"version": self.version, "name": self.name,
                "indicators": [i.to_dict() for i in self.indicators],
                "pass_threshold": cp_number(self.pass_threshold_cp),
                "excellent_line": cp_number(self.excellent_line_cp),
                "rectification_days": self.rectification_days, "notes": self.notes}


def _indicator(code, group, name, weight, source=EXPERT, guidance="", maximum=100):
    return Indicator(code, group, name, weight, maximum * SCALE, source, guidance)


DEFAULT_RUBRIC = Rubric(
    version=1,
    name="北京市技能大师工作室绩效考核指标（默认版）",
    indicators=(
        _indicator("duties_targets", "duties", "目标责任书任务完成情况", 12, "reporting.targets_met"),
        _indicator("duties_reports", "duties", "年度计划和成果报送情况", 4, "reporting.reports_submitted"),
        _indicator("duties_inspection", "duties", "主管部门年度检查评价", 6, "supervision.inspection_rating"),
        _indicator("duties_rectification", "duties", "检查发现问题整改情况", 3, "supervision.open_rectifications"),
        _indicator("duties_work", "duties", "技能攻关、带徒传技、交流推广等职责履行", 15, EXPERT,
                   "对照第十三条：技术攻关与创新成果、培养徒弟与晋级、交流研修与推广，按实绩打分（满分100）"),
        _indicator("city_funds_use", "city_funds", "市级资助资金使用进度", 12, "ledger.city_funds_use"),
        _indicator("city_funds_rules", "city_funds", "资金使用合规性（专款专用、固定资产登记）", 8, EXPERT,
                   "对照第二十一、二十三条：支出范围、专门账目、固定资产登记造册（满分100）"),
        _indicator("matching_funds", "matching", "单位配套资金投入", 10, "ledger.matching_ratio"),
        _indicator("economic_benefit", "economic", "经济效益", 15, EXPERT,
                   "攻关项目、专利与革新成果带来的成本节约、效率提升和产值（满分100）"),
        _indicator("social_benefit", "social", "社会效益", 15, EXPERT,
                   "公益服务、技能培训、竞赛评判、示范带动作用（满分100）"),
    ),
    notes="综合得分 = Σ（指标得分 ÷ 指标满分 × 权重），权重合计100；60分以下为不合格，85分及以上为优秀候选。",
)


def rubric_from_dict(data: Mapping[str, Any], version: int) -> Rubric:
    """A rubric from its JSON form (as the city enters it, or as a round stored it); checked."""
    errors: dict[str, str] = {}
    raw = list(data.get("indicators") or [])
    if not raw:
        errors["indicators"] = "at least one indicator"
    if len(raw) > MAX_INDICATORS:
        errors["indicators"] = f"at most {MAX_INDICATORS} indicators"
    indicators, seen = [], set()
    for n, item in enumerate(raw[:MAX_INDICATORS]):
        where = f"indicators.{n}"
        code = str(item.get("code") or "").strip()
        if not code or not code.replace("_", "").isalnum() or len(code) > 40:
            errors[f"{where}.code"] = "letters, digits and _ (at most 40)"
        elif code in seen:
            errors[f"{where}.code"] = "each code once"
        seen.add(code)
        if item.get("group") not in GROUPS:
            errors[f"{where}.group"] = "one of " + ", ".join(GROUPS)
        source = item.get("source") or EXPERT
        if source != EXPERT and source not in AUTO_SOURCES:
            errors[f"{where}.source"] = "expert or one of " + ", ".join(AUTO_SOURCES)
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 < weight <= 100:
            errors[f"{where}.weight"] = "a whole number from 1 to 100"
            weight = 0
        try:
            maximum = to_cp(item.get("maximum", 100), f"{where}.maximum")
            if maximum <= 0:
                raise ValidationFailed("", errors={f"{where}.maximum": "more than 0"})
        except ValidationFailed as exc:
            errors.update(exc.errors or {})
            maximum = SCALE
        name = str(item.get("name") or "").strip()
        if not name:
            errors[f"{where}.name"] = "required"
        indicators.append(Indicator(code, str(item.get("group")), name, weight, maximum, source,
                                    str(item.get("guidance") or "")))
    if raw and not errors and sum(i.weight for i in indicators) != 100:
        errors["indicators"] = f"the weights add up to {sum(i.weight for i in indicators)}, not 100"
    limits = {}
    for key, default in (("pass_threshold", 60), ("excellent_line", 85)):
        try:
            limits[key] = to_cp(data.get(key, default), key, maximum_cp=100 * SCALE)
        except ValidationFailed as exc:
            errors.update(exc.errors or {})
    if len(limits) == 2 and limits["excellent_line"] < limits["pass_threshold"]:
        errors["excellent_line"] = "not below the pass threshold"
    days = data.get("rectification_days", 180)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 730:
        errors["rectification_days"] = "a whole number of days from 1 to 730"
    if errors:
        raise ValidationFailed("the rubric is not valid", errors=errors, rule="R-15")
    return Rubric(version=version, name=str(data.get("name") or f"考核指标第{version}版"),
                  indicators=tuple(indicators), pass_threshold_cp=limits["pass_threshold"],
                  excellent_line_cp=limits["excellent_line"], rectification_days=days,
                  notes=str(data.get("notes") or ""))
